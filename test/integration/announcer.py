"""Drives the BGP speaker under test from inside its namespace.

`make_speaker(ns, config)` picks the implementation from $BGPLB_ANNOUNCER:

  * a path: our speaker's test tool, `bgp_announcer --config FILE.json`. It prints one JSON
    event per line on stdout ({"event":"peer_state",...}, {"event":"peer_down",...},
    {"event":"status","peers":[...]}) and reads one JSON command per line on stdin
    ({"cmd":"announce","route":{..}}, {"cmd":"withdraw","prefix":..}, {"cmd":"status"}).
    SIGTERM = RFC 8326 graceful shutdown; SIGKILL = crash (graceful restart tests).
  * `gobgpd`: the harness self-test. gobgpd plays our speaker from the same JSON config, so
    the router side of every test can be proven before the tool exists. What gobgpd lacks is
    emulated here and marked so: the RFC 8326 sequence on SIGTERM (re-announce with
    GRACEFUL_SHUTDOWN, drain, withdraw, stop) and the event stream (polled).

Both present the same interface (class Speaker); tests use nothing else. The config is the
tool's JSON (see speaker_config()).
"""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time

import netns
import routers

STATE_WORDS = {'open_sent': 'opensent', 'open_confirm': 'openconfirm'}


def norm_state(s):
    s = (s or '').lower().replace('-', '_')
    return STATE_WORDS.get(s, s.replace('_', ''))


def speaker_config(asn, router_id, peers, routes=(), graceful_restart=None, drain=None, listen=None):
    """The tool's JSON config. peers: dicts with address, asn, local_address and optional
    port, passive, hold_time, connect_retry, password, ebgp_multihop_ttl, gtsm."""
    c = {'asn': asn, 'router_id': router_id, 'peers': [], 'routes': [dict(r) for r in routes]}
    for p in peers:
        q = {'port': 179, 'passive': False, 'hold_time': 9, 'connect_retry': 1}
        q.update(p)
        c['peers'].append(q)
    if graceful_restart:
        c['graceful_restart'] = {'restart_time': graceful_restart}
    if drain is not None:
        c['shutdown_drain_seconds'] = drain
    if listen:
        c['listen'] = listen
    return c


