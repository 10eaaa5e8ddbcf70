"""BFD on the rack: a node cut off the segment leaves the ToR's FIB at BFD speed, not at
the BGP hold time, and comes back when its link does.

The fabric of `bfd_bed` (conftest.py): the BGPPeer names a BFDProfile of 100 ms x 3, the
ToR runs BFD toward node1 only. Each test cuts node1 and node2 at the same moment and
polls the ToR's FIB: node1's routes must be gone while node2's are still there (node2
waits for the 9 s hold time, measured in the same run), and both come back once the
links are restored. Timing targets belong to test/bench/bfd/fib_failover.py; this test
only asserts the order and prints what it saw.
"""
import time

import pytest

import fabric as fabric_mod
import routers
from scenario import CLUSTER, LOCAL

HOLD_TIME = 9.0     # manifests.Cluster.hold_time and the ToR's PeerConfig


@pytest.mark.parametrize('method', fabric_mod.CUT_METHODS)
def test_cut_node_leaves_the_fib_before_the_hold_time(bfd_bed, method):
    f = bfd_bed.fabric
    bfd_bed.reset()
    f.wait_bfd_up('node1')
    assert f.routes_via('node1') and f.routes_via('node2')

    seen = {}           # node -> seconds from the cut until the FIB held none of its routes

    def gone(node):
        if node not in seen and not f.routes_via(node):
            seen[node] = time.monotonic() - t_cut
        return node in seen

    def node1_gone():
        gone('node2')   # noted should it go first
        return gone('node1')

    cut = []
    t_cut = time.monotonic()
    try:
        for node in ('node1', 'node2'):
            f.cut(node, method)
            cut.append(node)
        routers.wait_for(node1_gone, HOLD_TIME / 3, lambda: '%s %s: node1 (BFD) still in the ToR FIB %.0f s after the cut' % (
            f.kind, method, HOLD_TIME / 3), interval=0.02)
        assert 'node2' not in seen and f.routes_via('node2'), (
            '%s %s: node2 (no BFD) left the FIB as early as node1: %r' % (f.kind, method, seen))
        routers.wait_for(lambda: gone('node2'), HOLD_TIME + 5, lambda: '%s %s: node2 still in the FIB %.0f s after the cut' % (
            f.kind, method, HOLD_TIME + 5), interval=0.05)
        print('%s %s: node1 (BFD 100 ms x 3) left the FIB after %.0f ms, node2 (hold time %.0f s) after %.0f ms' % (
            f.kind, method, seen['node1'] * 1000, HOLD_TIME, seen['node2'] * 1000))
        assert seen['node1'] < seen['node2'] / 3, seen

        # node1's speaker holds its BGP session down while its BFD session is down.
        s = f.speaker_bfd('node1')['sessions'][0]
        assert s['state'] != 'Up' and s['bgp_held_down'], s
    finally:
        for node in cut:
            f.restore(node, method)

    # Back: BFD Up again, the BGP sessions re-established, the routes in the FIB.
    f.wait_bfd_up('node1')
    f.wait_sessions(timeout=60)
    f.wait_hops(bfd_bed.ip[LOCAL], {'node1', 'node2'}, timeout=30, since=t_cut, what='links restored')
    f.wait_hops(bfd_bed.ip[CLUSTER], {'node1', 'node2', 'node3'}, timeout=30, what='links restored')
    assert not f.speaker_bfd('node1')['sessions'][0]['bgp_held_down']
