#!/usr/bin/env python3
"""Golden files for `bgplbctl bfd`.

usage: bfd_golden.py BGPLBCTL GOLDEN_DIR

Each GOLDEN_DIR/CASE/ holds what a speaker answers on /v1/bfd: `v1-bfd.json` (served with
200), or `v1-bfd.status` (first line the HTTP status, the rest the body: an older
speaker, an error). This script serves it from loopback and runs `bgplbctl bfd --speaker
127.0.0.1:PORT` into table.txt, and with -j into json.txt; each starts with a line `# exit
N`, then standard output, then standard error (the port reads PORT). With
BGPLB_UPDATE_GOLDEN=1 the files are rewritten instead; review the diff like code.
"""

import http.server
import os
import subprocess
import sys
import threading

import golden_files


class Handler(http.server.BaseHTTPRequestHandler):
    case_dir = None

    def do_GET(self):
        status, body, kind = 404, b'not found\n', 'text/plain'
        if self.path == '/v1/bfd':
            js = os.path.join(self.case_dir, 'v1-bfd.json')
            st = os.path.join(self.case_dir, 'v1-bfd.status')
            if os.path.exists(js):
                with open(js, 'rb') as f:
                    status, body, kind = 200, f.read(), 'application/json'
            elif os.path.exists(st):
                with open(st, 'rb') as f:
                    first, _, body = f.read().partition(b'\n')
                status = int(first)
        self.send_response(status)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(bgplbctl, port, extra):
    p = subprocess.run([bgplbctl, 'bfd', '--speaker', '127.0.0.1:%d' % port] + extra, capture_output=True, text=True,
                       check=False)
    return ('# exit %d\n%s%s' % (p.returncode, p.stdout, p.stderr)).replace(':%d' % port, ':PORT')


def main():
    bgplbctl, golden = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    failures = 0
    try:
        for case in sorted(os.listdir(golden)):
            Handler.case_dir = os.path.join(golden, case)
            for name, extra in (('table.txt', []), ('json.txt', ['-j'])):
                failures += golden_files.check(os.path.join(golden, case, name), run(bgplbctl, port, extra), golden)
    finally:
        server.shutdown()
    return golden_files.summary(failures)


if __name__ == '__main__':
    sys.exit(main())
