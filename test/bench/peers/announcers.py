"""The announcers the peer benchmark compares, each driven the way its users drive it, all
sending the same N prefixes (pfx(fam, i), i < N) with next hop self to the receiver:

  bgplb   our speaker's test tool (bgp_announcer): JSON config, routes as JSON-lines
          commands on stdin, withdrawal as a command on that pipe
  gobgpd  gobgpd 3.10, routes from gobgptool (gRPC AddPathStream, 1,000 per message);
          withdrawal by a `gobgptool del -wait` already connected, told to go on its stdin
  bird    BIRD 2 static routes (protocol s_w1 holds the prefix withdrawn, s_main the rest),
          withdrawal by `disable s_w1` on a control-socket connection opened beforehand
  frr     FRR 8.4 bgpd + zebra, `network` statements; withdrawal by `no network` on a bgpd
          vty connection opened and put in the address family's config node beforehand
  frr-c0  the same with `coalesce-time 0` (no 1 s subgroup coalesce timer)

For the product comparison (bench.py --product, issue 16) the same peers are launched with
their N routes in their own configuration (gobgpd: loaded by gobgptool right after its API
is up, inside the timed window) and connect to the receiver themselves, with the shortest
connect timers their configuration allows, as a router that is already up expects:

  bgplb-run       the daemon users run, `bgplb run` on a manifest directory with N
                  LoadBalancer services (bench_common.manifests, speaker_e2e's generator),
                  default options (the eBPF dataplane `auto`)
  bgplb-run-nodp  the same with `--dataplane off`

In the library comparison every announcer waits passively on its side of the link; the
receiver connects once the announcer holds all N routes. Interface: start() (configure()
then launch(): files first, then processes), load() -> seconds, pids() -> {name: pid},
arm_withdraw() (before the clock starts: open the connection the withdrawal goes through),
withdraw_one() (one write on that open connection, so that every announcer's withdrawal is
timed from the same kind of act, not from a CLI process starting), finish_withdraw()
(after: read the reply, close), close().
The approach follows the founding team's anchor harness.
"""
import ipaddress
import json
import os
import pwd
import grp
import queue
import subprocess
import sys
import threading
import time

from ctl import BirdCtl, Vty

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_common import manifests  # noqa: E402

ASA, ASR = 65001, 65002
W1 = 5                                      # index of the prefix the withdrawal test removes
V4BASE = int(ipaddress.IPv4Address('100.64.0.0'))
V6BASE = int(ipaddress.IPv6Address('2001:db8:64::'))


def pfx(fam, i):
    if fam == 'ipv4':
        return '%s/32' % ipaddress.IPv4Address(V4BASE + i)
    return '%s/128' % ipaddress.IPv6Address(V6BASE + i)


def now():
    return time.monotonic()


def wait_for(cond, timeout, what, interval=0.005):
    end = now() + timeout
    while True:
        v = cond()
        if v:
            return v
        if now() > end:
            raise TimeoutError(what)
        time.sleep(interval)


class Announcer:
    name = '?'

    def __init__(self, ns, d, fam, n, local, remote, tools, active=False):
        self.ns, self.d, self.fam, self.n = ns, d, fam, n
        self.local, self.remote, self.tools = local, remote, tools
        self.active = active                # connects to the receiver itself (product comparison)
        self.procs = {}                     # name -> Popen (pid = the daemon: ip netns exec execs)

    def start(self):
        self.configure()
        self.launch()

    def pids(self):
        return {k: p.pid for k, p in self.procs.items()}

    def check_alive(self):
        for k, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError('%s: %s exited with %s (logs in %s)' % (self.name, k, p.returncode, self.d))

    def arm_withdraw(self):
        pass

    def finish_withdraw(self):
        pass

    def close(self):
        import netns
        for p in reversed(list(self.procs.values())):
            netns.stop_process(p)
        self.procs = {}


