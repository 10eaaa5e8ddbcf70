"""The stress suite's test bed: `bgplb run` (the real binary) in namespace `spk` on a
manifest directory, peering with real gobgpd routers, each in a namespace of its own
(spk 10.0.k.1 <-> router k 10.0.k.2, hold time 3 s both ways). Names carry a per-run
suffix (test/integration/netns.py); everything is removed at close().

A `Watch` samples every router through its gobgp CLI while a test runs and keeps what
the invariants need: the session state, the routes received from bgplb and the
KEEPALIVEs counted, with the time of each sample."""
import os
import resource
import shutil
import signal
import subprocess
import threading
import time

import manifests
import netns
import routers

HOLD = 3


def problem():
    """Why the suite cannot run here, or None."""
    if os.geteuid() != 0:
        return 'needs root (network namespaces, veth)'
    if not shutil.which('ip'):
        return 'iproute2 (ip) is not installed'
    missing = routers.GoBGP.missing_binaries()
    if missing:
        return 'gobgpd not installed (%s; scripts/install-deps.sh installs it)' % ', '.join(missing)
    if not os.access(os.environ.get('BGPLB_BIN', ''), os.X_OK):
        return '$BGPLB_BIN does not name a built bgplb'
    return None


class Bed:
    def __init__(self, bgplb, routers_count=1, services=20, drain=2, nofile=None, router_buffers=None):
        self.bgplb, self.drain, self.services = bgplb, drain, services
        self.topo = netns.Topology('bgplbst')
        self.dir = netns.make_tempdir('stress')
        self.mdir = os.path.join(self.dir, 'm')
        self.log_path = os.path.join(self.dir, 'bgplb.log')
        self.proc = None
        self.routers = []
        try:
            self.spk = self.topo.add_ns('spk')
            for k in range(routers_count):
                ns = self.topo.add_ns('r%d' % k)
                self.topo.link(self.spk, ns)
                if router_buffers:
                    # Small receive buffers on the router: a frozen one stops reading soon.
                    ns.run(['sysctl', '-qw', 'net.ipv4.tcp_rmem=%d %d %d' % router_buffers])
                    ns.run(['sysctl', '-qw', 'net.ipv4.tcp_wmem=%d %d %d' % router_buffers])
                cfg = routers.RouterConfig(asn=manifests.PEER_ASN, router_id=ns.addr('ipv4', k), peers=[
                    routers.PeerConfig(self.spk.addr('ipv4', k), manifests.MY_ASN, ns.addr('ipv4', k), passive=True,
                                       hold_time=HOLD, graceful_restart=False, families=('ipv4',))])
                self.routers.append(routers.GoBGP(ns, cfg, workdir=os.path.join(self.dir, 'r%d' % k)))
            if router_buffers:
                self.spk.run(['sysctl', '-qw', 'net.ipv4.tcp_wmem=%d %d %d' % router_buffers])
            for r in self.routers:
                os.makedirs(r.dir)
                r.start()
            manifests.write(self.mdir, self.spk.addr('ipv4', 0),
                            [('r%d' % k, r.ns.addr('ipv4', k)) for k, r in enumerate(self.routers)], services)
            self.start(nofile)
        except BaseException:
            self.close()
            raise

    # ---- bgplb
    def start(self, nofile=None):
        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        argv = [self.bgplb, 'run', '-f', self.mdir, '--state', os.path.join(self.dir, 'state'), '--node', 'n1',
                '--controller', 'on', '--metrics-address', '127.0.0.1:7472', '--api-address', '127.0.0.1:50051',
                '--api-socket', os.path.join(self.dir, 'api', 'n1.sock'), '--shutdown-drain', str(self.drain),
                '--coalesce-ms', '20', '--dataplane', 'off']
        self.proc = self.spk.popen(argv, log_path=self.log_path, preexec_fn=limit)

    def http(self, path, timeout=2.0):
        """(status, body) of bgplb's metrics address, from inside its namespace; (None, why)
        when it does not answer within `timeout`."""
        code = ('import sys, urllib.request, urllib.error\n'
                'try:\n r = urllib.request.urlopen("http://127.0.0.1:7472%s", timeout=%f); print(r.status); '
                'sys.stdout.write(r.read().decode())\n'
                'except urllib.error.HTTPError as e:\n print(e.code); sys.stdout.write(e.read().decode())\n'
                'except Exception as e:\n print("None"); sys.stdout.write(repr(e))\n') % (path, timeout)
        r = self.spk.run(['python3', '-c', code], check=False, timeout=timeout + 10)
        first, _, body = r.stdout.partition('\n')
        return (int(first) if first.isdigit() else None), body

    def metric(self, line_prefix):
        status, body = self.http('/metrics')
        for line in body.splitlines():
            if line.startswith(line_prefix):
                return float(line.rsplit(' ', 1)[1])
        return None

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def events(self, name):
        return [l for l in self.log().splitlines() if ' event=%s ' % name in l + ' ']

    def expected_routes(self):
        """The /32s bgplb announces: one per service, from the start of the pool."""
        return {'198.51.%d.%d/32' % (96 + i // 256, i % 256) for i in range(self.services)}

    def wait_up(self, timeout=30):
        want = self.expected_routes()
        for r in self.routers:
            routers.wait_for(lambda r=r: r.sessions().get(r.config.peers[0].address, routers.Session('', '')).state
                             == 'established', timeout, lambda r=r: 'session to %s not established:\n%s' % (
                                 r.ns.name, self.log()[-3000:]))
            routers.wait_for(lambda r=r: want <= set(r.routes('ipv4')), timeout,
                             lambda r=r: '%s has %d of %d routes' % (r.ns.name, len(r.routes('ipv4')), len(want)))
        routers.wait_for(lambda: self.http('/readyz')[0] == 200, timeout, '/readyz never 200')

    def stop(self, sig=signal.SIGTERM):
        """SIGTERM; returns (exit code, seconds to exit), None for the code if it hung
        (then it is killed)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=self.drain + 10)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - t0
        netns.stop_process(self.proc, signal.SIGKILL, grace=1)
        return rc, took

    def close(self):
        if self.proc is not None:
            netns.stop_process(self.proc, signal.SIGKILL, grace=1)
        for r in self.routers:
            r.stop()
        self.topo.close()
        netns.remove_tempdir(self.dir)


class Watch:
    """Samples each router every `interval` s on a thread until stop()."""

    def __init__(self, bed, interval=0.25):
        self.bed, self.interval = bed, interval
        self.samples = {k: [] for k in range(len(bed.routers))}   # (t, state, routes, keepalives)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self, k, r):
        peer = r.config.peers[0].address
        state, keepalives = '', None
        for n in r.neighbors_json():
            st = n.get('state', {})
            if st.get('neighbor_address') == peer:
                state = routers.GOBGP_STATES.get(st.get('session_state'), '')
                keepalives = st.get('messages', {}).get('received', {}).get('keepalive', 0)
        self.samples[k].append((time.monotonic(), state, frozenset(r.routes('ipv4')), keepalives))

    def _run(self):
        while not self._stop.is_set():
            for k, r in enumerate(self.bed.routers):
                if not getattr(r, 'frozen', False):
                    self._sample(k, r)
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join()

    # ---- the invariants
    def problems(self, k, routes):
        """What went wrong for router k: a sample not Established, a route missing (a
        withdrawal), a KEEPALIVE gap longer than the hold time, or no samples."""
        out = []
        s = self.samples[k]
        if len(s) < 2:
            return ['router %d: %d samples' % (k, len(s))]
        for t, state, got, _ in s:
            if state != 'established':
                out.append('router %d at +%.2fs: session %s' % (k, t - s[0][0], state or 'gone'))
            missing = routes - got
            if missing:
                out.append('router %d at +%.2fs: %d routes withdrawn (e.g. %s)' % (k, t - s[0][0], len(missing),
                                                                                     sorted(missing)[0]))
        last_t, last_n, worst = s[0][0], s[0][3], 0.0
        for t, _, _, n in s[1:]:
            if n is not None and last_n is not None and n > last_n:
                worst = max(worst, t - last_t)
                last_t, last_n = t, n
        worst = max(worst, s[-1][0] - last_t)
        if worst >= HOLD:
            out.append('router %d: %.2fs without a KEEPALIVE (hold time %ds)' % (k, worst, HOLD))
        return out[:10]
