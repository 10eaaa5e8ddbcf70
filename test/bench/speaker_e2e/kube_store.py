"""`run.py --datastore kubernetes`: the API server fixture (test/kube) in this process,
listening on the node namespace's loopback (made on a thread inside that namespace), with
deploy/crds and the manifest directory's objects. Services and EndpointSlices go straight
into its storage (Fixture.store_directly: the fixture's create path, with its defaults,
checks and allocations, is its own cost, not bgplb's), each Service with its address in status.loadBalancer as a
controller would have written it (the pool's i-th address for s<i>), so `bgplb run
--controller off` (a DaemonSet speaker) announces what it lists; without (`assigned`
false) the controller in `bgplb run --controller on` allocates and writes every status
through the API first. A change rewrites an EndpointSlice in storage: the watch event is
the API's."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'kube'))
from apiserver.fixture import Fixture  # noqa: E402
from apiserver.rest import key_of  # noqa: E402
from kube_apiserver import load_documents  # noqa: E402
from bench_common import POOL, v4  # noqa: E402

BULK = ('Service', 'EndpointSlice')


def with_defaults(spec, i):
    """What the API's create path would have added to bench Service s<i>'s spec (the
    fixture checks the whole Service again on a write, and allocates what is missing by
    looking at every Service). The health check node port of a Local LoadBalancer Service
    repeats every 2,768 Services: 10,000 of them need a node port range wider than the
    default 30000-32767 in a real cluster."""
    for p in spec['ports']:
        p.setdefault('protocol', 'TCP')
        p.setdefault('targetPort', p['port'])
    spec.update({'clusterIPs': [spec['clusterIP']], 'ipFamilies': ['IPv4'], 'ipFamilyPolicy': 'SingleStack',
                 'sessionAffinity': 'None', 'internalTrafficPolicy': 'Cluster', 'allocateLoadBalancerNodePorts': False,
                 'healthCheckNodePort': 30000 + i % 2768})


class Store:
    def __init__(self, node, work, mdir, ns, page_size, assigned=True):
        inside = node.thread()
        try:
            self.fx = inside.submit(Fixture, os.path.join(work, 'kube'), '127.0.0.1', 0, 0).result()
        finally:
            inside.shutdown()
        fx = self.fx
        fx.install(load_documents([os.path.join(ROOT, 'deploy', 'crds')]))
        fx.install([{'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': n}} for n in (ns, 'metallb-system')])
        docs = load_documents([mdir])
        fx.install([d for d in docs if d['kind'] not in BULK])
        for d in docs:
            if d['kind'] != 'Service':
                continue
            i = int(d['metadata']['name'][1:])
            with_defaults(d['spec'], i)
            if assigned:
                d['status'] = {'loadBalancer': {'ingress': [{'ip': v4(POOL, i)}]}}
                d['metadata']['annotations'] = {'metallb.io/ip-allocated-from-pool': 'bench'}
        fx.store_directly(d for d in docs if d['kind'] in BULK)
        self.ns = ns
        self.uri = 'kubernetes:?kubeconfig=%s&page-size=%d' % (fx.admin['kubeconfig'], page_size)
        self.slices = fx.state.registry.by_kind('discovery.k8s.io', 'v1', 'EndpointSlice')

    def set_ready(self, services, ready):
        """The EndpointSlices of services s<i> rewritten with their endpoint ready or not."""
        storage = self.fx.state.storage
        for i in services:
            key = key_of(self.slices, self.ns, 's%d-a' % i)
            with storage.lock:
                obj = storage.get(key)
                obj['endpoints'][0]['conditions']['ready'] = ready
                storage.update(key, obj)

    def stop(self):
        self.fx.stop()
