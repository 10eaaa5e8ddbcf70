#!/usr/bin/env python3
"""Golden test: bgplbctl against a server replaying gobgpd's recorded answers
(cli/test/golden/gobgp/server_side) prints what GoBGP 3.10's client printed
(cli/test/golden/gobgp/<name>.txt), byte for byte once times are masked.

usage: gobgp_golden_test.py BGPLBCTL REPLAY_SERVER REFERENCE_DIR
"""
import os
import re
import socket
import subprocess
import sys

BGPLBCTL, REPLAY, REF = sys.argv[1:4]
# INDEX.tsv names whose requests the recording covers (the others need a live server:
# api/test/gobgp_compat_test.py runs them against a bgplb speaker). Not neighbor_j:
# gobgpd listed B's capabilities in another order when server_side/ was recorded.
CASES = ['global', 'global_j', 'global_uhost', 'global_target', 'global_rib', 'global_rib_j',
         'global_rib_a_ipv4', 'global_rib_a_ipv6', 'global_rib_a_ipv6_j', 'global_rib_summary',
         'global_rib_summary_j', 'global_rib_badprefix', 'neighbor', 'neighbor_q',
         'neighbor_a_ipv6', 'neighbor_b', 'neighbor_b_j', 'adjin_b', 'adjin_b_j', 'adjin_b_v6',
         'adjout_b', 'adjout_b_j', 'adjout_b_v6', 'noserver', 'noserver_j']
TIME = re.compile(r'(\d+d )?\d\d:\d\d:\d\d')
JSON_TIME = re.compile(r'"(age|seconds)":\d+')
# Counters moved on between the capture of the goldens and of the server's answers.
COUNTERS = re.compile(r'^(    (Opens|Notifications|Updates|Keepalives|Route Refresh|Discarded|Total|Advertised|Received|Accepted):)[\d ]+$', re.M)
JSON_COUNTERS = re.compile(r'"messages":\{"received":\{[^}]*\},"sent":\{[^}]*\}\}')


def mask(text):
    text = COUNTERS.sub(r'\1 N', text)
    text = JSON_COUNTERS.sub('"messages":N', text)
    return JSON_TIME.sub(r'"\1":T', TIME.sub('T', text))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    index = os.path.join(REF, 'INDEX.tsv')
    if not os.path.exists(index):
        print(f'reference outputs not found at {REF}')
        return 1
    rows = {}
    for line in open(index, encoding='utf-8'):
        name, code, cmd = line.rstrip('\n').split('\t')
        rows[name] = (int(code), cmd)
    port, dead = free_port(), free_port()
    server = subprocess.Popen([REPLAY, os.path.join(REF, 'server_side'), str(port)], stdout=subprocess.PIPE, text=True)
    failures = 0
    try:
        if not server.stdout.readline().startswith('ready'):
            print('replay server did not start')
            return 1
        for name in CASES:
            code, cmd = rows[name]
            args = cmd.split()[1:]
            args = [a.replace('50061', str(port)).replace('59999', str(dead)) for a in args]
            r = subprocess.run([BGPLBCTL, *args], capture_output=True, text=True, timeout=20)
            want = open(os.path.join(REF, name + '.txt'), encoding='utf-8').read()
            got = r.stdout + r.stderr
            if r.returncode != code or mask(got) != mask(want):
                failures += 1
                print(f'FAIL {name}: bgplbctl {" ".join(args)} (exit {r.returncode}, want {code})')
                print('--- want\n' + want + '--- got\n' + got)
            else:
                print(f'ok   {name}')
    finally:
        server.kill()
        server.wait()
    print(f'{failures} failure(s) in {len(CASES)} cases')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
