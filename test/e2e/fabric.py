"""The e2e test bed: a rack in network namespaces.

    tor   FRR or BIRD, AS 64500, 192.0.2.1/24 on a bridge
     |  (one shared segment)
    n1 192.0.2.11   n2 192.0.2.12   n3 192.0.2.13    each: bgplb-speaker --node nodeK
    ctl             bgplb-controller (no network needed; its own namespace all the same)

All speakers read one manifest directory and the controller's state directory (service
addresses from its ledger; the tests read them from status.json). Namespaces, veths and
temp dirs come from test/integration/netns.py: per-run names, cleanup on exit, failure and
signals.

A fabric with `ipv6` set is dual-stack: fd00:e2e::1/64 on the ToR's bridge, fd00:e2e::1K on
node K, and a second BGP session per node over IPv6 (IPv6 unicast only; the IPv4
sessions carry IPv4 unicast only).

With `bfd` (a tor.Bfd) the ToR runs BFD toward those nodes; `cut(node, method)` takes a
node off the segment (its link down, or nftables dropping all it sends) and `restore`
puts it back.
"""
import json
import os
import signal
import subprocess
import time

import manifests
import netns
import routers
import tor as tor_mod

TOR_ADDR = '192.0.2.1'
PREFIXLEN = 24
MY_ASN, TOR_ASN = 64512, 64500
NODES = (('node1', '192.0.2.11'), ('node2', '192.0.2.12'), ('node3', '192.0.2.13'))
TOR_ADDR6, PREFIXLEN6 = 'fd00:e2e::1', 64
NODES6 = {'node1': 'fd00:e2e::11', 'node2': 'fd00:e2e::12', 'node3': 'fd00:e2e::13'}
CHANGE_TIMEOUT = 10.0       # a change must reach the router's FIB within this
CUT_METHODS = ('link-down', 'drop')
CUT_TABLE = 'bgplbcut'      # the nftables table that drops a node's egress (its own namespace)


def binaries():
    """(speaker, controller) paths from $BGPLB_SPEAKER / $BGPLB_CONTROLLER, else the build
    directory in $BGPLB_BUILD_DIR (default build/); None where missing."""
    build = os.environ.get('BGPLB_BUILD_DIR', 'build')
    found = []
    for env, cands in (('BGPLB_SPEAKER', ('speaker/cmd/bgplb-speaker', 'speaker/bgplb-speaker')),
                       ('BGPLB_CONTROLLER', ('controller/cmd/bgplb-controller', 'controller/bgplb-controller'))):
        path = os.environ.get(env)
        if not path:
            path = next((os.path.join(build, c) for c in cands if os.access(os.path.join(build, c), os.X_OK)), None)
        found.append(os.path.abspath(path) if path and os.access(path, os.X_OK) else None)
    return tuple(found)


def problem(kind):
    if os.geteuid() != 0:
        return 'needs root (network namespaces)'
    missing = tor_mod.TORS[kind].missing_binaries()
    if missing:
        return '%s not installed (%s)' % (kind, ', '.join(missing))
    speaker, controller = binaries()
    if not speaker:
        return 'bgplb-speaker not built (set BGPLB_SPEAKER or BGPLB_BUILD_DIR)'
    if not controller:
        return 'bgplb-controller not built (set BGPLB_CONTROLLER or BGPLB_BUILD_DIR)'
    return None


ACTIVE = []     # fabrics owned by single tests, whose logs a failing test prints


