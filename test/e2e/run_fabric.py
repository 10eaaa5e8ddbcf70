"""The e2e rack with `bgplb run --controller auto` on every node instead of separate
bgplb-speaker and bgplb-controller processes (test_file_multinode.py on a shared state
directory, test_etcd_multinode.py on etcd). A subclass says where the objects are
(`datastore_args`) and where the published ledger is read (`ledger`).

Each node's view is its /v1/services (bgplbctl services -j, run in the node's namespace);
its leadership is the last `event=leader` line of its log."""
import json
import os
import signal
import subprocess

import pytest

import fabric
import netns


def bgplb_binaries():
    """[bgplb, bgplbctl] of $BGPLB_BUILD_DIR (default build/), None where not built."""
    build = os.environ.get('BGPLB_BUILD_DIR', 'build')
    paths = [os.path.join(build, 'speaker/cmd/bgplb'), os.path.join(build, 'cli/bgplbctl')]
    return [os.path.abspath(p) if os.access(p, os.X_OK) else None for p in paths]


def open_rack(cls, missing=None):
    """A pytest fixture's body: an FRR rack of `cls` (a RunFabric), closed afterwards;
    skipped with the reason when something is missing (`missing()`: a reason or None)."""
    why = fabric.problem('frr')
    bgplb, bgplbctl = bgplb_binaries()
    if not why and not (bgplb and bgplbctl):
        why = 'bgplb or bgplbctl not built'
    if not why and missing:
        why = missing()
    if why:
        pytest.skip(why)
    f = cls('frr', netns.snapshot_binary(bgplb), netns.snapshot_binary(bgplbctl))
    fabric.ACTIVE.append(f)
    yield f
    fabric.ACTIVE.remove(f)
    f.close()


def stop_gracefully(p):
    """SIGTERM (a leader resigns, a speaker drains), up to 10 s, then SIGKILL."""
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    netns.stop_process(p, sig=signal.SIGKILL, grace=1.0)


class RunFabric(fabric.Fabric):
    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, None, None)
        self.bgplb, self.bgplbctl = bgplb, bgplbctl

    def datastore_args(self):
        """Where the nodes read their objects: the manifest directory and the shared state."""
        return ['-f', self.manifest_dir.path, '--state', self.state_dir]

    def ledger(self):
        """{address: 'namespace/name'} of the published ledger ({} when there is none)."""
        try:
            with open(os.path.join(self.state_dir, 'ledger.json')) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return {}
        return {ip: '%s/%s' % (a['namespace'], a['name']) for a in doc.get('allocations', []) for ip in a['ips']}

    def _start_controller(self):
        pass  # the nodes elect one among themselves

    def _start_speakers(self):
        for name, _ in fabric.NODES:
            self.start_node(name)

    def start_node(self, name):
        self.speakers[name] = self.node_ns[name].popen(
            [self.bgplb, 'run'] + self.datastore_args() +
            ['--node', name, '--controller', 'auto', '--metrics-address', '%s:7472' % self.node_addr[name],
             '--api-address', '', '--shutdown-drain', '0', '--dataplane', 'off'],
            log_path=self.speaker_log(name))

    def stop_node(self, name):
        stop_gracefully(self.speakers.pop(name))

    def kill_node(self, name):
        """kill -9: no resignation, no withdrawal; the process's lease and sessions just end."""
        p = self.speakers.pop(name)
        netns.stop_process(p, sig=signal.SIGKILL, grace=2.0)

    def view(self, name):
        """{address: 'namespace/name'} as node `name` sees its services, or None while it
        does not answer."""
        r = self.node_ns[name].run([self.bgplbctl, 'services', '--speaker', '%s:7472' % self.node_addr[name], '-j'],
                                   check=False)
        if r.returncode != 0:
            return None
        out = {}
        for s in json.loads(r.stdout).get('services', []):
            for a in s.get('addresses', []):
                out[a['ip']] = '%s/%s' % (s['namespace'], s['name'])
        return out

    def readyz(self, name):
        """(HTTP status, body) of node `name`'s /readyz; (None, why) when it does not answer."""
        r = self.node_ns[name].run(['python3', '-c', '''
import sys, urllib.error, urllib.request
try:
    r = urllib.request.urlopen("http://%s:7472/readyz", timeout=3)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
''' % self.node_addr[name]], check=False)
        code, _, body = r.stdout.partition(' ')
        return (int(code), body.strip()) if code.isdigit() else (None, r.stderr.strip())

    def leaders(self):
        """Running nodes whose log says they lead now (the last leader event of each)."""
        out = set()
        for name in self.speakers:
            events = self.leader_events(name)
            if events and 'leading=yes' in events[-1]:
                out.add(name)
        return out

    def leader_events(self, name):
        """The leader events of the node's running process (its log since the last start)."""
        try:
            with open(self.speaker_log(name)) as f:
                lines = f.readlines()
        except OSError:
            return []
        starts = [i for i, ln in enumerate(lines) if 'event=started ' in ln]
        return [ln for ln in lines[starts[-1] if starts else 0:] if 'event=leader ' in ln]


def converged(f):
    """Every running node's view is the published ledger, and the ToR's routes into the pool
    are ledger addresses only. Returns the problem in words, or None."""
    ledger = f.ledger()
    if not ledger:
        return 'no ledger yet'
    for name in f.speakers:
        v = f.view(name)
        if v != ledger:
            return 'node %s sees %r, the ledger says %r' % (name, v, ledger)
    stray = [p for p in f.fib() if p.startswith('198.51.100.') and p[:-3] not in ledger]
    if stray:
        return 'the ToR routes %s, which the ledger does not hold' % stray
    return None


def one_service_per_address(f):
    """The property, checked on whatever the nodes answer right now."""
    seen = {}
    for name in f.speakers:
        for ip, svc in (f.view(name) or {}).items():
            seen.setdefault(ip, set()).add(svc)
    return {ip: s for ip, s in seen.items() if len(s) > 1}
