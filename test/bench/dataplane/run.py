#!/usr/bin/env python3
"""The dataplane benchmark: bgplb's module against kube-proxy's iptables (nft backend)
and nftables modes, built in the same run on the same topology (README.md).

    cli [c0 198.18.1.2] -- [l0 198.18.1.1] lb [l1 .2.1] -- [b1 198.18.2.2] be1
                                              [l2 .3.1] -- [b2 198.18.3.2] be2
    service 198.19.0.10:80 (TCP and UDP) -> 198.18.2.2:8080, 198.18.3.2:8080

Every receiver runs the same XDP counting sink. Frames are injected "as received by l0"
with BPF_PROG_RUN live frames (NIC-like receive, no sender cost): the kube-proxy modes
get them through XDP_PASS into the stack, the module through its own ingress.
Addresses are RFC 2544 benchmarking ones, only inside namespaces this script creates.

    sudo python3 test/bench/dataplane/run.py [--rounds 3] [--build build] [--quick]
"""
import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kube_rules  # noqa: E402

VIP, PORT, TARGET = '198.19.0.10', 80, 8080
BACKENDS = ['198.18.2.2', '198.18.3.2']
CLIENT = '198.18.1.2'
OTHER = '198.19.9.9'  # a destination no service has


def sh(argv, check=True, timeout=300, input=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode:
        raise RuntimeError('%s: %s' % (' '.join(argv), (r.stderr or r.stdout).strip()))
    return r.stdout


class Bench:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.tool = os.path.join(self.build, 'dataplane/test/dataplane_tool')
        self.dpb = os.path.join(self.build, 'test/bench/dataplane/dp_bench')
        self.gen_o = os.path.join(self.build, 'test/bench/dataplane/bench_gen.bpf.o')
        self.sink_o = os.path.join(self.build, 'test/bench/dataplane/bench_sink.bpf.o')
        for f in (self.tool, self.dpb, self.gen_o, self.sink_o):
            if not os.path.exists(f):
                sys.exit('missing %s: ninja -C %s first' % (f, build))
        self.tag = 'dpb%s' % secrets.token_hex(3)
        self.live = []
        self.endpoint_change_ms = []

    # ---- topology -------------------------------------------------------------------

    def ns(self, short):
        return '%s-%s' % (self.tag, short)

    def x(self, short, *argv, **kw):
        return sh(['ip', 'netns', 'exec', self.ns(short)] + list(argv), **kw)

    def pin(self, what):
        return '/sys/fs/bpf/%s-%s' % (self.tag, what)

    def up(self):
        self.down()
        for n in ('cli', 'lb', 'be1', 'be2'):
            sh(['ip', 'netns', 'add', self.ns(n)])
            self.live.append(n)
            self.x(n, 'ip', 'link', 'set', 'lo', 'up')
            self.x(n, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0')
        links = [('cli', 'c0', 'lb', 'l0'), ('be1', 'b1', 'lb', 'l1'), ('be2', 'b2', 'lb', 'l2')]
        for a, ai, b, bi in links:
            sh(['ip', 'link', 'add', ai, 'netns', self.ns(a), 'type', 'veth', 'peer', 'name', bi, 'netns', self.ns(b)])
            for n, i in ((a, ai), (b, bi)):
                self.x(n, 'ip', 'link', 'set', i, 'up')
                self.x(n, 'ethtool', '-K', i, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off')
        addrs = [('cli', 'c0', CLIENT), ('lb', 'l0', '198.18.1.1'), ('lb', 'l1', '198.18.2.1'),
                 ('lb', 'l2', '198.18.3.1'), ('be1', 'b1', BACKENDS[0]), ('be2', 'b2', BACKENDS[1])]
        for n, i, a in addrs:
            self.x(n, 'ip', 'addr', 'add', a + '/24', 'dev', i)
        self.x('cli', 'ip', 'route', 'add', 'default', 'via', '198.18.1.1')
        self.x('be1', 'ip', 'route', 'add', 'default', 'via', '198.18.2.1')
        self.x('be2', 'ip', 'route', 'add', 'default', 'via', '198.18.3.1')
        self.x('lb', 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
        self.x('cli', 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535')
        mac = lambda n, i: self.x(n, 'cat', '/sys/class/net/%s/address' % i).strip()
        neigh = [('lb', 'l0', CLIENT, 'cli', 'c0'), ('lb', 'l1', BACKENDS[0], 'be1', 'b1'),
                 ('lb', 'l2', BACKENDS[1], 'be2', 'b2'), ('cli', 'c0', '198.18.1.1', 'lb', 'l0'),
                 ('be1', 'b1', '198.18.2.1', 'lb', 'l1'), ('be2', 'b2', '198.18.3.1', 'lb', 'l2')]
        for n, i, a, pn, pi in neigh:  # no neighbour resolution inside a measurement
            self.x(n, 'ip', 'neigh', 'replace', a, 'lladdr', mac(pn, pi), 'dev', i, 'nud', 'permanent')
        self.c0_mac = mac('cli', 'c0')
        for n, i in (('cli', 'c0'), ('be1', 'b1'), ('be2', 'b2')):
            sh([self.dpb, 'sink', '--netns', self.ns(n), '--obj', self.sink_o, '--pin', self.mkpin(i), '--iface', i])

    def mkpin(self, what):
        os.makedirs(self.pin(what), exist_ok=True)
        return self.pin(what)

    def down(self):
        if os.path.isdir(self.pin('lb')):
            sh([self.tool, 'uninstall', '--pin-root', self.pin('lb')], check=False)
        for what in ('c0', 'b1', 'b2', 'lb', 'gen'):
            sh(['rm', '-rf', self.pin(what)], check=False)
        for n in self.live:
            sh(['ip', 'netns', 'del', self.ns(n)], check=False)
        self.live = []

    # ---- scenarios ------------------------------------------------------------------

    def setup(self, scenario, services):
        """Installs one contender on lb; returns the seconds the install took."""
        extra = services - 1
        t0 = time.time()
        if scenario == 'ipt-nft':
            self.x('lb', 'iptables-nft-restore', input=kube_rules.iptables(VIP, PORT, BACKENDS, TARGET, extra))
        elif scenario == 'nft':
            self.x('lb', 'nft', '-f', '-', input=kube_rules.nftables(VIP, PORT, BACKENDS, TARGET, extra))
        elif scenario.startswith('bgplb'):
            state = {'node_v4': '198.18.1.1', 'maglev_size': 65537, 'services': []}
            for proto in ('tcp', 'udp'):
                state['services'].append({'name': 'bench/%s' % proto, 'proto': proto, 'frontends': ['%s:%d' % (VIP, PORT)],
                                          'backends': [{'addr': b, 'port': TARGET} for b in BACKENDS]})
            for i in range(extra):
                lb_ip, ep = kube_rules.dummy(i)
                state['services'].append({'name': 'other-%d' % i, 'proto': 'tcp', 'frontends': ['%s:80' % lb_ip],
                                          'backends': [{'addr': ep, 'port': 8080}]})
            path = '/tmp/%s-state.json' % self.tag
            with open(path, 'w') as f:
                json.dump(state, f)
            pin = self.pin('lb')
            common = ['--netns', self.ns('lb'), '--pin-root', pin, '--max-services', str(max(1024, 2 * services)),
                      '--conntrack', '262144']
            attach = [self.tool, 'attach', '--mode', 'xdp', '--iface', 'l0'] + common
            if scenario == 'bgplb':
                attach.append('--redirect-local')
            sh(attach)
            report = json.loads(sh([self.tool, 'apply', '--state', path] + common))
            # one endpoint of the benchmark's service changes, and changes back
            for ep in ('198.18.2.9', BACKENDS[1]):
                state['services'][0]['backends'][1]['addr'] = ep
                with open(path, 'w') as f:
                    json.dump(state, f)
                change = json.loads(sh([self.tool, 'apply', '--state', path] + common))
                self.endpoint_change_ms.append(change['apply_ms'])
            os.unlink(path)
            return report['apply_ms'] / 1000  # the reconcile; loading the program is a one-off
        return time.time() - t0

    def delivered(self):
        return sum(int(sh([self.dpb, 'count', '--pin', self.pin(i)])) for i in ('b1', 'b2'))

    def live_pps(self, scenario, flows, count, dst=VIP):
        prog = {'bgplb': 'gen_bgplb', 'bgplb-stack': 'gen_bgplb', 'xdp-tx': 'gen_tx'}.get(scenario, 'gen_pass')
        pin = self.pin('lb') if scenario.startswith('bgplb') else self.mkpin('gen')
        counter = (lambda: int(sh([self.dpb, 'count', '--pin', self.pin('c0')]))) if scenario == 'xdp-tx' else self.delivered
        before = counter()
        out = sh(['taskset', '-c', '1', self.dpb, 'live', '--netns', self.ns('lb'), '--obj', self.gen_o, '--pin', pin,
                  '--iface', 'l0', '--prog', prog, '--src', CLIENT, '--dst', dst, '--dport', str(PORT),
                  '--nflows', str(flows), '--count', str(count), '--smac', self.c0_mac])
        secs = float(out.split('secs=')[1])
        return (counter() - before) / secs

    def cps(self, secs):
        servers = [subprocess.Popen(['ip', 'netns', 'exec', self.ns(n), self.dpb, 'server', '--port', str(TARGET),
                                     '--secs', str(secs + 4)]) for n in ('be1', 'be2')]
        time.sleep(0.5)
        try:
            out = self.x('cli', self.dpb, 'client', '--dst', VIP, '--port', str(PORT), '--threads', '2', '--secs', str(secs))
        finally:
            for s in servers:
                s.wait()
        return float(out.split('conns_per_s=')[1])

    def testrun(self, prog, flows, dst=VIP, repeat=10000000):
        pin = self.pin('lb')
        out = sh(['taskset', '-c', '1', self.dpb, 'testrun', '--netns', self.ns('lb'), '--obj', self.gen_o, '--pin', pin,
                  '--iface', 'l0', '--prog', prog, '--src', CLIENT, '--dst', dst, '--dport', str(PORT),
                  '--nflows', str(flows), '--repeat', str(repeat), '--smac', self.c0_mac])
        return int(out.split('ns_per_packet=')[1].split()[0])


def median(xs):
    return statistics.median(xs) if xs else float('nan')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(HERE, '../../../build'))
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--frames', type=int, default=3000000)
    ap.add_argument('--cps-secs', type=float, default=4)
    ap.add_argument('--quick', action='store_true', help='one round, fewer frames, 1,000 services')
    ap.add_argument('--only', default='bgplb,bgplb-stack,ipt-nft,nft,xdp-tx',
                    help='the contenders to run, comma-separated (default: all); the report says n/a for the others')
    args = ap.parse_args()
    only = args.only.split(',')
    unknown = set(only) - {'bgplb', 'bgplb-stack', 'ipt-nft', 'nft', 'xdp-tx'}
    if unknown:
        sys.exit('--only: unknown contender %s' % ', '.join(sorted(unknown)))
    if os.geteuid():
        sys.exit('run as root')
    if args.quick:
        args.rounds, args.frames, args.cps_secs = 1, 1000000, 2
    many = 1000 if args.quick else 10000
    b = Bench(args.build)
    results = {}  # (scenario, services, test, flows) -> [values]
    add = lambda k, v: results.setdefault(k, []).append(v)
    print('# %s, %d cpus, load %s' % (os.uname().release, os.cpu_count(), open('/proc/loadavg').read().split()[0]), flush=True)
    try:
        for rnd in range(args.rounds):
            for scenario in (s for s in ('bgplb', 'bgplb-stack', 'ipt-nft', 'nft') if s in only):
                for services in (1, many):
                    b.up()
                    install = b.setup(scenario, services)
                    add((scenario, services, 'install_s', 0), install)
                    for flows in (1, 64000):
                        v = b.live_pps(scenario, flows, args.frames)
                        add((scenario, services, 'pps', flows), v)
                        print('RESULT round=%d scenario=%s services=%d test=pps flows=%d value=%.0f'
                              % (rnd, scenario, services, flows, v), flush=True)
                    if scenario != 'bgplb-stack':
                        v = b.cps(args.cps_secs)
                        add((scenario, services, 'cps', 0), v)
                        print('RESULT round=%d scenario=%s services=%d test=cps value=%.0f' % (rnd, scenario, services, v), flush=True)
                    if scenario == 'bgplb' and services == 1:
                        for name, prog, flows, dst in (('gen', 'gen_drop', 1, VIP), ('ct_hit', 'gen_bgplb', 1, VIP),
                                                       ('ct_hit_64k', 'gen_bgplb', 64000, VIP),
                                                       ('not_a_service', 'gen_bgplb', 1, OTHER)):
                            v = b.testrun(prog, flows, dst)
                            add(('testrun', 1, name, flows), v)
                            print('RESULT round=%d testrun=%s value=%d' % (rnd, name, v), flush=True)
            if 'xdp-tx' not in only:
                continue
            b.up()
            for flows in (1, 64000):
                v = b.live_pps('xdp-tx', flows, args.frames)
                add(('xdp-tx', 0, 'pps', flows), v)
                print('RESULT round=%d scenario=xdp-tx test=pps flows=%d value=%.0f' % (rnd, flows, v), flush=True)
    finally:
        b.down()
    report(results, many, b.endpoint_change_ms)


def report(results, many, endpoint_change_ms):
    def m(*k):
        return median(results.get(k, []))

    def cell(k):
        xs = results.get(k, [])
        if not xs:
            return 'n/a'
        return '%s [%s–%s]' % (format(round(median(xs)), ','), format(round(min(xs)), ','), format(round(max(xs)), ','))

    print('\n| contender | services | pps, 1 flow | pps, 64,000 flows | TCP conn/s | install s |')
    print('|---|---|---|---|---|---|')
    for scenario in ('bgplb', 'bgplb-stack', 'ipt-nft', 'nft'):
        for services in (1, many):
            inst = results.get((scenario, services, 'install_s', 0), [])
            print('| %s | %s | %s | %s | %s | %.3f |' % (scenario, format(services, ','), cell((scenario, services, 'pps', 1)),
                                                        cell((scenario, services, 'pps', 64000)),
                                                        cell((scenario, services, 'cps', 0)), median(inst)))
    print('| xdp-tx ceiling | – | %s | %s | – | – |' % (cell(('xdp-tx', 0, 'pps', 1)), cell(('xdp-tx', 0, 'pps', 64000))))
    if endpoint_change_ms:
        print('\nbgplb install = reconcile of all services into the maps. One endpoint change of a 2-backend service '
              '(row of 65,537) by a fresh dataplane_tool process that first adopts every service (a restart), 1 and %s '
              'services: median %.2f ms [%.2f–%.2f] over %d changes (in-process figures: reconcile_bench)'
              % (format(many, ','), median(endpoint_change_ms), min(endpoint_change_ms), max(endpoint_change_ms),
                 len(endpoint_change_ms)))
    gen = m('testrun', 1, 'gen', 1)
    print('\nBPF_PROG_TEST_RUN, ns/packet (median): generator %.0f; module after the generator: conntrack hit %.0f, '
          '64,000 flows %.0f, not a service %.0f' % (gen, m('testrun', 1, 'ct_hit', 1) - gen,
                                                     m('testrun', 1, 'ct_hit_64k', 64000) - gen,
                                                     m('testrun', 1, 'not_a_service', 1) - gen))
    ours, nft, ceiling = m('bgplb', many, 'pps', 64000), m('nft', many, 'pps', 64000), m('xdp-tx', 0, 'pps', 64000)
    print('targets at %s services x 64,000 flows: bgplb/nft = %.2f (>= 2.5), bgplb/XDP_TX = %.0f%% (>= 40%%); '
          'conntrack hit %.0f ns (< 100); conn/s bgplb/nft = %.2f (>= 1)'
          % (format(many, ','), ours / nft, 100 * ours / ceiling, m('testrun', 1, 'ct_hit', 1) - gen,
             m('bgplb', many, 'cps', 0) / m('nft', many, 'cps', 0)))


if __name__ == '__main__':
    main()