class Fabric:
    ipv6 = False                # dual-stack segment and IPv6 sessions (module docstring)

    def __init__(self, router_kind, speaker_bin, controller_bin, bfd=None):
        self.kind = router_kind
        self.bfd = bfd
        self.speaker_bin, self.controller_bin = speaker_bin, controller_bin
        self.topo = netns.Topology('bgplbe2e')
        self.dir = netns.make_tempdir('e2e')
        self.manifest_dir = manifests.Directory(os.path.join(self.dir, 'manifests'))
        self.state_dir = os.path.join(self.dir, 'state')
        os.makedirs(self.state_dir)
        self.speakers = {}          # node name -> Popen
        self.controller = None
        self.router = None
        self.node_addr = dict(NODES)
        self.cluster = None
        self._build_topology()

    # ------------------------------------------------------------------ set-up
    def _build_topology(self):
        t = self.topo
        self.tor_ns = t.add_ns('tor')
        self.ctl_ns = t.add_ns('ctl')
        br = self.bridge = 'b%sbr' % t.id
        self.tor_ns.run(['ip', 'link', 'add', br, 'type', 'bridge'])
        self.tor_ns.run(['ip', 'addr', 'add', '%s/%d' % (TOR_ADDR, PREFIXLEN), 'dev', br])
        if self.ipv6:
            self.tor_ns.run(['ip', 'addr', 'add', '%s/%d' % (TOR_ADDR6, PREFIXLEN6), 'dev', br, 'nodad'])
        self.tor_ns.run(['ip', 'link', 'set', br, 'up'])
        self.node_ns, self.node_if = {}, {}
        for k, (name, addr) in enumerate(NODES, 1):
            ns = t.add_ns('n%d' % k)
            inner, outer = 'b%sn%d' % (t.id, k), 'b%st%d' % (t.id, k)
            ns.run(['ip', 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer, 'netns', self.tor_ns.name])
            ns.run(['ip', 'addr', 'add', '%s/%d' % (addr, PREFIXLEN), 'dev', inner])
            if self.ipv6:
                ns.run(['ip', 'addr', 'add', '%s/%d' % (NODES6[name], PREFIXLEN6), 'dev', inner, 'nodad'])
            ns.run(['ip', 'link', 'set', inner, 'up'])
            self.tor_ns.run(['ip', 'link', 'set', outer, 'master', br, 'up'])
            self.node_ns[name] = ns
            self.node_if[name] = inner

    def start(self, cluster, speakers_first=False):
        """Router, then the controller and the speakers. By default the speakers start once
        the controller has written its first ledger; speakers_first starts them a second
        before the controller instead (they must pick the ledger up when it appears)."""
        self.cluster = cluster.clone()
        self.manifest_dir.sync(self.cluster)
        peers = [routers.PeerConfig(address=addr, asn=MY_ASN, local_address=TOR_ADDR, hold_time=9, connect_retry=1,
                                    families=('ipv4',)) for _, addr in NODES]
        if self.ipv6:
            peers += [routers.PeerConfig(address=NODES6[name], asn=MY_ASN, local_address=TOR_ADDR6, hold_time=9,
                                         connect_retry=1, families=('ipv6',)) for name, _ in NODES]
        cfg = routers.RouterConfig(asn=TOR_ASN, router_id=TOR_ADDR, peers=peers)
        self.router = tor_mod.TORS[self.kind](self.tor_ns, cfg, workdir=os.path.join(self.dir, self.kind))
        self.router.bfd = self.bfd
        os.makedirs(self.router.dir)
        os.chmod(self.router.dir, 0o755)
        self.router.start()
        if speakers_first:
            self._start_speakers()
            time.sleep(1.0)
            self._start_controller()
        else:
            self._start_controller()
            routers.wait_for(lambda: self.check_alive() or os.path.exists(os.path.join(self.state_dir, 'ledger.json')),
                             20, lambda: 'the controller wrote no ledger.json\n' + self.logs())
            self._start_speakers()
        return self

    def _start_controller(self):
        self.controller = self.ctl_ns.popen([self.controller_bin, '-f', self.manifest_dir.path, '--state', self.state_dir],
                                            log_path=os.path.join(self.dir, 'controller.log'))

    def _start_speakers(self):
        for name, _ in NODES:
            self.start_speaker(name)

    def start_speaker(self, name):
        extra = os.environ.get('BGPLB_E2E_SPEAKER_ARGS', '').split()
        self.speakers[name] = self.node_ns[name].popen(
            [self.speaker_bin, '-f', self.manifest_dir.path, '--node', name, '--state', self.state_dir,
             '--api-socket', os.path.join(self.dir, 'api-%s.sock' % name)] + self.dataplane_args(name) + extra,
            log_path=self.speaker_log(name), host_mounts=self.host_mounts)

    host_mounts = False         # speakers in a mount namespace of their own (ip netns exec)

    def dataplane_args(self, name):
        """The speakers' dataplane options: none here (a subclass forwards traffic)."""
        return ['--dataplane', 'off']

    def speaker_log(self, name):
        return os.path.join(self.dir, 'speaker-%s.log' % name)

    def wait_sessions(self, timeout=30):
        def up():
            self.check_alive()
            return all(s.state == 'established' for s in self.router.sessions().values())
        routers.wait_for(up, timeout, lambda: '%s: sessions not all established: %r' % (
            self.kind, {a: s.state for a, s in self.router.sessions().items()}))

    # ------------------------------------------------------------------ changes
    def apply(self, cluster):
        """Write the new desired state; returns the monotonic time of the write."""
        self.cluster = cluster.clone()
        self.manifest_dir.sync(self.cluster)
        return time.monotonic()

    def edit(self, fn):
        """Apply fn to a copy of the current cluster and write it."""
        c = self.cluster.clone()
        fn(c)
        return self.apply(c)

    # ------------------------------------------------------------------ observations
    def status(self):
        try:
            with open(os.path.join(self.state_dir, 'status.json')) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def service_ip(self, name, namespace='e2e', timeout=CHANGE_TIMEOUT):
        """The controller's address for a service (status.json), waiting for it."""
        box = {}

        def has():
            for s in self.status().get('services', []):
                if (s.get('namespace'), s.get('name')) == (namespace, name) and s.get('ingress'):
                    box['ip'] = s['ingress'][0]
                    return True
            return False
        routers.wait_for(has, timeout, lambda: 'controller assigned no address to %s/%s; status.json: %r' % (
            namespace, name, self.status()))
        return box['ip']

    def fib(self, family=4):
        return tor_mod.fib(self.tor_ns, family)

    def hops(self, ip):
        """Node names the ToR's FIB sends ip/32 (or ip/128) to (empty set: no route)."""
        by_addr = dict({a: n for n, a in NODES}, **{a: n for n, a in NODES6.items()})
        host = ip + ('/128' if ':' in ip else '/32')
        return {by_addr.get(g, g) for g in self.fib(6 if ':' in ip else 4).get(host, ())}

    def weights(self, ip):
        """{node name: kernel next-hop weight} of the ToR's route to ip/32."""
        by_addr = {a: n for n, a in NODES}
        return {by_addr.get(g, g): w for g, w in tor_mod.fib_weights(self.tor_ns, ip + '/32').items()}

    def wait_hops(self, ip, nodes, timeout=CHANGE_TIMEOUT, since=None, what=''):
        """Poll until the FIB sends ip to exactly `nodes`; returns seconds since `since`."""
        want = set(nodes)
        routers.wait_for(lambda: self.check_alive() or self.hops(ip) == want, timeout,
                         lambda: '%s%s: FIB next hops for %s are %s after %.0fs, want %s\n--- ToR FIB:\n%s' % (
                             self.kind, (' ' + what) if what else '', ip, sorted(self.hops(ip)) or 'none',
                             timeout, sorted(want) or 'none', tor_mod.fib_text(self.tor_ns, 6 if ':' in ip else 4)),
                         interval=0.05)
        if since is None:
            return None
        took = time.monotonic() - since
        print('%s: %s: %s -> %s in %.0f ms' % (self.kind, what, ip, sorted(want) or 'none', took * 1000))
        return took

    def hold_hops(self, ip, nodes, seconds, what=''):
        """Assert the FIB sends ip to exactly `nodes` throughout `seconds`."""
        want = set(nodes)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            got = self.hops(ip)
            assert got == want, '%s%s: FIB next hops for %s became %s, want %s throughout %.1fs' % (
                self.kind, (' ' + what) if what else '', ip, sorted(got) or 'none', sorted(want), seconds)
            time.sleep(0.1)

    def routes_via(self, name):
        """Prefixes the ToR's FIB sends (also) to node `name`."""
        return {p for p, hops in self.fib().items() if self.node_addr[name] in hops}

    def speaker_get(self, name, path, check=False):
        """GET `path` from the speaker on node `name` (its metrics address, inside its
        namespace): the body; '' when it does not answer, or an error with `check`."""
        r = self.node_ns[name].run(['python3', '-c', 'import urllib.request; print(urllib.request.urlopen('
                                    '"http://127.0.0.1:7472%s", timeout=5).read().decode())' % path], check=check)
        return r.stdout if r.returncode == 0 else ''

    def speaker_bfd(self, name):
        """The speaker's /v1/bfd on node `name`."""
        try:
            return json.loads(self.speaker_get(name, '/v1/bfd'))
        except ValueError:
            return {}

    def wait_bfd_up(self, name, timeout=30):
        """Until node `name`'s speaker has its BFD session with the ToR Up."""
        def up():
            self.check_alive()
            s = self.speaker_bfd(name).get('sessions', [])
            return bool(s) and s[0].get('state') == 'Up'
        routers.wait_for(up, timeout, lambda: '%s: BFD of %s not Up: %r' % (self.kind, name, self.speaker_bfd(name)))

    def cut(self, name, method):
        """Take node `name` off the segment: `link-down` (its veth down: the ToR's end loses
        carrier as with a pulled cable) or `drop` (nftables drops all it sends on the link,
        which stays up: 100 % loss one way; this kernel has no sch_netem). The node's
        loopback keeps working either way (its speaker's HTTP endpoint)."""
        ns, ifname = self.node_ns[name], self.node_if[name]
        if method == 'link-down':
            ns.run(['ip', 'link', 'set', ifname, 'down'])
        else:
            ns.run(['nft', 'add', 'table', 'inet', CUT_TABLE])
            ns.run(['nft', 'add', 'chain', 'inet', CUT_TABLE, 'out', '{ type filter hook output priority 0; }'])
            ns.run(['nft', 'add', 'rule', 'inet', CUT_TABLE, 'out', 'oifname', ifname, 'drop'])

    def restore(self, name, method):
        ns, ifname = self.node_ns[name], self.node_if[name]
        if method == 'link-down':
            ns.run(['ip', 'link', 'set', ifname, 'up'])
            ns.run(['ip', 'addr', 'replace', '%s/%d' % (self.node_addr[name], PREFIXLEN), 'dev', ifname])
        else:
            ns.run(['nft', 'delete', 'table', 'inet', CUT_TABLE])

    def check_alive(self):
        dead = {n: p.returncode for n, p in self.speakers.items() if p.poll() is not None}
        if self.controller is not None and self.controller.poll() is not None:
            dead['controller'] = self.controller.returncode
        if dead:
            raise AssertionError('exited early: %s\n%s' % (dead, self.logs()))
        return False

    def logs(self, n=40):
        out = []
        for fn in ['controller.log'] + ['speaker-%s.log' % name for name, _ in NODES]:
            path = os.path.join(self.dir, fn)
            try:
                with open(path, errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append('--- %s (last %d of %d lines)' % (fn, min(n, len(lines)), len(lines)))
            out += lines[-n:]
        if self.router is not None:
            out.append(self.router.log_tail(n))
            out.append('--- ToR RIB\n' + self.router.rib_text())
        out.append('--- ToR FIB\n' + tor_mod.fib_text(self.tor_ns))
        if self.ipv6:
            out.append('--- ToR FIB, IPv6\n' + tor_mod.fib_text(self.tor_ns, 6))
        out.append('--- status.json\n%s' % self.status())
        return '\n'.join(out)

    # ------------------------------------------------------------------ tear-down
    def stop_speaker(self, name, timeout=15.0):
        """SIGTERM one speaker (graceful shutdown); its exit code, None if it had to be killed."""
        p = self.speakers.pop(name)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        rc = p.poll()
        netns.stop_process(p, sig=signal.SIGKILL, grace=2.0)
        return rc

    def close(self):
        procs = list(self.speakers.values()) + ([self.controller] if self.controller else [])
        for p in procs:                     # all drain at once
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            netns.stop_process(p, sig=signal.SIGKILL, grace=2.0)
        if self.router is not None:
            self.router.stop()
        self.topo.close()
        netns.remove_tempdir(self.dir)
