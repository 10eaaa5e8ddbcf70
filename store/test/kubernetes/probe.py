"""kube_probe as a child process: its JSON lines collected on a thread, commands on stdin.
`Probe(binary, uri, args).wait(pred, timeout)` returns the first line (from a position on)
that matches, or fails the test with what was seen."""
import json
import os
import subprocess
import threading
import time


class Probe:
    def __init__(self, binary, uri, args=(), log_dir=None, name='probe'):
        self.lines = []
        self.cond = threading.Condition()
        err = open(os.path.join(log_dir, name + '.stderr'), 'w') if log_dir else subprocess.DEVNULL
        self.proc = subprocess.Popen([binary, uri] + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                line = {'event': 'garbage', 'text': raw}
            line['at'] = time.monotonic()
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append({'event': 'exit', 'at': time.monotonic()})
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait(self, pred, timeout=30, since=0):
        deadline = time.monotonic() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.lines):
                    if pred(self.lines[i]):
                        return self.lines[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('no matching line within %ss; last lines:\n%s' %
                                         (timeout, '\n'.join(json.dumps(l) for l in self.lines[-8:])))
                self.cond.wait(left)

    def events(self, kind, since=0):
        with self.cond:
            return [l for l in self.lines[since:] if l.get('event') == kind]

    def send(self, command):
        self.proc.stdin.write(command + '\n')
        self.proc.stdin.flush()

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            try:
                self.send('stop')
            except (BrokenPipeError, ValueError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.reader.join(5)


def change(line):
    return line.get('event') == 'change'


def health(line):
    return line.get('event') == 'health'
