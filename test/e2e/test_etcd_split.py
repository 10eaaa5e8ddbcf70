"""Issue 13: the etcd rack as a cluster deploys it, in separate processes: bgplb-speaker
on every node (the DaemonSet) and two bgplb-controller replicas, on node1 and node2 (the
Deployment), electing their leader through etcd (etcd_cluster.py, FRR ToR).

After every step every speaker's /v1/services equals the ledger in etcd, the ToR routes
exactly the expected prefixes toward exactly the expected nodes, one controller leads and
no service's addresses changed. Steps: start; a service added; kill -9 of the leading
controller in the middle of a burst (the other replica leads within the lease TTL, the
burst is allocated, the speakers never stop announcing what they had); the killed replica
back (it stands by: SplitChecks.killed_replica_back, shared with test_kube_rack.py); a speaker restarted (it reads the ledger from etcd and announces
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

    def killed_replica_back(self, name, watch, why):
        """Replica `name`, killed earlier, started again while another one leads. For `watch`
        seconds from its start (`why`: long enough for it to have taken the lead if it
        would) the same replica leads, and the ledger (one service per address) and the
        ToR's routes stay exactly as they were; then every check, and the replica wrote
        nothing where the store can tell (controller_writes). Returns the write mark taken
        before the start."""
        f = self.f
        [lead] = f.leaders()
        assert lead != name, 'replica %s leads already' % name
        ledger, fib = f.ledger(), f.pool_fib()
        mark = f.write_mark()
        f.start_controller(name)
        end = time.monotonic() + watch
        while time.monotonic() < end:
            f.check_alive()
            assert f.leaders() == {lead}, 'with replica %s back, leading: %r (was %s)' % (name, sorted(f.leaders()), lead)
            now, now_fib = f.ledger(), f.pool_fib()
            assert now == ledger, 'with replica %s back the ledger changed: %r -> %r' % (name, ledger, now)
            assert now_fib == fib, 'with replica %s back the ToR routes %r, before %r' % (name, now_fib, fib)
            time.sleep(0.2)
        self.settle('the killed replica %s back (%.0f s watched: %s)' % (name, watch, why))
        assert f.leaders() == {lead}, 'replica %s back, leading: %r (was %s)' % (name, sorted(f.leaders()), lead)
        writes = f.controller_writes(name, mark)
        assert not writes, 'the standby replica %s wrote: %s' % (name, writes)
        return mark


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
    c.killed_replica_back(lead, 0, 'etcd: a candidate waits for the leader\'s election key to go')

    # A speaker restarted: it reads the ledger from etcd and announces it again.
    name = fabric.NODES[2][0]
    f.stop_node(name)
    f.start_node(name)
    c.settle('speaker %s restarted' % name)
    assert not one_service_per_address(f)