class Bgplb(Announcer):
    name = 'bgplb'

    def configure(self):
        conf = os.path.join(self.d, 'announcer.json')
        with open(conf, 'w') as f:
            json.dump({'asn': ASA, 'router_id': '10.0.0.1', 'listen': {'address': self.local, 'port': 179},
                       'peers': [{'address': self.remote, 'asn': ASR, 'local_address': self.local,
                                  'passive': True, 'hold_time': 90}]}, f)

    def launch(self):
        conf = os.path.join(self.d, 'announcer.json')
        self.status_q = queue.Queue()
        p = self.ns.popen([self.tools['bgplb'], '--config', conf], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=open(os.path.join(self.d, 'announcer.err'), 'wb'))
        self.procs['bgp_announcer'] = p
        threading.Thread(target=self._reader, args=(p,), daemon=True).start()

    def _reader(self, p):
        with open(os.path.join(self.d, 'announcer.out'), 'w') as log:
            for line in iter(p.stdout.readline, b''):
                s = line.decode(errors='replace')
                log.write(s)
                if '"status"' in s:
                    self.status_q.put(json.loads(s))

    def _send(self, text):
        p = self.procs['bgp_announcer']
        p.stdin.write(text.encode())
        p.stdin.flush()

    def status(self):
        self._send('{"cmd":"status"}\n')
        return self.status_q.get(timeout=60)

    def load(self):
        t = now()
        step = 10000
        for i in range(0, self.n, step):
            self._send(''.join('{"cmd":"announce","route":{"prefix":"%s"}}\n' % pfx(self.fam, j)
                               for j in range(i, min(i + step, self.n))))
        wait_for(lambda: self.status()['routes'] == self.n, 600, 'bgplb: routes not loaded', 0.01)
        return now() - t

    def withdraw_one(self):
        self._send('{"cmd":"withdraw","prefix":"%s"}\n' % pfx(self.fam, W1))


class BgplbRun(Announcer):
    """The daemon (product comparison only): its N services' addresses come from a pool
    starting at V4BASE, so it announces the same /32s as the peers."""
    name = 'bgplb-run'
    extra = []

    def configure(self):
        if self.fam != 'ipv4':
            raise ValueError('bgplb-run: the bench services are IPv4')
        self.mdir = os.path.join(self.d, 'manifests')
        os.makedirs(self.mdir)
        manifests(self.mdir, self.n, 'bench', ASA, ASR, peer_address=self.remote, pool=pfx(self.fam, 0)[:-3])

    def launch(self):
        self.procs['bgplb'] = self.ns.popen(
            [self.tools['bgplb-run'], 'run', '-f', self.mdir, '--state', os.path.join(self.d, 'state'), '--node', 'n1',
             '--metrics-address', '', '--shutdown-drain', '0', '--api-socket', os.path.join(self.d, 'api.sock')]
            + self.extra, log_path=os.path.join(self.d, 'bgplb.log'))


class BgplbRunNoDataplane(BgplbRun):
    name = 'bgplb-run-nodp'
    extra = ['--dataplane', 'off']


