#!/usr/bin/python3
"""Opens N TCP connections to HOST:PORT and holds them (sending nothing) until its stdin
closes; prints how many it holds once it has tried them all.

usage: flood.py HOST PORT N"""
import resource
import socket
import sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
held = []
for _ in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, port))
        held.append(s)
    except OSError:
        s.close()
print(len(held), flush=True)
sys.stdin.read()
