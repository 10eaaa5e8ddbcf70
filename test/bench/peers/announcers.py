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

Every announcer waits passively on its side of the link; the receiver connects once the
announcer holds all N routes. Interface: start(), load() -> seconds, pids() -> {name: pid},
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
import threading
import time

from ctl import BirdCtl, Vty

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

    def __init__(self, ns, d, fam, n, local, remote, tools):
        self.ns, self.d, self.fam, self.n = ns, d, fam, n
        self.local, self.remote, self.tools = local, remote, tools
        self.procs = {}                     # name -> Popen (pid = the daemon: ip netns exec execs)

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

    def start(self):
        conf = os.path.join(self.d, 'announcer.json')
        with open(conf, 'w') as f:
            json.dump({'asn': ASA, 'router_id': '10.0.0.1', 'listen': {'address': self.local, 'port': 179},
                       'peers': [{'address': self.remote, 'asn': ASR, 'local_address': self.local,
                                  'passive': True, 'hold_time': 90}]}, f)
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


class Gobgp(Announcer):
    name = 'gobgpd'

    def start(self):
        self.sock = os.path.join(self.d, 'gobgp.sock')
        self.target = 'unix://' + self.sock
        afi = '%s-unicast' % self.fam
        conf = os.path.join(self.d, 'gobgpd.toml')
        with open(conf, 'w') as f:
            f.write('[global.config]\n  as = %d\n  router-id = "10.0.0.1"\n' % ASA)
            f.write('[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = %d\n'
                    % (self.remote, ASR))
            f.write('  [neighbors.transport.config]\n    local-address = "%s"\n    passive-mode = true\n' % self.local)
            f.write('  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "%s"\n' % afi)
        self.procs['gobgpd'] = self.ns.popen(
            ['gobgpd', '-f', conf, '--api-hosts', self.target, '--pprof-disable', '-l', 'info', '-p'],
            log_path=os.path.join(self.d, 'gobgpd.log'))
        wait_for(lambda: self.check_alive() or self._count() is not None, 30, 'gobgpd API not up', 0.02)

    def _tool(self, *args):
        return subprocess.run([self.tools['gobgptool']] + list(args) + ['-target', self.target, '-family', self.fam],
                              capture_output=True, text=True, timeout=600)

    def _count(self):
        r = self._tool('count')
        return int(r.stdout) if r.returncode == 0 else None

    def load(self):
        t = now()
        r = self._tool('add', '-n', str(self.n), '-batch', '1000')
        if r.returncode != 0:
            raise RuntimeError('gobgptool add: %s' % r.stderr)
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

    def start(self):
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
            f.write('protocol bgp r {\n  local %s as %d;\n  neighbor %s as %d;\n  passive on;\n'
                    '  %s { import none; export all; };\n}\n' % (self.local, ASA, self.remote, ASR, self.fam))
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

    def start(self):
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
            f.write(' neighbor %s remote-as %d\n neighbor %s passive\n' % (self.remote, ASR, self.remote))
            f.write(' !\n address-family %s\n  neighbor %s activate\n' % (af, self.remote))
            for i in range(self.n):
                f.write('  network %s\n' % pfx(self.fam, i))
            f.write(' exit-address-family\n!\n')
        for fn in (zc, bc):
            os.chmod(fn, 0o644)
        zsock = os.path.join(d, 'zserv.api')
        common = ['--vty_socket', d, '-P', '0', '-z', zsock]
        self.procs['zebra'] = self.ns.popen(['/usr/lib/frr/zebra', '-f', zc, '-i', os.path.join(d, 'zebra.pid')]
                                            + common, log_path=os.path.join(d, 'zebra.out'))
        wait_for(lambda: self.check_alive() or os.path.exists(zsock), 30, 'zebra did not come up')
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


ANNOUNCERS = {c.name: c for c in (Bgplb, Gobgp, Bird, Frr, FrrC0)}
