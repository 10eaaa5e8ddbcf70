"""ExaBGP (Debian `exabgp` 4.2) as a scripted peer of our speaker: a hostile one that sends
malformed path attributes (ExaBGP's generic `attribute [ 0xCODE 0xFLAGS 0xDATA ]` puts any
bytes on the wire) or an OPEN we must refuse, and a 2-octet-only router (`capability { asn4
disable; }`) for RFC 6793.

    peer = ExaBGP(ns, local='10.0.0.2', peer='10.0.0.1', local_as=65002, peer_as=65001,
                  routes=['route 10.9.0.1/32 next-hop 10.0.0.2 attribute [ 0x04 0x80 0x000001 ]'])
    peer.start()                 # ExaBGP connects to the speaker (which listens)
    peer.wait_message(lambda m: m['type'] == 'notification', 20)

Everything ExaBGP receives (OPEN, UPDATE, NOTIFICATION, state changes) is written by its API
process as ExaBGP JSON, one object per line, with the raw message (`packets`) beside the
parsed form, so tests can read both ExaBGP's view and the exact octets our speaker sent.
"""
import json
import os

import netns
import routers

SINK = '''import sys
with open(sys.argv[1], "a") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
'''


class ExaBGP:
    kind = 'exabgp'
    binaries = ('exabgp',)

    def __init__(self, ns, local, peer, local_as, peer_as, router_id=None, routes=(), asn4=True,
                 hold_time=9, families=('ipv4 unicast', 'ipv6 unicast'), workdir=None):
        self.ns, self.local, self.peer = ns, local, peer
        self.local_as, self.peer_as = local_as, peer_as
        self.router_id = router_id or ns.addr('ipv4')
        self.routes, self.asn4, self.hold_time, self.families = list(routes), asn4, hold_time, families
        self.dir = workdir or netns.make_tempdir('exabgp')
        self._own_dir = workdir is None
        self.rx = os.path.join(self.dir, 'received.jsonl')
        self.proc = None

    @classmethod
    def missing_binaries(cls):
        return routers.Router.missing_binaries.__func__(cls)

    def config(self):
        L = ['process sink {', '  run /usr/bin/python3 %s %s;' % (os.path.join(self.dir, 'sink.py'), self.rx),
             '  encoder json;', '}',
             'neighbor %s {' % self.peer, '  router-id %s;' % self.router_id, '  local-address %s;' % self.local,
             '  local-as %d;' % self.local_as, '  peer-as %d;' % self.peer_as, '  hold-time %d;' % self.hold_time,
             '  family {'] + ['    %s;' % f for f in self.families] + ['  }']
        if not self.asn4:
            L += ['  capability {', '    asn4 disable;', '  }']
        L += ['  api {', '    processes [ sink ];', '    receive { parsed; packets; open; update; notification; }',
              '    neighbor-changes;', '  }']
        if self.routes:
            L += ['  static {'] + ['    %s;' % r for r in self.routes] + ['  }']
        L.append('}')
        return '\n'.join(L) + '\n'

    def start(self):
        with open(os.path.join(self.dir, 'sink.py'), 'w') as f:
            f.write(SINK)
        conf = os.path.join(self.dir, 'exabgp.conf')
        with open(conf, 'w') as f:
            f.write(self.config())
        env = dict(os.environ, exabgp_daemon_user='root', exabgp_daemon_drop='false', exabgp_api_cli='false',
                   exabgp_api_ack='false', exabgp_log_destination=os.path.join(self.dir, 'exabgp.log'),
                   exabgp_log_level='DEBUG', exabgp_log_packets='true', exabgp_log_message='true',
                   exabgp_tcp_bind='', exabgp_tcp_once='false', exabgp_tcp_delay='0')
        self.proc = self.ns.popen(['exabgp', conf], log_path=os.path.join(self.dir, 'exabgp.out'), env=env)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def messages(self):
        out = []
        try:
            with open(self.rx, errors='replace') as f:
                for ln in f:
                    try:
                        m = json.loads(ln)
                    except ValueError:
                        continue
                    if isinstance(m, dict):
                        out.append(m)
        except OSError:
            pass
        return out

    def wait_message(self, pred, timeout, what='message'):
        box = {}

        def seen():
            for m in self.messages():
                if pred(m):
                    box['m'] = m
                    return True
            return False
        routers.wait_for(seen, timeout, lambda: 'exabgp: no %s within %ds; received %s\n%s' % (
            what, timeout, [m.get('type') for m in self.messages()], self.log_tail()), interval=0.1)
        return box['m']

    def log_tail(self, n=40):
        out = []
        for fn in ('exabgp.out', 'exabgp.log', 'exabgp.conf'):
            try:
                with open(os.path.join(self.dir, fn), errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append('--- exabgp/%s (last %d lines)' % (fn, n))
            out += lines[-n:]
        return '\n'.join(out)

    def close(self):
        if self.proc is not None:
            netns.stop_process(self.proc)
            self.proc = None
        if self._own_dir:
            netns.remove_tempdir(self.dir)


def notification_seen(exa, code, subcode):
    """The NOTIFICATION (code, subcode) as ExaBGP reports it ({code, subcode, data}), or None.
    ExaBGP does not always get to read it: our speaker closes right after sending it, and
    when ExaBGP's own next messages were still unread on our side, the close resets the
    connection and ExaBGP tears down on the failed write (seen in about one run of three)."""
    for m in exa.messages():
        n = (m.get('neighbor') or {}).get('notification')
        if m.get('type') == 'notification' and n and (n.get('code'), n.get('subcode')) == (code, subcode):
            return n
    return None


def wait_notification(exa, code, subcode, timeout=10):
    """The NOTIFICATION (code, subcode) ExaBGP received: its JSON `notification` ({code,
    subcode, data}), or, when ExaBGP closed the connection before handing the message to its
    API process (seen under load), the `state` "down" whose reason names it ({data: None})."""
    words = 'notification received (%d,%d)' % (code, subcode)

    def match(m):
        n = (m.get('neighbor') or {}).get('notification')
        if m.get('type') == 'notification' and n:
            return (n.get('code'), n.get('subcode')) == (code, subcode)
        return m.get('type') == 'state' and words in ((m.get('neighbor') or {}).get('reason') or '')
    m = exa.wait_message(match, timeout, 'NOTIFICATION %d/%d from our speaker' % (code, subcode))
    return m['neighbor'].get('notification') or {'code': code, 'subcode': subcode, 'data': None}


def neighbor_message(m, kind):
    """The `kind` part ('update', 'open', 'notification') of an ExaBGP JSON message."""
    return ((m.get('neighbor') or {}).get('message') or {}).get(kind) or (m.get('neighbor') or {}).get(kind)


def raw_body(m):
    """The message body octets (after the 19-octet header) of a message received with `packets`."""
    msg = (m.get('neighbor') or {}).get('message') or {}
    body = msg.get('body') or ''
    return bytes.fromhex(body[2:] if body[:2].lower() == '0x' else body)


def path_attributes(update_body):
    """UPDATE body -> [(flags, code, value bytes)] (RFC 4271 §4.3)."""
    b = update_body
    wl = int.from_bytes(b[0:2], 'big')
    i = 2 + wl
    tl = int.from_bytes(b[i:i + 2], 'big')
    i += 2
    end = i + tl
    out = []
    while i < end:
        flags, code = b[i], b[i + 1]
        if flags & 0x10:
            ln = int.from_bytes(b[i + 2:i + 4], 'big')
            i += 4
        else:
            ln = b[i + 2]
            i += 3
        out.append((flags, code, b[i:i + ln]))
        i += ln
    return out


def as_path_segments(value, asn_size):
    """AS_PATH / AS4_PATH value -> [(segment type, [ASNs])]."""
    out, i = [], 0
    while i < len(value):
        t, n = value[i], value[i + 1]
        i += 2
        out.append((t, [int.from_bytes(value[i + k * asn_size:i + (k + 1) * asn_size], 'big') for k in range(n)]))
        i += n * asn_size
    return out


def exabgp_problem():
    """Why ExaBGP tests cannot run here, or None."""
    import announcer
    from conftest import environment_problem
    why = environment_problem()
    if not why and ExaBGP.missing_binaries():
        why = 'exabgp not installed (Debian exabgp)'
    kind, path = announcer.announcer_setting()
    if not why and (kind != 'bgplb' or path.endswith('.py')):
        why = "what our speaker answers to this peer is our speaker's own behaviour (BGPLB_ANNOUNCER=%s)" % path
    return why


class ExaBed:
    """Our speaker in `spk` (10.0.0.1, listening, passive) and ExaBGP in `rtr` (10.0.0.2),
    which connects. `exabgp` holds ExaBGP's settings (see ExaBGP); `routes` are the speaker's."""
    kind = 'exabgp'

    def __init__(self, speaker_as=65001, router_as=65002, speaker_peer_as=None, exabgp=None, routes=(),
                 capture=False):
        import announcer
        import checks
        self.topo = netns.Topology('bgplb')
        self.speaker = self.exa = self.capture = None
        try:
            self.spk_ns, self.rtr_ns = self.topo.add_ns('spk'), self.topo.add_ns('rtr')
            self.topo.link(self.spk_ns, self.rtr_ns)
            self.spk_addr, self.rtr_addr = self.spk_ns.addr('ipv4'), self.rtr_ns.addr('ipv4')
            if capture:     # what our speaker put on the wire, whatever ExaBGP made of it
                self.cap_dir = netns.make_tempdir('capture')
                self.capture = checks.Capture(self.rtr_ns, self.rtr_ns.ifname(), self.cap_dir).__enter__()
            kw = dict(exabgp or {})
            kw.setdefault('peer_as', speaker_as)
            self.exa = ExaBGP(self.rtr_ns, self.rtr_addr, self.spk_addr, kw.pop('local_as', router_as), **kw)
            # keep_received: the tests count what the speaker kept (treat-as-withdraw or not)
            peer = {'address': self.rtr_addr, 'asn': speaker_peer_as or router_as, 'local_address': self.spk_addr,
                    'passive': True, 'hold_time': 9, 'keep_received': True}
            cfg = announcer.speaker_config(speaker_as, self.spk_addr, [peer], routes=routes,
                                           listen={'address': self.spk_addr, 'port': 179})
            self.speaker = announcer.make_speaker(self.spk_ns, cfg)
            self.speaker.start()
            self.exa.start()
        except BaseException:
            self.close()
            raise

    def wire_notifications(self):
        """Stops the capture; [(code, subcode)] of the NOTIFICATIONs our speaker sent,
        decoded by tshark's BGP dissector."""
        if self.capture.proc is not None and self.capture.proc.poll() is None:
            self.capture.__exit__(None, None, None)
        fields = ['bgp.notify.major_error', 'bgp.notify.minor_error_open', 'bgp.notify.minor_error_update',
                  'bgp.notify.minor_error_cease']
        argv = ['tshark', '-r', self.capture.path, '-d', 'tcp.port==179,bgp', '-Y',
                'bgp.type == 3 && ip.src == %s' % self.spk_addr, '-T', 'fields', '-E', 'separator=\t',
                '-E', 'aggregator=,']
        for f in fields:
            argv += ['-e', f]
        out = []
        for ln in netns.run(argv, timeout=60).stdout.splitlines():
            cols = (ln.split('\t') + [''] * 4)[:4]
            codes = [int(x) for x in cols[0].split(',') if x]
            subs = [int(x) for c in cols[1:] for x in c.split(',') if x]
            out += list(zip(codes, subs + [None] * (len(codes) - len(subs))))
        return out

    def logs(self):
        return '\n'.join(x.log_tail() for x in (self.speaker, self.exa) if x is not None)

    def close(self):
        for x in (self.exa, self.speaker):
            if x is not None:
                x.close()
        if self.capture is not None:
            if self.capture.proc is not None and self.capture.proc.poll() is None:
                self.capture.__exit__(None, None, None)
            netns.remove_tempdir(self.cap_dir)
        self.topo.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
