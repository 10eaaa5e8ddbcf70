"""The BFD speakers of the namespace tests: our bfd_probe, FRR's bfdd and BIRD 2's
`protocol bfd`, each in a namespace of test/integration/netns.py, read through their
own interfaces (JSON lines, `vtysh -d bfdd`, `birdc`).

Every router answers the same questions:
  state(peer)                 'up' | 'down' | 'init' | 'admindown' | '' (unknown)
  timers(peer)                {'tx': ms, 'rx': ms, 'mult': n} the router's view of the session
  set_timers(peer, tx, rx, mult)   change its own profile on the fly
  shutdown(peer, down)        admin down / up (FRR)
  restart()                   stop and start the daemon
"""
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'integration'))

import netns  # noqa: E402
import routers  # noqa: E402

wait_for = routers.wait_for


class Probe:
    """bfd_probe (path in $BGPLB_BFD_PROBE) in a namespace: one or more sessions, state
    changes as JSON lines, commands on stdin."""

    def __init__(self, ns, peer, local=None, interface=None, multihop=False, tx=100, rx=100, mult=3,
                 passive=False, extra=()):
        self.ns = ns
        self.dir = netns.make_tempdir('probe')
        self.log = os.path.join(self.dir, 'probe.log')
        argv = [os.environ['BGPLB_BFD_PROBE'], '--peer', peer, '--tx', str(tx), '--rx', str(rx), '--mult', str(mult)]
        if local:
            argv += ['--local', local]
        if interface:
            argv += ['--interface', interface]
        if multihop:
            argv.append('--multihop')
        if passive:
            argv.append('--passive')
        self.argv = argv + list(extra)
        self.proc = None
        self.events = []            # state-change events, with their local monotonic time 'seen'
        self.replies = queue.Queue()

    def start(self):
        self.events, self.replies = [], queue.Queue()
        self.proc = self.ns.popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(self.log, 'ab'))
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        ready = self.replies.get(timeout=10)
        assert ready.get('event') == 'ready', ready
        return self

    def _read(self, proc):
        for line in proc.stdout:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get('event') == 'state':
                o['seen'] = time.monotonic()
                self.events.append(o)
            else:
                self.replies.put(o)

    def cmd(self, line, timeout=10):
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()
        return self.replies.get(timeout=timeout)

    def status(self):
        return self.cmd('status')['sessions']

    def stats(self):
        return self.cmd('stats')

    def state(self, i=0):
        return self.status()[i]['state']

    def wait_state(self, st, timeout=20, i=0):
        return wait_for(lambda: self.alive() and self.state(i) == st, timeout,
                        lambda: 'probe: session not %s (now %r)\n%s' % (st, self.status()[i], self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc:
            netns.stop_process(self.proc)
            self.proc = None

    def close(self):
        self.stop()
        netns.remove_tempdir(self.dir)

    def log_tail(self, n=30):
        try:
            with open(self.log, errors='replace') as f:
                return '--- probe log\n' + '\n'.join(f.read().splitlines()[-n:])
        except OSError:
            return ''


class BfdPeer:
    """One BFD peer of the router (our probe's address) and the router's profile for it."""

    def __init__(self, address, local, interface=None, multihop=False, tx=100, rx=100, mult=3, min_ttl=None,
                 passive=False):
        self.address, self.local, self.interface, self.multihop = address, local, interface, multihop
        self.tx, self.rx, self.mult, self.min_ttl, self.passive = tx, rx, mult, min_ttl, passive


def _dummy_router_config(router_id):
    return routers.RouterConfig(asn=65002, router_id=router_id, peers=[])


# ======================================================================= FRR bfdd
FRR_STATES = {'up': 'up', 'down': 'down', 'init': 'init', 'shutdown': 'admindown'}


class FrrBfd(routers.FRR):
    """zebra + bfdd (FRR 8.4) with a `bfd` block of static peers."""
    kind = 'frr-bfdd'
    binaries = ('/usr/lib/frr/zebra', '/usr/lib/frr/bfdd', 'vtysh')

    def __init__(self, ns, peers, router_id):
        super().__init__(ns, _dummy_router_config(router_id))
        self.peers = peers

    def peer_header(self, p):
        h = 'peer %s' % p.address
        if p.multihop:
            h += ' multihop'
        h += ' local-address %s' % p.local
        if p.interface and not p.multihop:
            h += ' interface %s' % p.interface
        return h

    def peer_lines(self, p):
        L = [' ' + self.peer_header(p), '  receive-interval %d' % p.rx, '  transmit-interval %d' % p.tx,
             '  detect-multiplier %d' % p.mult]
        if p.min_ttl is not None:
            L.append('  minimum-ttl %d' % p.min_ttl)
        if p.passive:
            L.append('  passive-mode')
        return L + [' !']

    def start(self):
        d = self.dir
        zc = self.write_zebra_conf(self.ns.name)
        L = ['hostname %s' % self.ns.name, 'log file %s/bfdd.log debugging' % d, 'log timestamp precision 3',
             'debug bfd peer', 'debug bfd network', 'bfd']
        for p in self.peers:
            L += self.peer_lines(p)
        bc = os.path.join(d, 'bfdd.conf')
        with open(bc, 'w') as f:
            f.write('\n'.join(L) + '\n')
        os.chmod(zc, 0o644)
        os.chmod(bc, 0o644)
        zsock = os.path.join(d, 'zserv.api')
        common = ['--vty_socket', d, '-P', '0', '-z', zsock]
        if not any(p.poll() is None and 'zebra' in ' '.join(p.args) for p in self.procs):
            z = self.ns.popen(['/usr/lib/frr/zebra', '-f', zc, '-i', os.path.join(d, 'zebra.pid')] + common,
                              log_path=os.path.join(d, 'zebra.out'))
            self.procs.append(z)
            wait_for(lambda: z.poll() is not None or os.path.exists(zsock), 20, 'zebra did not come up', 0.05)
            if z.poll() is not None:
                raise RuntimeError('zebra exited: %s' % self.log_tail())
        b = self.ns.popen(['/usr/lib/frr/bfdd', '-f', bc, '-i', os.path.join(d, 'bfdd.pid'),
                           '--bfdctl', os.path.join(d, 'bfdd.sock')] + common,
                          log_path=os.path.join(d, 'bfdd.out'))
        self.procs.append(b)
        wait_for(lambda: b.poll() is not None or self.vtysh('show bfd peers json', check=False).returncode == 0,
                 20, 'bfdd vty did not come up', 0.05)
        if b.poll() is not None:
            raise RuntimeError('bfdd exited: %s' % self.log_tail())

    def restart(self):
        """Stops bfdd only (zebra stays) and starts it again."""
        b = self.procs.pop()
        netns.stop_process(b)
        self.start()

    def vtysh(self, cmd, check=True):
        return netns.run(['vtysh', '--vty_socket', self.dir, '-d', 'bfdd', '-c', cmd], check=check)

    def configure(self, p, lines):
        argv = ['vtysh', '--vty_socket', self.dir, '-d', 'bfdd', '-c', 'configure terminal', '-c', 'bfd',
                '-c', self.peer_header(p)]
        for ln in lines:
            argv += ['-c', ln]
        netns.run(argv)

    def _peer(self, address):
        r = self.vtysh('show bfd peers json', check=False)
        try:
            js = json.loads(r.stdout) if r.stdout.strip() else []
        except ValueError:
            return {}
        for s in js:
            if s.get('peer') == address:
                return s
        return {}

    def state(self, address):
        return FRR_STATES.get(self._peer(address).get('status'), '')

    def session(self, address):
        return self._peer(address)

    def counters(self, address):
        r = self.vtysh('show bfd peers counters json', check=False)
        for s in json.loads(r.stdout or '[]'):
            if s.get('peer') == address:
                return s
        return {}

    def timers(self, address):
        s = self._peer(address)
        return {'tx': s.get('transmit-interval'), 'rx': s.get('receive-interval'), 'mult': s.get('detect-multiplier'),
                'remote_tx': s.get('remote-transmit-interval'), 'remote_rx': s.get('remote-receive-interval'),
                'remote_mult': s.get('remote-detect-multiplier')}

    def set_timers(self, p, tx, rx, mult):
        p.tx, p.rx, p.mult = tx, rx, mult
        self.configure(p, ['receive-interval %d' % rx, 'transmit-interval %d' % tx, 'detect-multiplier %d' % mult])

    def shutdown(self, p, down):
        self.configure(p, ['shutdown' if down else 'no shutdown'])


# ======================================================================= BIRD 2
BIRD_STATES = {'Up': 'up', 'Down': 'down', 'Init': 'init', 'AdminDown': 'admindown'}


class BirdBfd(routers.Bird):
    """BIRD 2 with `protocol bfd` and one static `neighbor` per peer."""
    kind = 'bird-bfd'

    def __init__(self, ns, peers, router_id, auth=None):
        super().__init__(ns, _dummy_router_config(router_id))
        self.peers = peers
        self.auth = auth        # e.g. ('keyed sha1', 1, 'secret')

    def _opts(self, p):
        L = ['min rx interval %d ms;' % p.rx, 'min tx interval %d ms;' % p.tx, 'multiplier %d;' % p.mult]
        if p.passive:
            L.append('passive on;')
        if self.auth:
            kind, key_id, secret = self.auth
            L += ['authentication %s;' % kind, 'password "%s" { id %d; };' % (secret, key_id)]
        return ' '.join(L)

    def write_config(self):
        self.sock = os.path.join(self.dir, 'bird.ctl')
        L = ['log "%s" all;' % os.path.join(self.dir, 'bird.log'), 'router id %s;' % self.config.router_id,
             'timeformat protocol iso long ms;', 'protocol device { scan time 1; }', 'protocol bfd b1 {']
        # One profile per kind of session (BIRD takes them per interface pattern / multihop).
        single = [p for p in self.peers if not p.multihop]
        multi = [p for p in self.peers if p.multihop]
        if single:
            L.append('  interface "*" { %s };' % self._opts(single[0]))
        if multi:
            L.append('  multihop { %s };' % self._opts(multi[0]))
        for p in self.peers:
            n = '  neighbor %s' % p.address
            if p.interface and not p.multihop:
                n += ' dev "%s"' % p.interface
            n += ' local %s' % p.local
            if p.multihop:
                n += ' multihop on'
            L.append(n + ';')
        L.append('}')
        conf = os.path.join(self.dir, 'bird.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(L) + '\n')
        return conf

    def start(self):
        conf = self.write_config()
        p = self.ns.popen(['bird', '-f', '-c', conf, '-s', self.sock, '-P', os.path.join(self.dir, 'bird.pid')],
                          log_path=os.path.join(self.dir, 'bird.out'))
        self.procs.append(p)
        wait_for(lambda: p.poll() is not None or self.birdc('show status', check=False).returncode == 0, 20,
                 'bird control socket did not come up', interval=0.05)
        if p.poll() is not None:
            raise RuntimeError('bird exited: %s' % self.log_tail())

    def restart(self):
        self.stop()
        self.start()

    def sessions(self):
        txt = self.birdc('show bfd sessions', check=False).stdout
        out = {}
        for ln in txt.splitlines():
            f = ln.split()
            if len(f) >= 3 and re.match(r'^[0-9a-fA-F:.]+$', f[0]) and (':' in f[0] or '.' in f[0]):
                # address, interface (may be absent for multihop), state, since..., interval, timeout
                st = next((BIRD_STATES[x] for x in f[1:4] if x in BIRD_STATES), '')
                nums = [x for x in f if re.match(r'^\d+\.\d+$', x)]
                out[f[0]] = {'state': st, 'interval': float(nums[-2]) if len(nums) >= 2 else None,
                             'timeout': float(nums[-1]) if nums else None, 'raw': ln}
        return out

    def state(self, address):
        return self.sessions().get(address, {}).get('state', '')

    def session(self, address):
        return self.sessions().get(address, {})

    def set_timers(self, p, tx, rx, mult):
        p.tx, p.rx, p.mult = tx, rx, mult
        self.write_config()
        self.birdc('configure')
