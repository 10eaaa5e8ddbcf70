"""The real routers our speaker must interoperate with, each run inside a test namespace
with a generated config in a temp dir, and read through its own CLI.

    r = make_router('frr', ns, RouterConfig(asn=65002, router_id='10.0.0.2',
                                            peers=[PeerConfig('10.0.0.1', 65001, '10.0.0.2')]))
    r.start()
    r.wait_session('10.0.0.1')
    r.routes('ipv4')  -> {'10.1.0.1/32': Route(...)}
    r.stop()

Every router answers the same questions with the same types:
  sessions()          {peer address: Session(state, ...)} (state in lower-case RFC 4271 words)
  routes(family)      {prefix: Route} learned from our speaker (one path per prefix)
  refresh_in(peer)    make the router send ROUTE-REFRESH (RFC 2918) to the peer
  counters(peer)      {'updates_received': n, 'refresh_sent': n or None}
  pause()/resume()    SIGSTOP/SIGCONT the BGP daemon (hold timer tests)

Daemons: gobgpd (TOML, gRPC on 127.0.0.1 inside the namespace, `gobgp` CLI run there too),
BIRD 2 (`bird -f`, control socket in the temp dir, `birdc -s`), FRR 8.4 (zebra + bgpd in the
foreground as user frr, zserv and vty sockets in the temp dir, `vtysh --vty_socket`).
"""
import dataclasses
import grp
import ipaddress
import json
import os
import pwd
import re
import shutil
import signal
import time

import netns

STATES = ('idle', 'connect', 'active', 'opensent', 'openconfirm', 'established')
GSHUT = '65535:0'


