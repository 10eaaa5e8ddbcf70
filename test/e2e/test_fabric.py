"""End to end: manifests in, ECMP routes at the top-of-rack router's FIB out.

Every test starts from the baseline of conftest.py (Local service on node1+node2, Cluster
service with its only endpoint on node3, an unready Local service announced nowhere), makes
one kind of change to the manifest directory and polls the ToR's kernel FIB until it shows
the expected next hops (10 s at most). Runs once with FRR and once with BIRD as the ToR.
"""
import time

import pytest

import manifests
import routers
from scenario import CLUSTER, LOCAL, UNREADY

ALL = {'node1', 'node2', 'node3'}
E = manifests.Endpoint


def test_baseline_ecmp(bed, fab):
    """Local: exactly the nodes with a ready endpoint; Cluster: every node; an endpoint that
    is neither ready nor serving announces nothing."""
    fab.hold_hops(bed.ip[LOCAL], {'node1', 'node2'}, 1.0, 'Local service')
    assert fab.hops(bed.ip[CLUSTER]) == ALL
    assert fab.hops(bed.ip[UNREADY]) == set()


def test_endpoints_added_and_removed(bed, fab):
    ip = bed.ip[LOCAL]
    t = fab.edit(lambda c: c.services[LOCAL].endpoints.append(E('node3', '10.244.3.10')))
    fab.wait_hops(ip, ALL, since=t, what='endpoint added on node3')
    t = fab.edit(lambda c: c.services[LOCAL].endpoints.pop(0))      # node1's
    fab.wait_hops(ip, {'node2', 'node3'}, since=t, what='endpoint removed on node1')
    t = fab.edit(lambda c: setattr(c.services[LOCAL], 'endpoints', []))
    fab.wait_hops(ip, set(), since=t, what='last endpoint removed')
    # Cluster: announced from every node while any endpoint exists anywhere.
    t = fab.edit(lambda c: setattr(c.services[CLUSTER], 'endpoints', []))
    fab.wait_hops(bed.ip[CLUSTER], set(), since=t, what='Cluster service lost its only endpoint')
    t = fab.edit(lambda c: setattr(c.services[CLUSTER], 'endpoints', [E('node1', '10.244.1.11')]))
    fab.wait_hops(bed.ip[CLUSTER], ALL, since=t, what='Cluster service got an endpoint on node1')
    # Deleting the whole EndpointSlice is the same as no endpoints.
    t = fab.edit(lambda c: setattr(c.services[CLUSTER], 'slice_present', False))
    fab.wait_hops(bed.ip[CLUSTER], set(), since=t, what='EndpointSlice deleted')


def test_unready_becomes_ready(bed, fab):
    def ready(c):
        c.services[UNREADY].endpoints[0].ready = True
        c.services[UNREADY].endpoints[0].serving = True
    t = fab.edit(ready)
    fab.wait_hops(bed.ip[UNREADY], {'node3'}, since=t, what='endpoint on node3 became ready')


def test_conditions_omitted_count_as_ready(bed, fab):
    """Kubernetes: a nil ready condition means ready (MetalLB: ready nil or true)."""
    t = fab.edit(lambda c: setattr(c.services[UNREADY], 'endpoints', [E('node2', '10.244.2.12', ready=None)]))
    fab.wait_hops(bed.ip[UNREADY], {'node2'}, since=t, what='endpoint without conditions on node2')


def test_terminating_but_serving_keeps_the_route(bed, fab):
    ip = bed.ip[LOCAL]

    def terminating(serving):
        def f(c):
            e = c.services[LOCAL].endpoints[1]          # node2's
            e.ready, e.serving, e.terminating = False, serving, True
        return f
    fab.edit(terminating(True))
    fab.hold_hops(ip, {'node1', 'node2'}, 2.0, 'terminating endpoint still serving on node2')
    t = fab.edit(terminating(False))
    fab.wait_hops(ip, {'node1'}, since=t, what='terminating endpoint on node2 stopped serving')


def test_weighted_ecmp_follows_local_endpoint_counts(bed, fab):
    """bgplb.io/weighted-ecmp on the advertisement: each node's route carries the link
    bandwidth extended community in proportion to its ready local endpoints, and FRR turns
    it into kernel next-hop weights: two endpoints on node1, one on node2 -> 2:1. Without
    the annotation the paths are equal again."""
    if bed.kind != 'frr':
        pytest.skip('weighted ECMP is checked against the FRR ToR (bgp bestpath bandwidth) only')
    ip = bed.ip[LOCAL]

    def ratio():
        w = fab.weights(ip)
        return w['node1'] / w['node2'] if set(w) == {'node1', 'node2'} else None

    def weighted(c):
        c.advert_annotations = {'bgplb.io/weighted-ecmp': 'true'}
        c.services[LOCAL].endpoints.append(E('node1', '10.244.1.20'))
    fab.edit(weighted)
    routers.wait_for(lambda: (ratio() or 0) > 1.9 and ratio() < 2.1, 10,
                     lambda: 'weights for %s are %r, want node1:node2 = 2:1' % (ip, fab.weights(ip)), interval=0.1)
    print('%s: weighted ECMP: %s -> %r' % (bed.kind, ip, fab.weights(ip)))
    fab.edit(lambda c: setattr(c, 'advert_annotations', {}))
    routers.wait_for(lambda: ratio() == 1, 10,
                     lambda: 'weights for %s are %r after the annotation went, want equal' % (ip, fab.weights(ip)),
                     interval=0.1)


