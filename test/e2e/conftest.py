"""Fixtures for the e2e suite: one fabric per router kind (FRR, BIRD), shared by the tests
of test_fabric.py; each test starts from the baseline cluster (`fabric.reset()`). The BFD
tests (test_bfd.py) get a fabric of their own (`bfd_bed`): BFD on the ToR toward node1,
the baseline's BGPPeer naming a BFDProfile.

Skips with the reason when not root, when a router or a bgplb binary is missing.
SIGTERM/SIGHUP become KeyboardInterrupt so fixtures tear down; netns.cleanup_all()
(atexit) removes whatever is left; namespaces left by a SIGKILLed run are reaped first.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))

import fabric as fabric_mod  # noqa: E402
import netns  # noqa: E402
import tor as tor_mod  # noqa: E402
from scenario import CLUSTER, LOCAL, UNREADY, baseline, bfd_baseline  # noqa: E402

ROUTER_KINDS = ('frr', 'bird')
_active = []            # Beds whose logs a failing test prints (and fabric.ACTIVE)


def pytest_configure(config):
    netns.prepare_pytest_run('bgplbe2e')


class Bed:
    """A started fabric plus the baseline's service addresses."""

    def __init__(self, kind, cluster=baseline, bfd=None):
        speaker, controller = fabric_mod.binaries()
        self.fabric = fabric_mod.Fabric(kind, netns.snapshot_binary(speaker), netns.snapshot_binary(controller), bfd=bfd)
        self.kind = kind
        self.baseline = cluster

    def start(self):
        f = self.fabric
        f.start(self.baseline())
        f.wait_sessions()
        self.ip = {name: f.service_ip(name) for name in (LOCAL, CLUSTER, UNREADY)}
        return self

    def reset(self):
        """Back to the baseline and wait until the router shows it."""
        f = self.fabric
        f.apply(self.baseline())
        f.wait_sessions()
        f.wait_hops(self.ip[LOCAL], {'node1', 'node2'}, what='baseline')
        f.wait_hops(self.ip[CLUSTER], {'node1', 'node2', 'node3'}, what='baseline')
        f.wait_hops(self.ip[UNREADY], set(), what='baseline')


def _started_bed(kind, **kw):
    why = fabric_mod.problem(kind)
    if why:
        pytest.skip(why)
    b = Bed(kind, **kw)
    _active.append(b)
    try:
        b.start()
    except BaseException:
        _active.remove(b)
        logs = b.fabric.logs()
        b.fabric.close()
        print(logs)
        raise
    return b


def _close(b):
    _active.remove(b)
    b.fabric.close()


@pytest.fixture(scope='module', params=ROUTER_KINDS)
def bed(request):
    b = _started_bed(request.param)
    yield b
    _close(b)


@pytest.fixture(scope='module', params=ROUTER_KINDS)
def bfd_bed(request):
    """BFD at 100 ms x 3 on both sides between the ToR and node1; node2 and node3 have
    BFD configured (one BGPPeer for all) but the ToR runs none toward them, so their
    sessions fail by the hold time only."""
    b = _started_bed(request.param, cluster=bfd_baseline,
                     bfd=tor_mod.Bfd(peers=(dict(fabric_mod.NODES)['node1'],), interval_ms=100, mult=3))
    yield b
    _close(b)


@pytest.fixture
def fab(bed):
    """The fabric, reset to the baseline before the test."""
    bed.reset()
    return bed.fabric


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for f in [b.fabric for b in _active] + fabric_mod.ACTIVE:
            try:
                rep.sections.append(('logs of the %s fabric' % f.kind, f.logs()))
            except Exception as e:      # never hide the real failure
                rep.sections.append(('logs', 'could not read logs: %r' % e))
