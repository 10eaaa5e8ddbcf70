"""The baseline cluster every e2e test starts from, as manifests.Cluster values."""
import fabric
import manifests

# Service names, their policies and ClusterIPs in the baseline.
LOCAL, CLUSTER, UNREADY = 'local-a', 'cluster-a', 'local-unready'


def baseline():
    """node1 and node2 hold ready endpoints of the Local service, node3 the only endpoint of
    the Cluster service; a second Local service has an endpoint that is neither ready nor
    serving (announced nowhere)."""
    E, S = manifests.Endpoint, manifests.Service
    return manifests.Cluster(
        tor_address=fabric.TOR_ADDR, my_asn=fabric.MY_ASN, tor_asn=fabric.TOR_ASN,
        nodes=[manifests.Node(n, a) for n, a in fabric.NODES],
        services={
            LOCAL: S(LOCAL, 'Local', '10.96.0.10', [E('node1', '10.244.1.10'), E('node2', '10.244.2.10')]),
            CLUSTER: S(CLUSTER, 'Cluster', '10.96.0.11', [E('node3', '10.244.3.11')]),
            UNREADY: S(UNREADY, 'Local', '10.96.0.12', [E('node3', '10.244.3.12', ready=False, serving=False)]),
        },
        pool_addresses=['198.51.100.0/28'], pool_labels={'e2e.bgplb.io/announce': 'yes'},
        advert_pool_selector={'e2e.bgplb.io/announce': 'yes'})


def bfd_baseline():
    """The baseline with a BFDProfile of 100 ms x 3 that the BGPPeer names."""
    c = baseline()
    c.bfd_profile = {'receiveInterval': 100, 'transmitInterval': 100, 'detectMultiplier': 3}
    return c