def test_node_excluded_by_label(bed, fab):
    t = fab.edit(lambda c: c.node('node2').labels.update({manifests.EXCLUDE_LABEL: ''}))
    fab.wait_hops(bed.ip[LOCAL], {'node1'}, since=t, what='node2 labelled for exclusion')
    fab.wait_hops(bed.ip[CLUSTER], {'node1', 'node3'}, since=t, what='node2 labelled for exclusion')
    t = fab.edit(lambda c: c.node('node2').labels.pop(manifests.EXCLUDE_LABEL))
    fab.wait_hops(bed.ip[LOCAL], {'node1', 'node2'}, since=t, what='exclusion label removed')
    fab.wait_hops(bed.ip[CLUSTER], ALL, since=t, what='exclusion label removed')


def test_node_network_unavailable(bed, fab):
    t = fab.edit(lambda c: setattr(c.node('node1'), 'network_unavailable', True))
    fab.wait_hops(bed.ip[LOCAL], {'node2'}, since=t, what='node1 NetworkUnavailable')
    fab.wait_hops(bed.ip[CLUSTER], {'node2', 'node3'}, since=t, what='node1 NetworkUnavailable')
    t = fab.edit(lambda c: setattr(c.node('node1'), 'network_unavailable', False))
    fab.wait_hops(bed.ip[CLUSTER], ALL, since=t, what='node1 network available again')


def test_service_deleted(bed, fab):
    t = fab.edit(lambda c: c.services.pop(LOCAL))
    fab.wait_hops(bed.ip[LOCAL], set(), since=t, what='Local service deleted')
    fab.hold_hops(bed.ip[CLUSTER], ALL, 1.0, 'other service untouched')
    # The Service deleted while its EndpointSlice stays behind (as for a moment in
    # Kubernetes): withdrawn too.
    t = fab.edit(lambda c: setattr(c.services[CLUSTER], 'service_present', False))
    fab.wait_hops(bed.ip[CLUSTER], set(), since=t, what='Cluster service deleted, its EndpointSlice kept')


def test_pool_grows_to_a_requested_address(bed, fab):
    """A service asks for an address outside every pool: nothing is announced until the
    pool is changed to include it."""
    extra = manifests.Service('wants-203', 'Cluster', '10.96.0.20', [E('node1', '10.244.1.20')],
                              annotations={'metallb.io/loadBalancerIPs': '203.0.113.10'})
    fab.edit(lambda c: c.services.update({extra.name: extra}))
    fab.hold_hops('203.0.113.10', set(), 1.5, 'requested address outside every pool')
    t = fab.edit(lambda c: c.pool_addresses.append('203.0.113.0/28'))
    fab.wait_hops('203.0.113.10', ALL, since=t, what='pool grew to include the requested address')


def test_pool_shrinks_under_its_services(bed, fab):
    """bgplb keeps a stranded address (no renumbering, unlike MetalLB) but announces it only
    while a pool covers it."""
    t = fab.edit(lambda c: setattr(c, 'pool_addresses', ['198.51.100.8/29']))
    fab.wait_hops(bed.ip[LOCAL], set(), since=t, what='pool shrank away from the address')
    fab.wait_hops(bed.ip[CLUSTER], set(), since=t, what='pool shrank away from the address')
    assert fab.service_ip(LOCAL) == bed.ip[LOCAL], 'the controller renumbered a service whose pool shrank'
    t = fab.edit(lambda c: setattr(c, 'pool_addresses', ['198.51.100.0/28']))
    fab.wait_hops(bed.ip[LOCAL], {'node1', 'node2'}, since=t, what='pool covers the address again')
    fab.wait_hops(bed.ip[CLUSTER], ALL, since=t, what='pool covers the address again')


def test_pool_no_longer_selected_by_the_advertisement(bed, fab):
    """Relabelling the pool so the BGPAdvertisement's ipAddressPoolSelectors miss it
    withdraws all of its addresses from every node; labelling it back restores them."""
    t = fab.edit(lambda c: c.pool_labels.update({'e2e.bgplb.io/announce': 'no'}))
    fab.wait_hops(bed.ip[LOCAL], set(), since=t, what='pool deselected')
    fab.wait_hops(bed.ip[CLUSTER], set(), since=t, what='pool deselected')
    t = fab.edit(lambda c: c.pool_labels.update({'e2e.bgplb.io/announce': 'yes'}))
    fab.wait_hops(bed.ip[LOCAL], {'node1', 'node2'}, since=t, what='pool selected again')
    fab.wait_hops(bed.ip[CLUSTER], ALL, since=t, what='pool selected again')


def test_sigterm_withdraws_and_exits_0(bed, fab):
    """Last test of the module (it leaves node3 without a speaker): SIGTERM is a graceful
    shutdown that withdraws node3's routes and exits 0."""
    t0 = time.monotonic()
    rc = fab.stop_speaker('node3')
    fab.wait_hops(bed.ip[CLUSTER], {'node1', 'node2'}, what='speaker on node3 stopped')
    assert rc == 0, 'bgplb-speaker exited %r after SIGTERM (%.1fs)' % (rc, time.monotonic() - t0)