class Gobgp(Announcer):
    name = 'gobgpd'

    def configure(self):
        self.sock = os.path.join(self.d, 'gobgp.sock')
        self.target = 'unix://' + self.sock
        afi = '%s-unicast' % self.fam
        with open(os.path.join(self.d, 'gobgpd.toml'), 'w') as f:
            f.write('[global.config]\n  as = %d\n  router-id = "10.0.0.1"\n' % ASA)
            f.write('[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = %d\n'
                    % (self.remote, ASR))
            if self.active:
                f.write('  [neighbors.timers.config]\n    connect-retry = 1\n')
            f.write('  [neighbors.transport.config]\n    local-address = "%s"\n    passive-mode = %s\n'
                    % (self.local, 'false' if self.active else 'true'))
            f.write('  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "%s"\n' % afi)

    def launch(self):
        """Product comparison: gobgpd's config file holds no routes, so they are loaded through
        its API as soon as it answers, on a thread (the clock runs meanwhile)."""
        self.procs['gobgpd'] = self.ns.popen(
            ['gobgpd', '-f', os.path.join(self.d, 'gobgpd.toml'), '--api-hosts', self.target, '--pprof-disable',
             '-l', 'info', '-p'], log_path=os.path.join(self.d, 'gobgpd.log'))
        self.load_error = None
        if self.active:
            def load():
                try:
                    self._api_up()
                    self._add()
                except Exception as e:  # noqa: BLE001  (reported by check_alive)
                    self.load_error = e
            threading.Thread(target=load, daemon=True).start()
        else:
            self._api_up()

    def _api_up(self):
        wait_for(lambda: self.check_alive() or self._count() is not None, 30, 'gobgpd API not up', 0.002)

    def check_alive(self):
        super().check_alive()
        if self.load_error:
            raise RuntimeError('gobgpd: loading the routes: %r' % self.load_error)

    def _add(self):
        r = self._tool('add', '-n', str(self.n), '-batch', '1000')
        if r.returncode != 0:
            raise RuntimeError('gobgptool add: %s' % r.stderr)

    def _tool(self, *args):
        return subprocess.run([self.tools['gobgptool']] + list(args) + ['-target', self.target, '-family', self.fam],
                              capture_output=True, text=True, timeout=600)

    def _count(self):
        r = self._tool('count')
        return int(r.stdout) if r.returncode == 0 else None

    def load(self):
        t = now()
        self._add()
        wait_for(lambda: self._count() == self.n, 600, 'gobgpd: routes not loaded')
        return now() - t

    def arm_withdraw(self):
        self.wd = subprocess.Popen([self.tools['gobgptool'], 'del', '-wait', '-n', '1', '-start', str(W1),
                                    '-target', self.target, '-family', self.fam],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self.wd.stdout.readline().strip() != b'ready':
            raise RuntimeError('gobgptool del -wait did not get ready')

    def withdraw_one(self):
        self.wd.stdin.write(b'go\n')
        self.wd.stdin.flush()

    def finish_withdraw(self):
        self.wd.stdin.close()
        if self.wd.wait(timeout=60) != 0:
            raise RuntimeError('gobgptool del exited with %d' % self.wd.returncode)


class Bird(Announcer):
    name = 'bird'

    def configure(self):
        self.sock = os.path.join(self.d, 'birdA.ctl')
        conf = os.path.join(self.d, 'birdA.conf')
        with open(conf, 'w') as f:
            f.write('log "%s/birdA.log" { warning, error, fatal, info };\nrouter id 10.0.0.1;\n'
                    'protocol device {}\n' % self.d)
            f.write('protocol static s_w1 {\n  %s;\n  route %s blackhole;\n}\n' % (self.fam, pfx(self.fam, W1)))
            f.write('protocol static s_main {\n  %s;\n' % self.fam)
            for i in range(self.n):
                if i != W1:
                    f.write('  route %s blackhole;\n' % pfx(self.fam, i))
            f.write('}\n')
            f.write('protocol bgp r {\n  local %s as %d;\n  neighbor %s as %d;\n  %s;\n'
                    '  %s { import none; export all; };\n}\n' % (
                        self.local, ASA, self.remote, ASR,
                        'connect delay time 1;\n  connect retry time 1' if self.active else 'passive on', self.fam))

    def launch(self):
        conf = os.path.join(self.d, 'birdA.conf')
        self.t_launch = now()
        self.procs['bird'] = self.ns.popen(['bird', '-f', '-c', conf, '-s', self.sock,
                                            '-P', os.path.join(self.d, 'birdA.pid')],
                                           log_path=os.path.join(self.d, 'birdA.out'))

    def load(self):
        b = BirdCtl(self.sock, timeout=60)
        try:
            wait_for(lambda: sum(b.proto(s)[1] for s in ('s_w1', 's_main')) == self.n, 600,
                     'bird: static routes not loaded', 0.001)
        finally:
            b.close()
        return now() - self.t_launch

    def arm_withdraw(self):
        self.wd = BirdCtl(self.sock)

    def withdraw_one(self):
        self.wd.send('disable s_w1')

    def finish_withdraw(self):
        out = self.wd.reply()
        self.wd.close()
        if 'disabled' not in out:
            raise RuntimeError('bird: disable s_w1: %s' % out)


class Frr(Announcer):
    name = 'frr'
    extra = ''

    def configure(self):
        d = self.d
        os.chown(d, pwd.getpwnam('frr').pw_uid, grp.getgrnam('frr').gr_gid)
        af = '%s unicast' % self.fam
        zc, bc = os.path.join(d, 'zebra.conf'), os.path.join(d, 'bgpd.conf')
        with open(zc, 'w') as f:
            f.write('hostname bgpbA\nlog file %s/zebra.log\n' % d)
        with open(bc, 'w') as f:
            f.write('frr defaults traditional\nhostname bgpbA\nlog file %s/bgpd.log informational\n'
                    'log timestamp precision 3\n!\nrouter bgp %d\n bgp router-id 10.0.0.1\n'
                    ' no bgp ebgp-requires-policy\n no bgp network import-check\n'
                    ' no bgp default ipv4-unicast\n' % (d, ASA) + self.extra)
            f.write(' neighbor %s remote-as %d\n' % (self.remote, ASR))
            f.write(' neighbor %s %s\n' % (self.remote, 'timers connect 1' if self.active else 'passive'))
            f.write(' !\n address-family %s\n  neighbor %s activate\n' % (af, self.remote))
            for i in range(self.n):
                f.write('  network %s\n' % pfx(self.fam, i))
            f.write(' exit-address-family\n!\n')
        for fn in (zc, bc):
            os.chmod(fn, 0o644)

    def launch(self):
        """zebra, then bgpd once zebra's socket is there (as frrinit.sh does); the product
        comparison's clock starts before zebra, the library comparison's load() before bgpd."""
        d = self.d
        zc, bc = os.path.join(d, 'zebra.conf'), os.path.join(d, 'bgpd.conf')
        zsock = os.path.join(d, 'zserv.api')
        common = ['--vty_socket', d, '-P', '0', '-z', zsock]
        self.procs['zebra'] = self.ns.popen(['/usr/lib/frr/zebra', '-f', zc, '-i', os.path.join(d, 'zebra.pid')]
                                            + common, log_path=os.path.join(d, 'zebra.out'))
        wait_for(lambda: self.check_alive() or os.path.exists(zsock), 30, 'zebra did not come up', 0.001)
        self.t_launch = now()
        self.procs['bgpd'] = self.ns.popen(['/usr/lib/frr/bgpd', '-f', bc, '-i', os.path.join(d, 'bgpd.pid')]
                                           + common, log_path=os.path.join(d, 'bgpd.out'))

    def load(self):
        v = Vty(os.path.join(self.d, 'bgpd.vty'), timeout=600)

        def loaded():
            self.check_alive()
            out, _ = v.cmd('show bgp %s unicast summary json' % self.fam)
            try:
                return json.loads(out).get('tableVersion', 0) >= self.n
            except ValueError:
                return False
        try:
            wait_for(loaded, 600, 'frr: networks not loaded', 0.002)
        finally:
            v.close()
        return now() - self.t_launch

    def arm_withdraw(self):
        self.wd = Vty(os.path.join(self.d, 'bgpd.vty'))
        for c in ('enable', 'configure terminal', 'router bgp %d' % ASA, 'address-family %s unicast' % self.fam):
            out, status = self.wd.cmd(c)
            if status != 0:
                raise RuntimeError('frr vty: %s: status %d %s' % (c, status, out))

    def withdraw_one(self):
        self.wd.send('no network %s' % pfx(self.fam, W1))

    def finish_withdraw(self):
        out, status = self.wd.reply()
        self.wd.close()
        if status != 0:
            raise RuntimeError('frr vty: no network: status %d %s' % (status, out))


class FrrC0(Frr):
    name = 'frr-c0'
    extra = ' coalesce-time 0\n'


ANNOUNCERS = {c.name: c for c in (Bgplb, BgplbRun, BgplbRunNoDataplane, Gobgp, Bird, Frr, FrrC0)}
PRODUCT = ('bgplb-run', 'bgplb-run-nodp')      # only in the product comparison
