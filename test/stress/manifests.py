"""The manifest directory the stress suite runs `bgplb run` on: one node, one BGPPeer per
router (hold time 3 s), a pool, an advertisement and `count` Cluster services with a
ready endpoint each; `service_yaml` adds more later."""
import os

POOL = '198.51.96.0/20'
MY_ASN, PEER_ASN = 64512, 64500


def service_yaml(name, cluster_ip):
    return ('apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: demo}\n'
            'spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, clusterIP: %s, ports: [{port: 80}]}\n'
            '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
            'metadata: {name: %s-e, namespace: demo, labels: {kubernetes.io/service-name: %s}}\n'
            'addressType: IPv4\nports: [{port: 8080}]\n'
            'endpoints: [{addresses: [10.244.0.1], nodeName: n1, conditions: {ready: true}}]\n'
            % (name, cluster_ip, name, name))


def services_yaml(prefix, count, first=0):
    return '---\n'.join(service_yaml('%s%d' % (prefix, i), '10.96.%d.%d' % ((first + i) // 250, (first + i) % 250 + 1))
                        for i in range(count))


def write(directory, node_address, routers, count):
    """routers: [(name, address)]."""
    os.makedirs(directory, exist_ok=True)
    files = {
        'node.yaml': 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n'
                     'status: {addresses: [{type: InternalIP, address: %s}]}\n' % node_address,
        'pool.yaml': 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n'
                     'metadata: {name: stress, namespace: metallb-system}\nspec: {addresses: [%s]}\n'
                     '---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\n'
                     'metadata: {name: stress, namespace: metallb-system}\nspec: {ipAddressPools: [stress]}\n' % POOL,
        'peers.yaml': '---\n'.join(
            'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: %s, namespace: metallb-system}\n'
            'spec: {myASN: %d, peerASN: %d, peerAddress: %s, holdTime: 3s, connectTime: 1s}\n'
            % (name, MY_ASN, PEER_ASN, address) for name, address in routers),
        'services.yaml': services_yaml('s', count),
    }
    for name, text in files.items():
        with open(os.path.join(directory, name), 'w') as f:
            f.write(text)
