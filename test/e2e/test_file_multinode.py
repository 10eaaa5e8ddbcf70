"""Issue 15 §2: three nodes each run `bgplb run` on the same manifests and one shared state
directory, as docs/operations.md lays out. Exactly one allocates; after any sequence of
restarts, state loss, edits and controller moves, every address maps to one service on
every node, and the ToR holds routes only for addresses of the published ledger.

Each node's view is its /v1/services (bgplbctl services -j, run in the node's namespace).
A seeded random sequence of steps; FRR ToR only (the property is about bgplb, not the
router)."""
import os
import random
import time

import pytest

import fabric
import manifests
from run_fabric import RunFabric, converged, one_service_per_address, open_rack
from scenario import baseline

STEPS = int(os.environ.get('BGPLB_E2E_MULTINODE_STEPS', '10'))
SEED = int(os.environ.get('BGPLB_E2E_MULTINODE_SEED', '1515'))
CONVERGE = 20.0


@pytest.fixture
def rack():
    yield from open_rack(RunFabric)


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