@dataclasses.dataclass
class PeerConfig:
    """The router's view of one neighbor (our speaker)."""
    address: str                    # the speaker's address
    asn: int                        # the speaker's AS
    local_address: str              # the router's own address on the session
    passive: bool = False
    password: str | None = None     # TCP MD5 (RFC 2385)
    hold_time: int = 9
    keepalive: int | None = None    # default hold_time // 3
    connect_retry: int = 1
    graceful_restart: bool = True   # helper (receiving speaker) mode
    families: tuple = ('ipv4', 'ipv6')
    port: int = 179                 # the speaker's port
    extended_nexthop: bool = False  # RFC 8950 capability (FRR `capability extended-nexthop`)

    @property
    def keepalive_time(self):
        return self.keepalive if self.keepalive is not None else max(1, self.hold_time // 3)


@dataclasses.dataclass
class RouterConfig:
    asn: int
    router_id: str
    peers: list
    port: int = 179


@dataclasses.dataclass
class Session:
    peer: str
    state: str                      # one of STATES ('' if unknown)
    raw: object = None              # the router's own record, for failure messages


@dataclasses.dataclass
class Route:
    prefix: str
    next_hop: str | None
    as_path: list
    communities: list               # 'a:b' strings, sorted
    large_communities: list         # 'a:b:c' strings, sorted
    med: int | None
    local_pref: int | None
    origin: str | None              # 'igp' | 'egp' | 'incomplete'
    stale: bool = False
    peer: str | None = None


def _family(prefix):
    return 'ipv6' if ':' in prefix else 'ipv4'


class Router:
    kind = '?'
    binaries = ()
    supports_md5 = True
    supports_refresh_trigger = True

    def __init__(self, ns, config, workdir=None):
        self.ns, self.config = ns, config
        self.dir = workdir or netns.make_tempdir(self.kind)
        self._own_dir = workdir is None
        self.procs = []

    @classmethod
    def missing_binaries(cls):
        return [b for b in cls.binaries if not (shutil.which(b) or os.access(b, os.X_OK))]

    # ---- lifecycle
    def start(self):
        raise NotImplementedError

    def stop(self):
        for p in reversed(self.procs):
            netns.stop_process(p)
        self.procs = []

    def close(self):
        self.stop()
        if self._own_dir:
            netns.remove_tempdir(self.dir)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def pause(self):
        self.procs[-1].send_signal(signal.SIGSTOP)

    def resume(self):
        self.procs[-1].send_signal(signal.SIGCONT)

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def log_tail(self, n=40):
        out = []
        for fn in sorted(os.listdir(self.dir)):
            if fn.endswith(('.log', '.out')):
                try:
                    with open(os.path.join(self.dir, fn), errors='replace') as f:
                        lines = f.read().splitlines()
                except OSError:
                    continue
                out.append('--- %s/%s (last %d lines)' % (self.kind, fn, n))
                out += lines[-n:]
        return '\n'.join(out)

    # ---- views
    def sessions(self):
        raise NotImplementedError

    def session_state(self, peer):
        s = self.sessions().get(peer)
        return s.state if s else ''

    def routes(self, family):
        raise NotImplementedError

    def all_routes(self):
        r = {}
        for fam in ('ipv4', 'ipv6'):
            r.update(self.routes(fam))
        return r

    def refresh_in(self, peer):
        raise NotImplementedError

    def counters(self, peer):
        raise NotImplementedError

    # ---- waiting
    def wait_session(self, peer, state='established', timeout=30):
        return wait_for(lambda: self.session_state(peer) == state, timeout,
                        lambda: '%s: session with %s not %s (now %r)' % (
                            self.kind, peer, state, self.session_state(peer)))

    def wait_routes(self, pred, family=None, timeout=20, what='routes'):
        """Poll routes until pred(routes) is true; returns the routes."""
        box = {}

        def check():
            box['r'] = self.routes(family) if family else self.all_routes()
            return pred(box['r'])
        wait_for(check, timeout, lambda: '%s: %s not seen; routes now %r' % (self.kind, what, box.get('r')))
        return box['r']


def wait_for(cond, timeout, message, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)


# ======================================================================= gobgpd
GOBGP_STATES = {1: 'idle', 2: 'connect', 3: 'active', 4: 'opensent', 5: 'openconfirm', 6: 'established'}
GOBGP_API = ('127.0.0.1', 50051)    # inside the router's own namespace


def gobgp_toml(asn, router_id, port, neighbors, listen=None):
    """gobgpd TOML. neighbors: list of dicts with address, asn, local_address, passive,
    password, hold_time, keepalive, connect_retry, families, port, gr (None | 'helper' |
    restart_time int), admin_down, multihop_ttl."""
    L = ['[global.config]', '  as = %d' % asn, '  router-id = "%s"' % router_id, '  port = %d' % port]
    if listen:
        L.append('  local-address-list = ["%s"]' % listen)
    for n in neighbors:
        L += ['[[neighbors]]', '  [neighbors.config]',
              '    neighbor-address = "%s"' % n['address'], '    peer-as = %d' % n['asn']]
        if n.get('password'):
            L.append('    auth-password = "%s"' % n['password'])
        if n.get('admin_down'):
            L.append('    admin-down = true')
        L += ['  [neighbors.timers.config]', '    connect-retry = %d' % n.get('connect_retry', 1),
              '    hold-time = %d' % n['hold_time'], '    keepalive-interval = %d' % n['keepalive'],
              '    idle-hold-time-after-reset = 1',
              '  [neighbors.transport.config]', '    local-address = "%s"' % n['local_address'],
              '    remote-port = %d' % n.get('port', 179)]
        if n.get('passive'):
            L.append('    passive-mode = true')
        if n.get('multihop_ttl', 1) > 1:
            L += ['  [neighbors.ebgp-multihop.config]', '    enabled = true',
                  '    multihop-ttl = %d' % n['multihop_ttl']]
        gr = n.get('gr')
        if gr is not None:
            L += ['  [neighbors.graceful-restart.config]', '    enabled = true']
            if gr == 'helper':
                L.append('    helper-only = true')
            else:
                L.append('    restart-time = %d' % gr)
        for fam in n.get('families', ('ipv4', 'ipv6')):
            L += ['  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]',
                  '      afi-safi-name = "%s-unicast"' % fam]
            if gr is not None:
                L += ['    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true']
    return '\n'.join(L) + '\n'


def gobgp_cli(ns, args, check=True, timeout=20):
    return ns.run(['gobgp', '-u', GOBGP_API[0], '-p', str(GOBGP_API[1])] + list(args),
                  check=check, timeout=timeout)


def gobgp_wait_api(ns, proc, timeout=20):
    def up():
        if proc.poll() is not None:
            raise RuntimeError('gobgpd exited with %s' % proc.returncode)
        return gobgp_cli(ns, ['global'], check=False).returncode == 0
    wait_for(up, timeout, 'gobgpd API did not come up', interval=0.05)


def _community_str(v):
    return '%d:%d' % (v >> 16, v & 0xffff)


def gobgp_parse_path(prefix, p):
    rt = Route(prefix=prefix, next_hop=None, as_path=[], communities=[], large_communities=[], med=None,
               local_pref=None, origin=None, stale=bool(p.get('stale')), peer=p.get('neighbor-ip'))
    for a in p.get('attrs', []):
        t = a.get('type')
        if t == 1:
            rt.origin = {0: 'igp', 1: 'egp', 2: 'incomplete'}.get(a.get('value'))
        elif t == 2:
            for seg in a.get('as_paths', []):
                rt.as_path += seg.get('asns', [])
        elif t == 3:
            rt.next_hop = a.get('nexthop')
        elif t == 4:
            rt.med = a.get('metric')
        elif t == 5:
            rt.local_pref = a.get('value')
        elif t == 8:
            rt.communities = sorted(_community_str(c) for c in a.get('communities', []))
        elif t == 14:
            rt.next_hop = a.get('nexthop')
        elif t == 32:
            rt.large_communities = sorted('%d:%d:%d' % (c['ASN'], c['LocalData1'], c['LocalData2'])
                                          for c in a.get('value', []))
    return rt


class GoBGP(Router):
    kind = 'gobgpd'
    binaries = ('gobgpd', 'gobgp')
    supports_refresh_trigger = False    # see refresh_in

    def start(self):
        c = self.config
        nbrs = [dict(address=p.address, asn=p.asn, local_address=p.local_address, passive=p.passive,
                     password=p.password, hold_time=p.hold_time, keepalive=p.keepalive_time,
                     connect_retry=p.connect_retry, families=p.families, port=p.port,
                     gr='helper' if p.graceful_restart else None) for p in c.peers]
        conf = os.path.join(self.dir, 'gobgpd.toml')
        with open(conf, 'w') as f:
            f.write(gobgp_toml(c.asn, c.router_id, c.port, nbrs))
        p = self.ns.popen(['gobgpd', '-f', conf, '-p', '--pprof-disable', '-l', 'debug',
                           '--api-hosts', '%s:%d' % GOBGP_API], log_path=os.path.join(self.dir, 'gobgpd.log'))
        self.procs.append(p)
        gobgp_wait_api(self.ns, p)

    def cli(self, *args, check=True):
        return gobgp_cli(self.ns, args, check=check)

    def neighbors_json(self):
        r = self.cli('neighbor', '-j', check=False)
        try:
            return json.loads(r.stdout) or []
        except ValueError:
            return []

    def sessions(self):
        out = {}
        for n in self.neighbors_json():
            st = n.get('state', {})
            addr = st.get('neighbor_address') or n.get('conf', {}).get('neighbor_address')
            out[addr] = Session(addr, GOBGP_STATES.get(st.get('session_state'), ''), n)
        return out

    def routes(self, family):
        r = self.cli('global', 'rib', '-a', family, '-j', check=False)
        try:
            rib = json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError:
            return {}
        out = {}
        peers = {p.address for p in self.config.peers}
        for prefix, paths in (rib or {}).items():
            for p in paths:
                if p.get('neighbor-ip') in peers:
                    out[prefix] = gobgp_parse_path(prefix, p)
        return out

    def refresh_in(self, peer):
        # gobgpd 3.10's `neighbor X softresetin` re-runs import policy over its own Adj-RIB-In
        # and sends no ROUTE-REFRESH message (checked on the wire), so it cannot trigger one.
        self.cli('neighbor', peer, 'softresetin')

    def counters(self, peer):
        for n in self.neighbors_json():
            if n.get('state', {}).get('neighbor_address') == peer:
                m = n['state'].get('messages', {})
                return {'updates_received': m.get('received', {}).get('update', 0),
                        'refresh_sent': m.get('sent', {}).get('refresh')}
        return {'updates_received': 0, 'refresh_sent': None}


# ======================================================================= BIRD 2
BIRD_STATES = {'Idle': 'idle', 'Connect': 'connect', 'Active': 'active', 'OpenSent': 'opensent',
               'OpenConfirm': 'openconfirm', 'Established': 'established', 'Close': 'idle'}


class Bird(Router):
    kind = 'bird'
    binaries = ('bird', 'birdc')

    def proto(self, i):
        return 'p%d' % i

    def _proto_of(self, peer):
        for i, p in enumerate(self.config.peers):
            if p.address == peer:
                return self.proto(i)
        raise KeyError(peer)

    def start(self):
        c = self.config
        self.sock = os.path.join(self.dir, 'bird.ctl')
        L = ['log "%s" all;' % os.path.join(self.dir, 'bird.log'), 'router id %s;' % c.router_id,
             'timeformat protocol iso long ms;', 'timeformat route iso long ms;',
             'protocol device { scan time 1; }']
        for i, p in enumerate(c.peers):
            ibgp = p.asn == c.asn
            L += ['protocol bgp %s {' % self.proto(i),
                  '  local %s port %d as %d;' % (p.local_address, c.port, c.asn),
                  '  neighbor %s port %d as %d;' % (p.address, p.port, p.asn),
                  '  hold time %d;' % p.hold_time, '  keepalive time %d;' % p.keepalive_time,
                  '  connect delay time %d;' % p.connect_retry, '  connect retry time %d;' % p.connect_retry,
                  '  error wait time %d, %d;' % (p.connect_retry, max(p.connect_retry, 10)),
                  '  graceful restart %s;' % ('aware' if p.graceful_restart else 'off')]
            if ibgp:
                L.append('  direct;')       # iBGP over the shared link: no multihop, direct next hops
            if p.passive:
                L.append('  passive on;')
            if p.password:
                L.append('  password "%s";' % p.password)
            for fam in p.families:
                L.append('  %s { import all; export none; };' % fam)
            L.append('}')
        conf = os.path.join(self.dir, 'bird.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(L) + '\n')
        p = self.ns.popen(['bird', '-f', '-c', conf, '-s', self.sock, '-P', os.path.join(self.dir, 'bird.pid')],
                          log_path=os.path.join(self.dir, 'bird.out'))
        self.procs.append(p)
        wait_for(lambda: p.poll() is not None or self.birdc('show status', check=False).returncode == 0, 20,
                 'bird control socket did not come up', interval=0.05)
        if p.poll() is not None:
            raise RuntimeError('bird exited: %s' % self.log_tail())

    def birdc(self, cmd, check=True):
        return netns.run(['birdc', '-s', self.sock] + cmd.split(), check=check)

    def sessions(self):
        out = {}
        for i, p in enumerate(self.config.peers):
            txt = self.birdc('show protocols all %s' % self.proto(i), check=False).stdout
            m = re.search(r'BGP state:\s+(\S+)', txt)
            out[p.address] = Session(p.address, BIRD_STATES.get(m.group(1), '') if m else '', txt)
        return out

    def routes(self, family):
        out = {}
        for i, p in enumerate(self.config.peers):
            table = 'master4' if family == 'ipv4' else 'master6'
            txt = self.birdc('show route all table %s protocol %s' % (table, self.proto(i)), check=False).stdout
            # BIRD 2.0.12 marks only LLGR-stale routes in `show route` ("(100s)"). During RFC 4724
            # graceful restart the protocol says "Neighbor graceful restart active" until every
            # channel has its End-of-RIB: until then all of its routes are stale.
            gr = 'graceful restart active' in self.birdc('show protocols all %s' % self.proto(i),
                                                         check=False).stdout
            for rt in parse_bird_routes(txt):
                rt.peer = p.address
                rt.stale = rt.stale or gr
                out[rt.prefix] = rt
        return out

    def refresh_in(self, peer):
        self.birdc('reload in %s' % self._proto_of(peer))

    def counters(self, peer):
        txt = self.birdc('show protocols all %s' % self._proto_of(peer), check=False).stdout
        n = sum(int(x) for x in re.findall(r'Import updates:\s+(\d+)', txt))
        return {'updates_received': n, 'refresh_sent': None}


_BIRD_RTE = re.compile(r'^(\S+)?\s+(unicast|unreachable|blackhole|prohibited)\s+\[(\S+)[^\]]*\]\s*(\*)?\s*\((\d+)(s?)')


def parse_bird_routes(txt):
    """`show route all` text -> [Route]. A route line starts with the prefix (or blanks for a
    second route of the same prefix); attribute lines start with a tab."""
    routes, cur, prefix = [], None, None
    for ln in txt.splitlines():
        m = _BIRD_RTE.match(ln)
        if m:
            prefix = m.group(1) or prefix
            cur = Route(prefix=prefix, next_hop=None, as_path=[], communities=[], large_communities=[],
                        med=None, local_pref=None, origin=None, stale=m.group(6) == 's')
            routes.append(cur)
            continue
        if cur is None:
            continue
        s = ln.strip()
        k, _, v = s.partition(': ')
        if k == 'BGP.origin':
            cur.origin = v.strip().lower()
        elif k == 'BGP.as_path':
            cur.as_path = [int(x) for x in re.findall(r'\d+', v)]
        elif k == 'BGP.next_hop':
            cur.next_hop = v.split()[0] if v.split() else None
        elif k == 'BGP.med':
            cur.med = int(v)
        elif k == 'BGP.local_pref':
            cur.local_pref = int(v)
        elif k == 'BGP.community':
            cur.communities = sorted('%s:%s' % t for t in re.findall(r'\((\d+),\s*(\d+)\)', v))
        elif k == 'BGP.large_community':
            cur.large_communities = sorted('%s:%s:%s' % t for t in re.findall(r'\((\d+),\s*(\d+),\s*(\d+)\)', v))
    return routes


# ======================================================================= FRR
FRR_STATES = {'Idle': 'idle', 'Connect': 'connect', 'Active': 'active', 'OpenSent': 'opensent',
              'OpenConfirm': 'openconfirm', 'Established': 'established', 'Clearing': 'idle', 'Deleted': 'idle'}


class FRR(Router):
    kind = 'frr'
    binaries = ('/usr/lib/frr/zebra', '/usr/lib/frr/bgpd', 'vtysh')

    def start(self):
        zc = self.write_zebra_conf(self.ns.name)
        self.launch(zc, self.bgpd_lines(self.ns.name, router=[' bgp graceful-restart stalepath-time 300']))

    def write_zebra_conf(self, hostname):
        """zebra.conf in the router's directory, which the daemons (running as frr) own."""
        uid, gid = pwd.getpwnam('frr').pw_uid, grp.getgrnam('frr').gr_gid
        os.chown(self.dir, uid, gid)        # the daemons run as frr and write pid files here
        zc = os.path.join(self.dir, 'zebra.conf')
        with open(zc, 'w') as f:
            f.write('hostname %s\nlog file %s/zebra.log informational\n' % (hostname, self.dir))
        return zc

    def bgpd_lines(self, hostname, debug=(), router=(), families=('ipv4', 'ipv6'), per_family=()):
        """bgpd.conf for self.config: `debug` and `router` lines added to the common ones,
        each of `families` activated for the peers that carry it, with `per_family` lines."""
        c, d = self.config, self.dir
        L = ['frr defaults traditional', 'hostname %s' % hostname,
             'log file %s/bgpd.log debugging' % d, 'log timestamp precision 3',
             'debug bgp neighbor-events', 'debug bgp updates in', *debug,
             'router bgp %d' % c.asn, ' bgp router-id %s' % c.router_id,
             ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' no bgp network import-check',
             *router]
        for p in c.peers:
            a = p.address
            L += [' neighbor %s remote-as %d' % (a, p.asn),
                  ' neighbor %s update-source %s' % (a, p.local_address),
                  ' neighbor %s timers %d %d' % (a, p.keepalive_time, p.hold_time),
                  ' neighbor %s timers connect %d' % (a, p.connect_retry)]
            if p.port != 179:
                L.append(' neighbor %s port %d' % (a, p.port))
            if p.passive:
                L.append(' neighbor %s passive' % a)
            if p.password:
                L.append(' neighbor %s password %s' % (a, p.password))
            if not p.graceful_restart:
                L.append(' neighbor %s graceful-restart-disable' % a)
            if p.extended_nexthop:
                L.append(' neighbor %s capability extended-nexthop' % a)
        for fam in families:
            act = [p for p in c.peers if fam in p.families]
            if act:
                L.append(' address-family %s unicast' % fam)
                L += ['  neighbor %s activate' % p.address for p in act]
                L += list(per_family)
                L.append(' exit-address-family')
        return L

    def launch(self, zc, bgpd_lines):
        """Writes bgpd.conf, starts zebra (config `zc`) and bgpd, waits for bgpd's vty."""
        c, d = self.config, self.dir
        bc = os.path.join(d, 'bgpd.conf')
        with open(bc, 'w') as f:
            f.write('\n'.join(bgpd_lines) + '\n')
        for fn in (zc, bc):
            os.chmod(fn, 0o644)
        zsock = os.path.join(d, 'zserv.api')
        common = ['--vty_socket', d, '-P', '0', '-z', zsock]
        z = self.ns.popen(['/usr/lib/frr/zebra', '-f', zc, '-i', os.path.join(d, 'zebra.pid')] + common,
                          log_path=os.path.join(d, 'zebra.out'))
        self.procs.append(z)
        wait_for(lambda: z.poll() is not None or os.path.exists(zsock), 20, 'zebra did not come up', 0.05)
        if z.poll() is not None:
            raise RuntimeError('zebra exited: %s' % self.log_tail())
        b = self.ns.popen(['/usr/lib/frr/bgpd', '-f', bc, '-i', os.path.join(d, 'bgpd.pid'),
                           '-p', str(c.port)] + common, log_path=os.path.join(d, 'bgpd.out'))
        self.procs.append(b)
        wait_for(lambda: b.poll() is not None or self.vtysh('show bgp summary json', check=False).returncode == 0,
                 20, 'bgpd vty did not come up', 0.05)
        if b.poll() is not None:
            raise RuntimeError('bgpd exited: %s' % self.log_tail())

    def vtysh(self, cmd, check=True):
        return netns.run(['vtysh', '--vty_socket', self.dir, '-d', 'bgpd', '-c', cmd], check=check)

    def vjson(self, cmd):
        r = self.vtysh(cmd, check=False)
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError:
            return {}

    def sessions(self):
        js = self.vjson('show bgp neighbors json')
        out = {}
        for p in self.config.peers:
            n = js.get(p.address)
            st = FRR_STATES.get(n.get('bgpState'), '') if n else ''
            out[p.address] = Session(p.address, st, n)
        return out

    def routes(self, family):
        js = self.vjson('show bgp %s unicast json detail' % family)
        peers = {p.address for p in self.config.peers}
        out = {}
        for prefix, entries in (js.get('routes') or {}).items():
            for e in entries:
                if 'prefix' in e and 'aspath' not in e:
                    continue        # FRR 8.4 puts the prefix header first in the list
                peer = (e.get('peer') or {}).get('peerId')
                if peer not in peers:
                    continue
                out[prefix] = frr_parse_path(prefix, e)
        return out

    def refresh_in(self, peer):
        for fam in {f for p in self.config.peers for f in p.families}:
            self.vtysh('clear bgp %s unicast %s in' % (fam, peer))

    def counters(self, peer):
        n = self.vjson('show bgp neighbors %s json' % peer).get(peer) or {}
        m = n.get('messageStats', {})
        return {'updates_received': m.get('updatesRecv', 0), 'refresh_sent': m.get('routeRefreshSent')}


def frr_parse_path(prefix, e):
    nh = None
    for h in e.get('nexthops', []):
        if h.get('scope') != 'link-local':
            nh = h.get('ip')
            break
    asp = []
    for seg in (e.get('aspath') or {}).get('segments', []):
        asp += seg.get('list', [])
    return Route(prefix=prefix, next_hop=nh, as_path=asp,
                 communities=sorted(normalize_community(c) for c in (e.get('community') or {}).get('list', [])),
                 large_communities=sorted((e.get('largeCommunity') or {}).get('list', [])),
                 med=e.get('metric'), local_pref=e.get('locPrf'),
                 origin=(e.get('origin') or '').lower() or None, stale=bool(e.get('stale')),
                 peer=(e.get('peer') or {}).get('peerId'))


ROUTERS = {'gobgpd': GoBGP, 'bird': Bird, 'frr': FRR}


def make_router(kind, ns, config, workdir=None):
    return ROUTERS[kind](ns, config, workdir)


def normalize_community(c):
    """'graceful-shutdown' and friends -> 'a:b' as the routers print them."""
    return _WELL_KNOWN.get(c, c)


# RFC 1997 / IANA well-known communities under the names the routers print them with
# (FRR's JSON "list" uses camelCase, its "string" and gobgp's CLI use dashes).
_WELL_KNOWN = {}
for _v, _names in {0: ('graceful-shutdown', 'gracefulShutdown', 'gshut'), 1: ('accept-own', 'acceptOwn'),
                   6: ('llgr-stale', 'llgrStale'), 7: ('no-llgr', 'noLlgr'), 666: ('blackhole',),
                   65281: ('no-export', 'noExport'), 65282: ('no-advertise', 'noAdvertise'),
                   65283: ('local-AS', 'localAs', 'no-export-subconfed'), 65284: ('no-peer', 'noPeer')}.items():
    for _n in _names:
        _WELL_KNOWN[_n] = '65535:%d' % _v


def addr_family(a):
    return 'ipv6' if ipaddress.ip_address(a).version == 6 else 'ipv4'
