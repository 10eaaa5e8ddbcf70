"""What the Python benchmarks that run `bgplb run` on a generated manifest directory share:
addresses from /12 bases, EndpointSlice and Service documents, the whole directory
(manifests), atomic file writes and percentiles."""
import os
import sys

POOL, CLUSTER_IPS, POD_IPS = '10.192.0.0', '10.96.0.0', '10.240.0.0'   # three /12s
MAX_SERVICES = 1 << 20


def v4(base, i):
    """The i-th address after `base` (a dotted quad)."""
    a = sum(int(x) << (24 - 8 * k) for k, x in enumerate(base.split('.'))) + i
    return '%d.%d.%d.%d' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def service_doc(i, ns):
    """Service s<i>: LoadBalancer, Local, ClusterIP from CLUSTER_IPS."""
    return ('apiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: %s}\n'
            'spec: {type: LoadBalancer, externalTrafficPolicy: Local, clusterIP: %s, '
            'ports: [{port: 80}]}\n---\n' % (i, ns, v4(CLUSTER_IPS, i)))


def slice_doc(i, ready, ns):
    """The EndpointSlice of service s<i>: one endpoint on node n1, ready or not."""
    return ('apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%d-a, namespace: %s, '
            'labels: {kubernetes.io/service-name: s%d}}\naddressType: IPv4\nendpoints: [{addresses: [%s], '
            'nodeName: n1, conditions: {ready: %s}}]\n---\n' % (i, ns, i, v4(POD_IPS, i), 'true' if ready else 'false'))


ADVERTISE_ALL_ON_N1 = '''---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: all, namespace: metallb-system}
spec: {}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
'''


def manifests(d, n, ns, my_asn, peer_asn, peer_address='10.0.0.2', pool=POOL, burst=0, burst_files=False):
    """Pool (a /12 from `pool`), one BGPPeer (`peer_address`), an advertisement of every
    pool on node n1, and N Local services with one ready endpoint each on n1. Service s0's
    slice lives alone in target.yaml and the burst's services (s1..sB) in burst.yaml (with
    burst_files: one file each, burst/s<i>.yaml), as edits would."""
    if n > MAX_SERVICES:
        sys.exit('at most %d services (the pool is a /12)' % MAX_SERVICES)
    with open(os.path.join(d, 'bgp.yaml'), 'w') as f:
        f.write('''apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: metallb-system}
spec: {addresses: [%s/12]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: rcv, namespace: metallb-system}
spec: {myASN: %d, peerASN: %d, peerAddress: %s, holdTime: 90s}
''' % (pool, my_asn, peer_asn, peer_address) + ADVERTISE_ALL_ON_N1)
    with open(os.path.join(d, 'services.yaml'), 'w') as f:
        for i in range(n):
            f.write(service_doc(i, ns))
    with open(os.path.join(d, 'slices.yaml'), 'w') as f:
        for i in range(burst + 1, n):
            f.write(slice_doc(i, True, ns))
    if burst_files:
        os.makedirs(os.path.join(d, 'burst'))
        for i in range(1, burst + 1):
            write_atomic(os.path.join(d, 'burst', 's%d.yaml' % i), slice_doc(i, True, ns))
    else:
        write_atomic(os.path.join(d, 'burst.yaml'), ''.join(slice_doc(i, True, ns) for i in range(1, burst + 1)))
    write_atomic(os.path.join(d, 'target.yaml'), slice_doc(0, True, ns))


def write_atomic(path, text):
    """Write then rename, as an editor or a sync tool does."""
    tmp = os.path.join(os.path.dirname(path), '.tmp-' + os.path.basename(path))
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
