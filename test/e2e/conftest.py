"""Fixtures for the e2e suite: one fabric per router kind (FRR, BIRD), shared by the tests
of test_fabric.py; each test starts from the baseline cluster (`fabric.reset()`).

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
from scenario import CLUSTER, LOCAL, UNREADY, baseline  # noqa: E402

ROUTER_KINDS = ('frr', 'bird')
_active = []            # Beds whose logs a failing test prints (and fabric.ACTIVE)


def pytest_configure(config):
    netns.prepare_pytest_run('bgplbe2e')


class Bed:
    """A started fabric plus the baseline's service addresses."""

    def __init__(self, kind):
        speaker, controller = fabric_mod.binaries()
        self.fabric = fabric_mod.Fabric(kind, netns.snapshot_binary(speaker), netns.snapshot_binary(controller))
        self.kind = kind

    def start(self):
        f = self.fabric
        f.start(baseline())
        f.wait_sessions()
        self.ip = {name: f.service_ip(name) for name in (LOCAL, CLUSTER, UNREADY)}
        return self

    def reset(self):
        """Back to the baseline and wait until the router shows it."""
        f = self.fabric
        f.apply(baseline())
        f.wait_sessions()
        f.wait_hops(self.ip[LOCAL], {'node1', 'node2'}, what='baseline')
        f.wait_hops(self.ip[CLUSTER], {'node1', 'node2', 'node3'}, what='baseline')
        f.wait_hops(self.ip[UNREADY], set(), what='baseline')


@pytest.fixture(scope='module', params=ROUTER_KINDS)
def bed(request):
    why = fabric_mod.problem(request.param)
    if why:
        pytest.skip(why)
    b = Bed(request.param)
    _active.append(b)
    try:
        b.start()
    except BaseException:
        _active.remove(b)
        logs = b.fabric.logs()
        b.fabric.close()
        print(logs)
        raise
    yield b
    _active.remove(b)
    b.fabric.close()


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
