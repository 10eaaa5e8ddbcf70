"""Issue 15 §2: three nodes each run `bgplb run` on the same manifests and one shared state
directory, as docs/operations.md lays out. Exactly one allocates; after any sequence of
restarts, state loss, edits and controller moves, every address maps to one service on
every node, and the ToR holds routes only for addresses of the published ledger.

Each node's view is its /v1/services (bgplbctl services -j, run in the node's namespace).
A seeded random sequence of steps; FRR ToR only (the property is about bgplb, not the
router)."""
import json
import os
import random
import signal
import subprocess
import time

import pytest

import fabric
import manifests
import netns
import routers
from scenario import baseline

STEPS = int(os.environ.get('BGPLB_E2E_MULTINODE_STEPS', '10'))
SEED = int(os.environ.get('BGPLB_E2E_MULTINODE_SEED', '1515'))
CONVERGE = 20.0


def bgplb_binaries():
    build = os.environ.get('BGPLB_BUILD_DIR', 'build')
    paths = [os.path.join(build, 'speaker/cmd/bgplb'), os.path.join(build, 'cli/bgplbctl')]
    return [os.path.abspath(p) if os.access(p, os.X_OK) else None for p in paths]


class RunFabric(fabric.Fabric):
    """The e2e rack with `bgplb run --controller auto` on every node instead of separate
    bgplb-speaker and bgplb-controller processes."""

    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, None, None)
        self.bgplb, self.bgplbctl = bgplb, bgplbctl

    def _start_controller(self):
        pass  # the nodes elect one among themselves

    def _start_speakers(self):
        for name, _ in fabric.NODES:
            self.start_node(name)

    def start_node(self, name):
        self.speakers[name] = self.node_ns[name].popen(
            [self.bgplb, 'run', '-f', self.manifest_dir.path, '--state', self.state_dir, '--node', name,
             '--controller', 'auto', '--metrics-address', '%s:7472' % self.node_addr[name], '--api-address', '',
             '--shutdown-drain', '0'],
            log_path=self.speaker_log(name))

    def stop_node(self, name):
        p = self.speakers.pop(name)
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        netns.stop_process(p, sig=signal.SIGKILL, grace=1.0)

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

    def ledger(self):
        """{address: 'namespace/name'} of the published ledger ({} when there is none)."""
        try:
            with open(os.path.join(self.state_dir, 'ledger.json')) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return {}
        return {ip: '%s/%s' % (a['namespace'], a['name']) for a in doc.get('allocations', []) for ip in a['ips']}

    def leaders(self):
        """Nodes whose log says they lead now (the last leader event of each)."""
        out = set()
        for name in self.speakers:
            try:
                with open(self.speaker_log(name)) as f:
                    events = [l for l in f if 'event=leader ' in l]
            except OSError:
                continue
            if events and 'leading=yes' in events[-1]:
                out.add(name)
        return out


@pytest.fixture
def rack():
    why = fabric.problem('frr')
    bgplb, bgplbctl = bgplb_binaries()
    if not why and not (bgplb and bgplbctl):
        why = 'bgplb or bgplbctl not built'
    if why:
        pytest.skip(why)
    f = RunFabric('frr', netns.snapshot_binary(bgplb), netns.snapshot_binary(bgplbctl))
    fabric.ACTIVE.append(f)
    yield f
    fabric.ACTIVE.remove(f)
    f.close()


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


def test_every_address_maps_to_one_service_on_every_node(rack):
    f = rack
    rng = random.Random(SEED)
    f.start(baseline(), speakers_first=True)
    f.wait_sessions()
    extra = 0
    transient = 0

    def settle(what):
        nonlocal transient
        end = time.monotonic() + CONVERGE
        problem = 'not checked'
        while time.monotonic() < end:
            f.check_alive()
            if one_service_per_address(f):
                transient += 1
            problem = converged(f)
            if problem is None and len(f.leaders()) != 1:
                problem = 'leaders: %r' % sorted(f.leaders())
            if problem is None:
                break
            time.sleep(0.2)
        assert problem is None, 'after %s: %s\n%s' % (what, problem, f.logs())
        conflicts = one_service_per_address(f)
        assert not conflicts, 'after %s: addresses with two services: %r' % (what, conflicts)
        print('ok after %s: %d addresses, leader %s' % (what, len(f.ledger()), sorted(f.leaders())))

    settle('start')
    for step in range(STEPS):
        kind = rng.choice(['add', 'add', 'remove', 'restart', 'lose_state', 'move'])
        if kind == 'add':
            extra += 1
            name = 'x%d' % extra
            node = rng.choice([n for n, _ in fabric.NODES])
            f.edit(lambda c: c.services.__setitem__(name, manifests.Service(
                name, 'Cluster', '10.96.1.%d' % extra, [manifests.Endpoint(node, '10.244.9.%d' % extra)])))
            what = 'adding %s' % name
        elif kind == 'remove':
            names = [s for s in f.cluster.services if s.startswith('x')]
            if not names:
                continue
            name = rng.choice(names)
            f.edit(lambda c: c.services.pop(name))
            what = 'removing %s' % name
        elif kind == 'restart':
            node = rng.choice([n for n, _ in fabric.NODES])
            f.stop_node(node)
            extra += 1
            name = 'x%d' % extra
            # A service added while the node is down.
            f.edit(lambda c: c.services.__setitem__(name, manifests.Service(
                name, 'Cluster', '10.96.1.%d' % extra, [manifests.Endpoint('node1', '10.244.9.%d' % extra)])))
            time.sleep(0.5)
            f.start_node(node)
            what = 'restarting %s with %s added meanwhile' % (node, name)
        elif kind == 'lose_state':
            leader = sorted(f.leaders())[0]
            f.stop_node(leader)
            for fn in os.listdir(f.state_dir):
                os.unlink(os.path.join(f.state_dir, fn))
            f.edit(lambda c: c.services.pop(next(iter(c.services))) if len(c.services) > 3 else None)
            f.start_node(leader)
            what = 'losing the state directory while %s (the controller) was down' % leader
        else:
            node = rng.choice([n for n, _ in fabric.NODES])

            def label(c):
                for n in c.nodes:
                    n.labels.pop('bgplb.io/controller', None)
                c.node(node).labels['bgplb.io/controller'] = 'true'
            f.edit(label)
            what = 'moving the controller to %s' % node
        print('step %d: %s' % (step, what))
        settle(what)
    print('transient disagreements seen while converging: %d samples' % transient)
