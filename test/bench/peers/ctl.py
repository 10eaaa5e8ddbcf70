"""Persistent control-socket clients for polling every millisecond without forking a CLI
(BIRD's remote-control socket protocol, as in BIRD's user guide, chapter "Remote control";
FRR's daemon vty socket, the protocol vtysh speaks):

  BirdCtl(path).proto(name) -> (BGP state or protocol state, routes imported)
  Vty(path).cmd(text)       -> (output, status byte)   FRR daemon vty socket (vtysh's protocol)

Both also split a command into send(text) and reply(), so a benchmark can time the write alone.
"""
import re
import socket
import time

_BIRD_END = re.compile(rb'^[089]\d{3} ', re.M)    # a reply ends with a 0xxx/8xxx/9xxx line


def _connect(path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.002)


class BirdCtl:
    def __init__(self, path, timeout=10.0):
        self.s = _connect(path, timeout)
        self.buf = b''
        self.reply()                        # "0001 BIRD 2.0.12 ready."

    def reply(self):
        while True:
            lines = self.buf.split(b'\n')
            for i, ln in enumerate(lines[:-1]):
                if _BIRD_END.match(ln):
                    self.buf = b'\n'.join(lines[i + 1:])
                    return b'\n'.join(lines[:i + 1]).decode(errors='replace')
            d = self.s.recv(65536)
            if not d:
                raise EOFError('bird control socket closed')
            self.buf += d

    def send(self, c):
        self.s.sendall(c.encode() + b'\n')

    def cmd(self, c):
        self.send(c)
        return self.reply()

    def proto(self, name):
        out = self.cmd('show protocols all %s' % name)
        m = re.search(r'BGP state:\s+(\S+)', out) or re.search(r'^1002-\S+\s+\S+\s+\S+\s+(\S+)', out, re.M)
        st = m.group(1) if m else None
        m = re.search(r'Routes:\s+(\d+) imported', out)
        return st, int(m.group(1)) if m else 0

    def close(self):
        self.s.close()


class Vty:
    """Command + NUL; the reply ends with three NULs and a status byte."""

    def __init__(self, path, timeout=30.0):
        self.s = _connect(path, timeout)

    def send(self, c):
        self.s.sendall(c.encode() + b'\0')

    def cmd(self, c):
        self.send(c)
        return self.reply()

    def reply(self):
        buf = b''
        while True:
            d = self.s.recv(65536)
            if not d:
                raise EOFError('vty closed')
            buf += d
            if len(buf) >= 4 and buf[-4:-1] == b'\0\0\0':
                return buf[:-4].decode(errors='replace'), buf[-1]

    def close(self):
        self.s.close()
