#!/usr/bin/env python3
"""A stand-in for bgp_announcer with the same command line and JSON-lines protocol, with
gobgpd doing the BGP underneath. It exists to prove the harness's real-tool path
(announcer.BgplbAnnouncer: stdin commands, stdout events, status round trips, SIGTERM,
SIGKILL) before the tool is built:

    BGPLB_ANNOUNCER=test/integration/fake_announcer.py python3 test/integration/run_pytest.py

gobgpd dies with this process (PR_SET_PDEATHSIG), so `kill -9` of the stand-in is a crash
of the speaker as the graceful restart test needs. A start with a `<config>.started` marker
beside the config is a restart (gobgpd -r)."""
import argparse
import ctypes
import json
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import announcer  # noqa: E402
import netns  # noqa: E402

PR_SET_PDEATHSIG = 1
_out = threading.Lock()


def emit(obj):
    with _out:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


def _die_with_parent():
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Here(netns.Namespace):
    """The namespace this process already runs in."""

    def __init__(self):
        super().__init__('(current)', 'spk')

    def argv(self, argv):
        return list(argv)

    def popen(self, argv, log_path=None, **kw):
        kw['preexec_fn'] = _die_with_parent
        return super().popen(argv, log_path, **kw)


class Speaker(announcer.GobgpAnnouncer):
    def _event(self, ev):
        super()._event(ev)
        if ev.get('event') in ('peer_state', 'peer_down'):
            emit(ev)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', required=True)
    a = ap.parse_args()
    with open(a.config) as f:
        conf = json.load(f)
    marker = a.config + '.started'
    restarting = os.path.exists(marker)
    open(marker, 'w').close()
    sp = Speaker(Here(), conf, workdir=os.path.dirname(os.path.abspath(a.config)))

    def on_term(signum, frame):
        sp.graceful_stop()
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    sp.start(restarting=restarting)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            c = cmd.get('cmd')
            if c == 'announce':
                sp.announce(cmd['route'])
            elif c == 'withdraw':
                sp.withdraw(cmd['prefix'])
            elif c == 'status':
                emit({'event': 'status', 'peers': list(sp.status().values())})
            else:
                emit({'event': 'error', 'message': 'unknown command %r' % c})
        except Exception as e:      # report and go on, like the tool
            emit({'event': 'error', 'message': repr(e)})
    signal.pause()                  # stdin closed: keep announcing until a signal


if __name__ == '__main__':
    main()
