#!/usr/bin/env python3
"""The quick start's traffic (scripts/quickstart.sh): a pod's web server and the client's
requests, standard library only. Every answer is one line, "<pod> <client address the pod
saw>", so the demo sees which backend served a request and whether the client's own
address reached it.

  demo_traffic.py serve NAME          in a pod's namespace: HTTP/1.1 on TCP 8080 (keep-alive)
                                      and the same answer to every UDP datagram on 8080
  demo_traffic.py ask IP N [--udp]    in the client's namespace: N requests to IP:80, each on a
                                      new connection (or from a new UDP port); prints the
                                      answers, one per line; exit 1 at the first failure
  demo_traffic.py hold IP             one TCP connection to IP:80 kept open: for every line
                                      read on stdin one request on that same connection, its
                                      answer printed ("error: ..." once it broke; it never
                                      reconnects)
"""
import http.server
import socket
import socketserver
import sys
import threading

PORT, SERVICE_PORT, TIMEOUT = 8080, 80, 3.0


def serve(name):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'   # keep-alive: a held connection stays one connection

        def do_GET(self):  # noqa: N802 (the stdlib's name)
            body = ('%s %s\n' % (name, self.client_address[0])).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', PORT))
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(('%s %s\n' % (name, peer[0])).encode(), peer)

    threading.Thread(target=udp, daemon=True).start()
    httpd = Server(('0.0.0.0', PORT), Handler)
    print('ready', flush=True)
    httpd.serve_forever()


class Held:
    """One TCP connection speaking HTTP/1.1 by hand (http.client would reconnect silently)."""

    def __init__(self, ip):
        self.sock = socket.create_connection((ip, SERVICE_PORT), timeout=TIMEOUT)
        self.buf = b''

    def get(self):
        self.sock.sendall(b'GET / HTTP/1.1\r\nHost: demo\r\n\r\n')
        while b'\r\n\r\n' not in self.buf:
            self._read()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        length = next(int(h.split(b':', 1)[1]) for h in head.split(b'\r\n') if h.lower().startswith(b'content-length:'))
        while len(self.buf) < length:
            self._read()
        body, self.buf = self.buf[:length], self.buf[length:]
        return body.decode().strip()

    def _read(self):
        chunk = self.sock.recv(4096)
        if not chunk:
            raise ConnectionError('closed by the other side')
        self.buf += chunk


def ask(ip, n, use_udp):
    for _ in range(n):
        if use_udp:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(TIMEOUT)
            s.sendto(b'who\n', (ip, SERVICE_PORT))
            data, peer = s.recvfrom(2048)
            s.close()
            if peer[0] != ip:
                sys.exit('the answer came from %s, not from the service address %s' % (peer[0], ip))
            print(data.decode().strip(), flush=True)
        else:
            c = Held(ip)
            print(c.get(), flush=True)
            c.sock.close()


def hold(ip):
    c = Held(ip)
    print('connected from port %d' % c.sock.getsockname()[1], flush=True)
    for _ in sys.stdin:
        try:
            print(c.get(), flush=True)
        except OSError as e:
            print('error: %s' % (e or type(e).__name__), flush=True)
            return


def main(argv):
    try:
        if argv[:1] == ['serve'] and len(argv) == 2:
            return serve(argv[1])
        if argv[:1] == ['ask'] and len(argv) in (3, 4) and argv[3:] in ([], ['--udp']):
            return ask(argv[1], int(argv[2]), argv[3:] == ['--udp'])
        if argv[:1] == ['hold'] and len(argv) == 2:
            return hold(argv[1])
    except OSError as e:
        sys.exit('%s: %s' % (' '.join(argv[:2]), e or type(e).__name__))
    sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
