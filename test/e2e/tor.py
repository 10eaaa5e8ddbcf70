"""The top-of-rack router of the e2e fabric: FRR or BIRD in the ToR namespace, peering
with every node over one shared segment and installing equal-cost paths into the
namespace's kernel FIB, which is what the tests read.

Built on test/integration/routers.py (daemon start-up, CLI parsing, sessions(), routes(),
log_tail()); only the configuration differs: one router, many neighbors, ECMP, a FIB.

With `bfd` set before start(), the ToR also runs BFD toward some of the nodes and takes
a neighbor's BGP session down when its BFD session goes down (FRR: bfdd and `neighbor
bfd profile`; BIRD: `protocol bfd` and `bfd on`).
"""
import dataclasses
import json
import os

import netns
import routers


@dataclasses.dataclass
class Bfd:
    """BFD toward the nodes at `peers` (addresses), one profile for all of them."""
    peers: tuple
    interval_ms: int = 100
    mult: int = 3


class FrrTor(routers.FRR):
    """zebra + bgpd; `maximum-paths` and as-path multipath-relax so eBGP paths from every
    node (one AS or several) become one ECMP route in zebra and the kernel. With `bfd`:
    bfdd too, and `neighbor ADDR bfd profile e2e` for those nodes."""
    bfd = None

    def start(self):
        zc = self.write_zebra_conf('tor')
        lines = self.bgpd_lines('tor', debug=['debug bgp zebra', 'debug bgp bfd'],
                                router=[' bgp bestpath as-path multipath-relax'],
                                families=('ipv4', 'ipv6'), per_family=['  maximum-paths 16'])
        if self.bfd:
            # After the address families FRR's parser is back at `router bgp`.
            lines += [' neighbor %s bfd profile e2e' % a for a in self.bfd.peers]
        self.launch(zc, lines)
        if self.bfd:
            self.start_bfdd()

    def start_bfdd(self):
        d, b = self.dir, self.bfd
        conf = os.path.join(d, 'bfdd.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(['hostname tor', 'log file %s/bfdd.log debugging' % d, 'log timestamp precision 3',
                               'debug bfd peer', 'bfd', ' profile e2e', '  receive-interval %d' % b.interval_ms,
                               '  transmit-interval %d' % b.interval_ms, '  detect-multiplier %d' % b.mult, ' !', '!']) + '\n')
        os.chmod(conf, 0o644)
        p = self.ns.popen(['/usr/lib/frr/bfdd', '-f', conf, '-i', os.path.join(d, 'bfdd.pid'),
                           '--bfdctl', os.path.join(d, 'bfdd.sock'), '--vty_socket', d, '-P', '0',
                           '-z', os.path.join(d, 'zserv.api')], log_path=os.path.join(d, 'bfdd.out'))
        self.procs.append(p)
        routers.wait_for(lambda: p.poll() is not None or netns.run(
            ['vtysh', '--vty_socket', d, '-d', 'bfdd', '-c', 'show bfd peers json'], check=False).returncode == 0,
            20, 'bfdd vty did not come up', interval=0.05)
        if p.poll() is not None:
            raise RuntimeError('bfdd exited: %s' % self.log_tail())

    def rib_text(self):
        return self.vtysh('show bgp ipv4 unicast', check=False).stdout


class BirdTor(routers.Bird):
    """BIRD 2: one BGP protocol per node, `merge paths on` in the kernel protocol so equal
    BGP routes from several nodes become one multipath route in the FIB. With `bfd`:
    `protocol bfd` and `bfd on` in those nodes' protocols."""
    bfd = None

    def start(self):
        c = self.config
        self.sock = os.path.join(self.dir, 'bird.ctl')
        L = ['log "%s" all;' % os.path.join(self.dir, 'bird.log'), 'router id %s;' % c.router_id,
             'timeformat protocol iso long ms;', 'timeformat route iso long ms;',
             'protocol device { scan time 1; }',
             'protocol kernel { ipv4 { export all; }; merge paths on limit 16; }',
             'protocol kernel { ipv6 { export all; }; merge paths on limit 16; }']
        if self.bfd:
            b = self.bfd
            L.append('protocol bfd { interface "*" { min rx interval %d ms; min tx interval %d ms; multiplier %d; }; }'
                     % (b.interval_ms, b.interval_ms, b.mult))
        for i, p in enumerate(c.peers):
            L += ['protocol bgp %s {' % self.proto(i),
                  '  local %s port %d as %d;' % (p.local_address, c.port, c.asn),
                  '  neighbor %s port %d as %d;' % (p.address, p.port, p.asn),
                  '  hold time %d;' % p.hold_time, '  keepalive time %d;' % p.keepalive_time,
                  '  connect delay time %d;' % p.connect_retry, '  connect retry time %d;' % p.connect_retry,
                  '  error wait time %d, %d;' % (p.connect_retry, max(p.connect_retry, 10)),
                  '  %s { import all; export none; };' % ('ipv6' if ':' in p.address else 'ipv4')] + \
                (['  bfd on;'] if self.bfd and p.address in self.bfd.peers else []) + ['}']
        conf = os.path.join(self.dir, 'bird.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(L) + '\n')
        p = self.ns.popen(['bird', '-f', '-c', conf, '-s', self.sock, '-P', os.path.join(self.dir, 'bird.pid')],
                          log_path=os.path.join(self.dir, 'bird.out'))
        self.procs.append(p)
        routers.wait_for(lambda: p.poll() is not None or self.birdc('show status', check=False).returncode == 0,
                         20, 'bird control socket did not come up', interval=0.05)
        if p.poll() is not None:
            raise RuntimeError('bird exited: %s' % self.log_tail())

    def rib_text(self):
        return self.birdc('show route all', check=False).stdout


TORS = {'frr': FrrTor, 'bird': BirdTor}


def _routes(ns, *selector, family=4):
    """`ip -j route show` of the namespace's main IPv4 (IPv6) table as a list of dicts."""
    out = ns.run(['ip', '-j', '-%d' % family, 'route', 'show', 'table', 'main', *selector], check=False).stdout
    try:
        return json.loads(out or '[]')
    except ValueError:
        return []


def _gateways(route):
    """(gateway, weight) of each next hop; a single next hop has the kernel's weight 1."""
    if route.get('gateway'):
        yield route['gateway'], 1
    for h in route.get('nexthops', []):
        if h.get('gateway'):
            yield h['gateway'], h.get('weight', 1)


def fib(ns, family=4):
    """The namespace's IPv4 (IPv6) FIB as {prefix: frozenset(gateways)}, routes with a
    gateway only (connected routes have none). Host routes show as '198.51.100.1': they
    become '/32' ('/128')."""
    table = {}
    for r in _routes(ns, family=family):
        dst = r.get('dst', '')
        if dst == 'default' or not dst:
            continue
        hops = frozenset(g for g, _ in _gateways(r))
        if hops:
            table[dst if '/' in dst else dst + ('/128' if family == 6 else '/32')] = hops
    return table


def fib_weights(ns, prefix):
    """{gateway: weight} of the route to `prefix` in the namespace's FIB."""
    return {g: w for r in _routes(ns, prefix) for g, w in _gateways(r)}


def fib_text(ns, family=4):
    return ns.run(['ip', '-%d' % family, 'route', 'show', 'table', 'main'], check=False).stdout


def missing_binaries():
    return [b for cls in TORS.values() for b in cls.missing_binaries()]
