"""The e2e rack with `bgplb run --controller auto` on every node instead of separate
bgplb-speaker and bgplb-controller processes (test_file_multinode.py on a shared state
directory, test_etcd_multinode.py on etcd). A subclass says where the objects are
(`datastore_args`) and where the published ledger is read (`ledger`).

Each node's view is its /v1/services (bgplbctl services -j, run in the node's namespace);
its leadership is the last `event=leader` line of its log.

`StoreFabric`: the objects live in a store the test writes through that store's interface
(etcd, the Kubernetes API). `SplitProcesses`: mixed in, the rack as a cluster deploys it,
bgplb-speaker per node and bgplb-controller replicas (test_etcd_split.py, test_kube_rack.py)."""
import json
import os
import signal
import subprocess
import time

import pytest

import fabric
import netns


POOL = '198.51.100.'     # the baseline pool's addresses start so


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
        return leader_events_since_start(self.speaker_log(name))


def leader_events_since_start(log_path, offset=0):
    """The `leader` events a process logged since its last start (a restarted process
    appends to the log of the one before), reading from byte `offset` (where the log
    ended when the process was started: the new one may not have logged its start yet)."""
    try:
        with open(log_path, errors='replace') as f:
            f.seek(offset)
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
    stray = [p for p in f.fib() if p.startswith(POOL) and p[:-3] not in ledger]
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


class StoreFabric(RunFabric):
    """A rack whose objects live in a store the test writes through that store's own
    interface (etcd through `bgplbctl apply`, Kubernetes through the API): the manifest
    directory only remembers what was written, to tell changed objects from removed ones.
    A subclass stores objects (`put(paths)`, JSON files) and removes them (`remove(obj)`)."""

    def apply(self, cluster):
        """The changed objects stored, the removed ones deleted; returns the monotonic time
        before."""
        t = time.monotonic()
        self.cluster = cluster.clone()
        before = dict(self.manifest_dir.files)
        touched = self.manifest_dir.sync(self.cluster)
        changed = [os.path.join(self.manifest_dir.path, n) for n in touched if n in self.manifest_dir.files]
        if changed:
            self.put(changed)
        for n in touched:
            if n not in self.manifest_dir.files:
                self.remove(json.loads(before[n]))
        return t

    def pool_fib(self):
        return {p: set(h) for p, h in self.fib().items() if p.startswith(POOL)}

    def expected_hops(self, s):
        """The next hops the ToR must have toward a service's addresses: a Local service's
        running nodes with a ready endpoint, a Cluster service's (with any ready endpoint)
        every running node."""
        ready = {e.node for e in s.endpoints if e.ready is not False}
        nodes = (ready if s.policy == 'Local' else set(self.speakers) if ready else set()) & set(self.speakers)
        return {self.node_addr[n] for n in nodes}

    def expected_fib(self, ledger):
        """{prefix: next hops} the ToR must route for the ledger's addresses."""
        want = {}
        for s in self.cluster.services.values():
            hops = self.expected_hops(s)
            for ip, svc in ledger.items():
                if svc == '%s/%s' % (s.namespace, s.name) and hops:
                    want[ip + '/32'] = hops
        return want


REPLICAS = ('node1', 'node2')   # the nodes that run a bgplb-controller replica


class SplitProcesses:
    """Mixed into a RunFabric before it: bgplb-speaker on every node (the DaemonSet) and two
    bgplb-controller replicas, on node1 and node2 (the Deployment), electing their leader
    through the datastore. `datastore_args_for(role)` ('speaker' or 'controller') may give
    each its own credentials; by default both get `datastore_args()`."""

    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, bgplb, bgplbctl)
        speaker, controller = fabric.binaries()
        self.speaker_bin, self.controller_bin = netns.snapshot_binary(speaker), netns.snapshot_binary(controller)
        self.controllers = {}       # replica (the node it runs on) -> Popen
        self.controller_log_start = {}  # replica -> the size of its log when it was last started

    def datastore_args_for(self, role):
        return self.datastore_args()

    def _start_controller(self):
        for name in REPLICAS:
            self.start_controller(name)

    def start_controller(self, name):
        try:
            self.controller_log_start[name] = os.path.getsize(self.controller_log(name))
        except OSError:
            self.controller_log_start[name] = 0
        self.controllers[name] = self.node_ns[name].popen(
            [self.controller_bin] + self.datastore_args_for('controller') +
            ['--metrics-address', '%s:7473' % self.node_addr[name]],
            log_path=self.controller_log(name))

    def kill_controller(self, name):
        netns.stop_process(self.controllers.pop(name), sig=signal.SIGKILL, grace=2.0)

    def controller_log(self, name):
        return os.path.join(self.dir, 'controller-%s.log' % name)

    def start_node(self, name):
        self.speakers[name] = self.node_ns[name].popen(
            [self.speaker_bin] + self.datastore_args_for('speaker') +
            ['--node', name, '--metrics-address', '%s:7472' % self.node_addr[name], '--api-address', '',
             '--api-socket', os.path.join(self.dir, 'api-%s.sock' % name), '--shutdown-drain', '0',
             '--dataplane', 'off'],
            log_path=self.speaker_log(name))

    def leaders(self):
        """Running replicas whose log says they lead now."""
        return {n for n in self.controllers if 'leading=yes' in (self.leader_events(n) or ['-'])[-1]}

    def leader_events(self, name):
        return leader_events_since_start(self.controller_log(name), self.controller_log_start.get(name, 0))

    def write_mark(self):
        """Where the store's record of writes stands now (see controller_writes)."""
        return None

    def controller_writes(self, name, mark):
        """The writes replica `name` made since `mark` (write_mark()), or None where the
        store cannot tell who wrote."""
        return None

    def check_alive(self):
        dead = {n: p.returncode for n, p in self.speakers.items() if p.poll() is not None}
        dead.update({'controller ' + n: p.returncode for n, p in self.controllers.items() if p.poll() is not None})
        if dead:
            raise AssertionError('exited early: %s\n%s' % (dead, self.logs()))
        return False

    def logs(self, n=40):
        out = [super().logs(n)]
        for name in REPLICAS:
            try:
                with open(self.controller_log(name), errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append('--- controller-%s.log (last %d of %d lines)' % (name, min(n, len(lines)), len(lines)))
            out += lines[-n:]
        return '\n'.join(out)

    def close(self):
        for name in list(self.controllers):
            stop_gracefully(self.controllers.pop(name))
        super().close()
