#!/usr/bin/env python3
"""A pod's application for the dataplane end-to-end test: answers every TCP line and
every UDP datagram on port 8080 (IPv4 and IPv6) with "<name> <address the request came
from>", so the test sees which backend served it and which client address it saw."""
import selectors
import socket
import sys

name = sys.argv[1]
sel = selectors.DefaultSelector()


def listen(family, kind):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(('::' if family == socket.AF_INET6 else '0.0.0.0', 8080))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, kind)


for fam in (socket.AF_INET, socket.AF_INET6):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        listen(fam, kind)
print('ready', flush=True)

while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == socket.SOCK_DGRAM:
            data, peer = s.recvfrom(2048)
            s.sendto(('%s %s\n' % (name, peer[0])).encode(), peer)
        elif key.data == socket.SOCK_STREAM:
            conn, peer = s.accept()
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ, ('conn', peer[0]))
        else:
            try:
                data = s.recv(2048)
            except OSError:
                data = b''
            if not data:
                sel.unregister(s)
                s.close()
                continue
            for _ in range(data.count(b'\n')):
                s.sendall(('%s %s\n' % (name, key.data[1])).encode())
