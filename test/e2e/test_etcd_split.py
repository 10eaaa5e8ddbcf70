"""Issue 13: the etcd rack as a cluster deploys it, in separate processes: bgplb-speaker
on every node (the DaemonSet) and two bgplb-controller replicas, on node1 and node2 (the
Deployment), electing their leader through etcd (etcd_cluster.py, FRR ToR).

After every step every speaker's /v1/services equals the ledger in etcd, the ToR routes
exactly the expected prefixes toward exactly the expected nodes, one controller leads and
no service's addresses changed. Steps: start; a service added; kill -9 of the leading
controller in the middle of a burst (the other replica leads within the lease TTL, the
burst is allocated, the speakers never stop announcing what they had); the killed replica
back (it stands by); a speaker restarted (it reads the ledger from etcd and announces
again)."""
import random
import time

import pytest

import etcd_cluster
import fabric
from run_fabric import SplitProcesses, one_service_per_address, open_rack
from scenario import baseline
from test_etcd_multinode import LEASE_TTL, SEED, Checks, EtcdFabric


class SplitFabric(SplitProcesses, EtcdFabric):
    """bgplb-speaker per node and two bgplb-controller replicas, all on etcd."""


class SplitChecks(Checks):
    def leader_problem(self):
        leaders = self.f.leaders()
        return None if len(leaders) == 1 else 'leading controllers: %r' % sorted(leaders)

    def kill_leader_in_a_burst(self, bound, why):
        """kill -9 of the leading replica between the first and the second of three new
        services: the ToR's routes stay until another replica leads, within `bound`
        seconds (`why`: where the bound comes from); then every check, the burst
        allocated. Returns (the killed replica, seconds to the takeover)."""
        f = self.f
        [lead] = f.leaders()
        held_fib = f.pool_fib()
        burst = [self.add()[0]]
        killed = time.monotonic()
        f.kill_controller(lead)
        burst += [self.add()[0], self.add()[0]]
        while time.monotonic() < killed + bound + 5 and not f.leaders():
            fib = f.pool_fib()
            moved = {p: fib.get(p) for p, h in held_fib.items() if fib.get(p) != h}
            assert not moved, 'without a controller the ToR routes changed: %r, before %r' % (moved, held_fib)
            time.sleep(0.05)
        took = time.monotonic() - killed
        assert f.leaders(), 'no controller leads %.1fs after kill -9 of the one on %s\n%s' % (took, lead, f.logs())
        print('controller takeover after kill -9 of the replica on %s: the one on %s leads after %.0f ms (%s)'
              % (lead, sorted(f.leaders()), took * 1000, why))
        assert took <= bound, 'takeover took %.1fs, more than %.1fs (%s)' % (took, bound, why)
        ledger = self.settle('kill -9 of the leading controller during a burst of %s' % ', '.join(burst))
        assert all('e2e/' + b in ledger.values() for b in burst), 'the burst not allocated: %r' % ledger
        return lead, took


@pytest.fixture
def rack():
    yield from open_rack(SplitFabric, etcd_cluster.missing_reason)


def test_etcd_rack_of_separate_speakers_and_controllers(rack):
    f = rack
    c = SplitChecks(f, random.Random(SEED + 2))
    f.start(baseline())
    f.wait_sessions()
    c.settle('start')
    c.settle(c.timed_add('adding'))

    # kill -9 of the leading controller in the middle of a burst: the speakers keep
    # announcing throughout, the other replica leads within the TTL and allocates the burst.
    lead, _ = c.kill_leader_in_a_burst(LEASE_TTL + 2.0, 'lease TTL %.0f ms' % (LEASE_TTL * 1000))
    f.start_controller(lead)
    c.settle('the killed replica back')
    assert f.leaders() != {lead}, 'the restarted replica took the lead back'

    # A speaker restarted: it reads the ledger from etcd and announces it again.
    name = fabric.NODES[2][0]
    f.stop_node(name)
    f.start_node(name)
    c.settle('speaker %s restarted' % name)
    assert not one_service_per_address(f)
