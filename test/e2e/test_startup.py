"""Start-up order: speakers running before the controller has allocated anything must
announce as soon as the controller's ledger appears (a fabric of its own, FRR only)."""
import pytest

import fabric
import netns
from scenario import CLUSTER, LOCAL, baseline


@pytest.fixture
def cold_fabric():
    why = fabric.problem('frr')
    if why:
        pytest.skip(why)
    speaker, controller = fabric.binaries()
    f = fabric.Fabric('frr', netns.snapshot_binary(speaker), netns.snapshot_binary(controller))
    fabric.ACTIVE.append(f)
    yield f
    fabric.ACTIVE.remove(f)
    f.close()


def test_speakers_started_before_the_controller(cold_fabric):
    f = cold_fabric
    f.start(baseline(), speakers_first=True)
    f.wait_sessions()
    f.wait_hops(f.service_ip(LOCAL), {'node1', 'node2'}, what='ledger written after the speakers started')
    f.wait_hops(f.service_ip(CLUSTER), {'node1', 'node2', 'node3'}, what='ledger written after the speakers started')
