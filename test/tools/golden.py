#!/usr/bin/env python3
"""The golden-file runner: runs a command per case directory and compares what it
printed with the case's `expected` file (docs/testing.md).

usage: golden.py [--program NAME=PATH]... [--root DIR] [--server CMD] [--masks FILE]
                 GOLDEN_DIR PATTERN...

Every directory GOLDEN_DIR/CASE whose name matches a PATTERN (fnmatch: `pools-*`) is a
case:

  cmd       one command a line (blank lines and `#` lines aside), in shell words: a
            program named with --program, then its arguments; {case}, {root}, {port} and
            {dead_port} are replaced (the case directory, the source root, the port of
            the fixture, a port nothing listens on)
  stdin     optional: fed to each command's standard input
  http/     optional: served on 127.0.0.1:{port} while the case runs; a request for /P
            answers http/P, with the status in http/P.status if that file exists (else 200)
  expected  for each command: `$ ` and its line from cmd, `# exit N`, then its standard
            output and its standard error; the case directory and the source root are
            printed relative (their path and a slash removed), {port} as PORT and
            {dead_port} as DEAD_PORT

--server starts CMD once ({port} replaced) before the cases; it must print a line
starting with `ready` when it serves. --masks names a file of `REGEX<TAB>REPLACEMENT`
lines applied to both sides before comparing (for outputs recorded from another
program: times, counters).

With BGPLB_UPDATE_GOLDEN=1 every `expected` that differs is rewritten instead; review
the diff like code. Exit status: 0 all cases match, 1 some differ, 2 bad usage or no case.
"""

import argparse
import difflib
import fnmatch
import http.server
import os
import re
import shlex
import socket
import subprocess
import sys
import threading

UPDATE = os.environ.get('BGPLB_UPDATE_GOLDEN') == '1'
TIMEOUT = 60


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Files(http.server.BaseHTTPRequestHandler):
    """Serves the current case's http/ directory."""
    root = None

    def do_GET(self):
        status, body = 404, b'not found\n'
        path = os.path.normpath(os.path.join(self.root or '/nonexistent', self.path.lstrip('/')))
        if self.root and path.startswith(self.root + os.sep) and os.path.isfile(path):
            with open(path, 'rb') as f:
                body = f.read()
            status = 200
            if os.path.exists(path + '.status'):
                with open(path + '.status', encoding='utf-8') as f:
                    status = int(f.read().strip())
        self.send_response(status)
        self.send_header('Content-Type', 'application/json' if status == 200 else 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def read_masks(path):
    masks = []
    if path:
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.strip() and not line.startswith('#'):
                    regex, _, repl = line.rstrip('\n').partition('\t')
                    masks.append((re.compile(regex, re.M), repl))
    return masks


def apply_masks(text, masks):
    for regex, repl in masks:
        text = regex.sub(repl, text)
    return text


def run_command(line, case_dir, programs, values):
    words = [w.format(**values) for w in shlex.split(line)]
    words[0] = programs.get(words[0], words[0])
    stdin = os.path.join(case_dir, 'stdin')
    with open(stdin if os.path.exists(stdin) else os.devnull, 'rb') as f:
        p = subprocess.run(words, stdin=f, capture_output=True, timeout=TIMEOUT, check=False)
    return '$ %s\n# exit %d\n%s%s' % (line, p.returncode, p.stdout.decode('utf-8', 'replace'),
                                      p.stderr.decode('utf-8', 'replace'))


def run_case(case_dir, programs, values):
    with open(os.path.join(case_dir, 'cmd'), encoding='utf-8') as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    out = ''.join(run_command(line, case_dir, programs, values) for line in lines)
    for path in (values['case'], values['root']):
        out = out.replace(path + os.sep, '')
    return out.replace(':%s' % values['port'], ':PORT').replace(':%s' % values['dead_port'], ':DEAD_PORT')


def start_server(cmd, values):
    server = subprocess.Popen([w.format(**values) for w in shlex.split(cmd)], stdout=subprocess.PIPE, text=True)
    if not server.stdout.readline().startswith('ready'):
        server.kill()
        server.wait()
        sys.exit('golden: %s did not print "ready"' % cmd)
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--program', action='append', default=[], help='NAME=PATH')
    ap.add_argument('--root', default=os.getcwd())
    ap.add_argument('--server')
    ap.add_argument('--masks')
    ap.add_argument('golden_dir')
    ap.add_argument('pattern', nargs='+')
    a = ap.parse_args()
    programs = dict(p.split('=', 1) for p in a.program)
    golden = os.path.abspath(a.golden_dir)
    cases = sorted(c for c in os.listdir(golden)
                   if any(fnmatch.fnmatch(c, p) for p in a.pattern) and os.path.isfile(os.path.join(golden, c, 'cmd')))
    if not cases:
        print('golden: no case matches %s in %s' % (' '.join(a.pattern), golden))
        return 2
    masks = read_masks(a.masks)
    values = {'root': os.path.abspath(a.root), 'port': free_port(), 'dead_port': free_port(), 'case': ''}

    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', values['port']), Files) if not a.server else None
    if httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = start_server(a.server, values) if a.server else None
    failures = 0
    try:
        for case in cases:
            case_dir = os.path.join(golden, case)
            values['case'] = case_dir
            Files.root = os.path.join(case_dir, 'http') if os.path.isdir(os.path.join(case_dir, 'http')) else None
            got = run_case(case_dir, programs, values)
            path = os.path.join(case_dir, 'expected')
            try:
                with open(path, encoding='utf-8') as f:
                    want = f.read()
            except FileNotFoundError:
                want = ''
            if apply_masks(got, masks) == apply_masks(want, masks):
                print('ok      %s' % case)
            elif UPDATE:
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(got)
                print('updated %s' % case)
            else:
                failures += 1
                print('FAIL    %s' % case)
                sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                           os.path.join(case, 'expected'), 'actual'))
    finally:
        if httpd:
            httpd.shutdown()
        if server:
            server.kill()
            server.wait()
    print('%d of %d case(s) differ%s' % (failures, len(cases),
                                         '; BGPLB_UPDATE_GOLDEN=1 rewrites them' if failures else ''))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