class Speaker:
    """Common part: event log with timestamps, waiting helpers."""
    kind = '?'

    def __init__(self, ns, config, workdir=None):
        self.ns, self.config = ns, config
        self.dir = workdir or netns.make_tempdir('speaker')
        self._own_dir = workdir is None
        self.events = []            # (monotonic time, dict)
        self._ev_lock = threading.Lock()
        self.proc = None
        self.starts = 0

    def _event(self, ev):
        with self._ev_lock:
            self.events.append((time.monotonic(), ev))

    def events_since(self, t0=0.0, name=None):
        with self._ev_lock:
            return [(t, e) for t, e in self.events if t >= t0 and (name is None or e.get('event') == name)]

    def wait_event(self, pred, timeout, since=0.0, what='event'):
        end = time.monotonic() + timeout
        while True:
            for t, e in self.events_since(since):
                if pred(e):
                    return t, e
            if time.monotonic() > end:
                raise AssertionError('%s: no %s within %.0fs; events: %s' % (
                    self.kind, what, timeout, [e for _, e in self.events_since(since)][-20:]))
            time.sleep(0.05)

    def peer_state(self, peer):
        return self.status().get(peer, {}).get('state', '')

    def wait_state(self, peer, state='established', timeout=30):
        return routers.wait_for(lambda: self.peer_state(peer) == state, timeout,
                                lambda: '%s: peer %s not %s (now %r); last events %s' % (
                                    self.kind, peer, state, self.peer_state(peer),
                                    [e for _, e in self.events][-10:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """Crash: SIGKILL, no NOTIFICATION, the TCP connection is reset by the kernel."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self):
        if self.proc is not None:
            netns.stop_process(self.proc, sig=signal.SIGKILL)
        self.proc = None
        if self._own_dir:
            netns.remove_tempdir(self.dir)

    def log_tail(self, n=60):
        out = []
        for fn in sorted(os.listdir(self.dir)):
            if fn.endswith(('.log', '.out', '.err')):
                try:
                    with open(os.path.join(self.dir, fn), errors='replace') as f:
                        lines = f.read().splitlines()
                except OSError:
                    continue
                out.append('--- speaker/%s (last %d lines)' % (fn, n))
                out += lines[-n:]
        return '\n'.join(out)

    # implemented below
    def start(self, restarting=False): raise NotImplementedError
    def announce(self, route): raise NotImplementedError
    def withdraw(self, prefix): raise NotImplementedError
    def status(self): raise NotImplementedError
    def graceful_stop(self, timeout=60): raise NotImplementedError


# ======================================================================= the real tool
class BgplbAnnouncer(Speaker):
    kind = 'bgplb'

    def __init__(self, ns, config, binary, workdir=None):
        super().__init__(ns, config, workdir)
        self.binary = binary
        self._status_q = queue.Queue()
        self._wlock = threading.Lock()

    def start(self, restarting=False):
        conf = os.path.join(self.dir, 'announcer.json')
        with open(conf, 'w') as f:
            json.dump(self.config, f, indent=1)
        self.starts += 1
        err = open(os.path.join(self.dir, 'announcer-%d.err' % self.starts), 'wb')
        self.proc = self.ns.popen([self.binary, '--config', conf], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=err)
        err.close()
        self._raw = open(os.path.join(self.dir, 'announcer-%d.out' % self.starts), 'w')
        threading.Thread(target=self._reader, args=(self.proc, self._raw), daemon=True).start()

    def _reader(self, proc, raw):
        for line in iter(proc.stdout.readline, b''):
            s = line.decode(errors='replace').rstrip('\n')
            raw.write(s + '\n')
            raw.flush()
            try:
                ev = json.loads(s)
            except ValueError:
                ev = {'event': 'unparsed', 'line': s}
            if not isinstance(ev, dict):
                ev = {'event': 'unparsed', 'line': s}
            self._event(ev)
            if ev.get('event') == 'status':
                self._status_q.put(ev)
        self._event({'event': 'exit', 'code': proc.wait()})
        raw.close()

    def _send(self, obj):
        if not self.alive():
            raise AssertionError('announcer is not running (exit %s)\n%s' % (
                self.proc.poll() if self.proc else None, self.log_tail()))
        with self._wlock:
            self.proc.stdin.write((json.dumps(obj) + '\n').encode())
            self.proc.stdin.flush()

    def announce(self, route):
        self._send({'cmd': 'announce', 'route': route})

    def withdraw(self, prefix):
        self._send({'cmd': 'withdraw', 'prefix': prefix})

    def status(self):
        while not self._status_q.empty():
            self._status_q.get_nowait()
        self._send({'cmd': 'status'})
        try:
            ev = self._status_q.get(timeout=10)
        except queue.Empty:
            raise AssertionError('announcer did not answer {"cmd":"status"} within 10 s')
        out = {}
        for p in ev.get('peers', []):
            q = dict(p)
            q['state'] = norm_state(p.get('state'))
            out[p.get('peer')] = q
        return out

    def graceful_stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError('announcer did not exit within %ds of SIGTERM' % timeout)


# ======================================================================= gobgpd stand-in
class GobgpAnnouncer(Speaker):
    """gobgpd configured from the announcer's JSON. Self-test of the harness only."""
    kind = 'gobgpd-as-speaker'

    def __init__(self, ns, config, workdir=None):
        super().__init__(ns, config, workdir)
        self.announced = {}         # prefix -> route (what a restart must re-announce)
        self._poller = None
        self._stop_poll = threading.Event()

    def _toml(self):
        c = self.config
        gr = (c.get('graceful_restart') or {}).get('restart_time')
        nbrs = []
        for p in c['peers']:
            hold = p.get('hold_time', 90)
            nbrs.append(dict(address=p['address'], asn=p['asn'], local_address=p.get('local_address'),
                             passive=p.get('passive', False), password=p.get('password'), hold_time=hold,
                             keepalive=max(1, hold // 3), connect_retry=p.get('connect_retry', 1),
                             port=p.get('port', 179), gr=gr, admin_down=True,
                             multihop_ttl=p.get('ebgp_multihop_ttl', 1)))
        lst = c.get('listen') or {}
        return routers.gobgp_toml(c['asn'], c['router_id'], lst.get('port', 179), nbrs, lst.get('address'))

    def start(self, restarting=False):
        conf = os.path.join(self.dir, 'gobgpd.toml')
        with open(conf, 'w') as f:
            f.write(self._toml())
        self.starts += 1
        argv = ['gobgpd', '-f', conf, '-p', '--pprof-disable', '-l', 'debug',
                '--api-hosts', '%s:%d' % routers.GOBGP_API]
        if restarting:
            argv.append('-r')       # R bit in the GR capability: "I restarted"
        self.log = os.path.join(self.dir, 'gobgpd-%d.log' % self.starts)
        self.proc = self.ns.popen(argv, log_path=self.log)
        routers.gobgp_wait_api(self.ns, self.proc)
        # Routes first, then the sessions (admin-down in the config), like the tool, which
        # has its config routes before it connects.
        # Like the tool, a (re)start announces the config's routes, not what was added at run time.
        self.announced = {r['prefix']: r for r in self.config.get('routes', [])}
        for r in self.announced.values():
            self._add(r)
        for p in self.config['peers']:
            self.cli('neighbor', p['address'], 'enable')
        self._start_poller()

    def cli(self, *args, check=True):
        return routers.gobgp_cli(self.ns, args, check=check)

    def _ibgp_any(self):
        return any(p['asn'] == self.config['asn'] for p in self.config['peers'])

    def _add(self, r, extra_communities=(), local_pref=None):
        fam = routers._family(r['prefix'])
        argv = ['global', 'rib', '-a', fam, 'add', r['prefix']]
        if r.get('next_hop'):
            argv += ['nexthop', r['next_hop']]
        if r.get('as_path_prepend'):
            argv += ['aspath', ','.join(str(a) for a in r['as_path_prepend'])]
        comms = list(r.get('communities', [])) + list(extra_communities)
        if comms:
            argv += ['community', ','.join(comms)]
        if r.get('large_communities'):
            argv += ['large-community', ','.join(r['large_communities'])]
        if r.get('med') is not None:
            argv += ['med', str(r['med'])]
        lp = local_pref if local_pref is not None else r.get('local_pref')
        if lp is not None:
            argv += ['local-pref', str(lp)]
        argv += ['origin', r.get('origin', 'igp')]
        self.cli(*argv)

    def announce(self, route):
        self.announced[route['prefix']] = route
        self._add(route)

    def withdraw(self, prefix):
        self.announced.pop(prefix, None)
        self.cli('global', 'rib', '-a', routers._family(prefix), 'del', prefix)

    def status(self):
        r = self.cli('neighbor', '-j', check=False)
        try:
            js = json.loads(r.stdout) or []
        except ValueError:
            js = []
        out = {}
        for n in js:
            st = n.get('state', {})
            addr = st.get('neighbor_address')
            sent = rcvd = 0
            for a in n.get('afi_safis', []):
                sent += a.get('state', {}).get('advertised', 0) or 0
                rcvd += a.get('state', {}).get('received', 0) or 0
            out[addr] = {'peer': addr, 'state': routers.GOBGP_STATES.get(st.get('session_state'), ''),
                         'sent_prefixes': sent, 'received_prefixes': rcvd}
        return out

    def _start_poller(self):
        self._stop_poll.clear()
        proc, log = self.proc, self.log

        def poll():
            last = {}
            while not self._stop_poll.is_set() and proc.poll() is None:
                try:
                    st = self.status()
                except Exception:       # gobgpd going away under us
                    st = {}
                if proc.poll() is not None:
                    break
                for peer, s in st.items():
                    if s['state'] != last.get(peer):
                        if last.get(peer) == 'established':
                            self._event({'event': 'peer_down', 'peer': peer, 'reason': _gobgp_down_reason(log)})
                        self._event({'event': 'peer_state', 'peer': peer, 'state': s['state']})
                        last[peer] = s['state']
                time.sleep(0.1)
            self._event({'event': 'exit', 'code': proc.poll()})
        self._poller = threading.Thread(target=poll, daemon=True)
        self._poller.start()

    def graceful_stop(self, timeout=60):
        """Emulated RFC 8326: what our speaker does on SIGTERM, done through gobgp's CLI."""
        drain = self.config.get('shutdown_drain_seconds', 0)
        lp = 0 if self._ibgp_any() else None
        for r in list(self.announced.values()):
            self._add(r, extra_communities=['65535:0'], local_pref=lp)
        time.sleep(drain)
        for prefix in list(self.announced):
            self.cli('global', 'rib', '-a', routers._family(prefix), 'del', prefix)
        time.sleep(1.0)         # let the withdrawals leave before the Cease
        for p in self.config['peers']:     # Cease / Administrative Shutdown with an RFC 9003 message
            self.cli('neighbor', p['address'], 'shutdown', '--reason', 'bgplb graceful shutdown', check=False)
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError('gobgpd did not exit within %ds of SIGTERM' % timeout)

    def kill9(self):
        self._stop_poll.set()
        super().kill9()

    def close(self):
        self._stop_poll.set()
        super().close()


def _gobgp_down_reason(log):
    try:
        with open(log, errors='replace') as f:
            txt = f.read()
    except OSError:
        return ''
    m = re.findall(r'msg="Peer Down".*?Reason=("[^"]*"|\S+)', txt)
    return m[-1].strip('"') if m else ''


def announcer_setting():
    """$BGPLB_ANNOUNCER -> ('bgplb', path) | ('gobgpd', None) | (None, why not)."""
    v = os.environ.get('BGPLB_ANNOUNCER', '')
    if not v:
        return None, 'BGPLB_ANNOUNCER is not set (path of bgp_announcer, or "gobgpd" for the harness self-test)'
    if v == 'gobgpd':
        return 'gobgpd', None
    if not os.access(v, os.X_OK):
        return None, 'announcer %s is not built' % v
    return 'bgplb', v


def make_speaker(ns, config, workdir=None):
    kind, arg = announcer_setting()
    if kind == 'bgplb':
        return BgplbAnnouncer(ns, config, arg, workdir)
    if kind == 'gobgpd':
        return GobgpAnnouncer(ns, config, workdir)
    raise RuntimeError(arg)
