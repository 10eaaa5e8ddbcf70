"""Issue 12: the e2e rack on the Kubernetes datastore, as a cluster deploys bgplb:
bgplb-speaker on every node (as the ServiceAccount bgplb-speaker) and two bgplb-controller
replicas, on node1 and node2 (as bgplb-controller), against the API server fixture
(kube_api.py: test/kube's fixture in a namespace of its own, reached over the rack's
segment, with deploy/crds and deploy/rbac.yaml stored), FRR ToR. The test writes the
objects through the API as admin, as `kubectl apply` would: created, merge-patched with
the difference from what it last applied (fields others wrote, such as the controller's
annotations, stay), deleted.

After every step: every speaker's /v1/services equals the addresses in the Services'
status.loadBalancer (the controller's writing; an address in two Services' status fails
the test whenever one LIST shows it), IPAddressPool status counts them, the ToR's FIB
routes exactly the expected prefixes toward exactly the expected nodes (a Local service
only from nodes with a ready endpoint), one controller leads, no service is renumbered.

1. start: every Service gets an address in its status, with MetalLB's pool annotation;
   an EndpointSlice edited through the API moves the Local service's route;
2. kill -9 of the leading controller in the middle of a burst of new services: the other
   replica takes the Lease within lease duration + retry period (the datastore URI's
   `lease-duration=3&renew-deadline=2&retry-period=1` instead of client-go's 15/10/2 s),
   the ToR's routes unchanged meanwhile, the burst allocated, nothing renumbered; the
   killed replica started again stands by: the leader keeps the Lease, no Service is
   written and the replica sends no write at all (the fixture's request log, by its
   address), the ToR's routes stay exact (SplitChecks.killed_replica_back);
3. the API server down for DOWN_SECONDS (its port closed, connections dropped): the ToR's
   routes and every speaker's view stay, every speaker's /readyz says the datastore is
   stale; back, everything converges on the same addresses without an UPDATE to the ToR
   (no flap), and a new service is announced.

Prints the figures it sees (EndpointSlice edit to FIB, takeover, API back to converged)."""
import json
import os
import random
import time
import urllib.parse

import pytest

import fabric
import kube_api
from run_fabric import SplitProcesses, StoreFabric, one_service_per_address, open_rack, stop_gracefully
from scenario import CLUSTER, LOCAL, UNREADY, baseline
from test_etcd_multinode import CONVERGE, SEED, by_service
from test_etcd_split import SplitChecks

LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 3, 2, 1
DOWN_SECONDS = 6.0          # twice the lease duration: the leader surely steps down meanwhile
SA = 'system:serviceaccount:metallb-system:'
POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool'
LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/bgplb-controller'


def merge_patch(old, new):
    """The JSON merge patch (RFC 7386) that turns `old` into `new`."""
    patch = {k: None for k in old if k not in new}
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(old.get(k), dict):
            sub = merge_patch(old[k], v)
            if sub:
                patch[k] = sub
        elif k not in old or old[k] != v:
            patch[k] = v
    return patch


def api_path(obj):
    """The object's URL path. Every kind the rack writes is pluralised by adding an s."""
    group_version, meta = obj['apiVersion'], obj['metadata']
    base = '/api/v1' if group_version == 'v1' else '/apis/' + group_version
    ns = '/namespaces/%s' % meta['namespace'] if meta.get('namespace') else ''
    return '%s%s/%ss/%s' % (base, ns, obj['kind'].lower(), meta['name'])


class KubeFabric(SplitProcesses, StoreFabric):
    """The split rack on the Kubernetes datastore."""

    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, bgplb, bgplbctl)
        self.api = kube_api.ApiServer(self.topo, self.tor_ns, self.bridge, self.dir, fabric.PREFIXLEN)
        self.kubeconfigs = {}       # role -> its ServiceAccount's kubeconfig
        self.applied = {}           # API path -> the object as last applied

    def start(self, cluster, speakers_first=True):
        """The API with MetalLB's namespace, bgplb's RBAC and the e2e namespace; the
        cluster's objects through the API; then the ToR, the controllers and speakers."""
        import yaml     # here: kube_api.missing_reason() skips the test without it
        self.api.start()
        install = []
        for fn in ('namespace.yaml', 'rbac.yaml'):
            with open(os.path.join(kube_api.ROOT, 'deploy', fn)) as f:
                install += [d for d in yaml.safe_load_all(f) if d]
        install.append({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'e2e'}})
        self.api.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'List', 'items': install})
        for role in ('speaker', 'controller'):
            self.kubeconfigs[role] = self.api.user(SA + 'bgplb-' + role, ['system:serviceaccounts'])['kubeconfig']
        self.apply(cluster)
        return super().start(cluster, speakers_first=True)

    def datastore_args_for(self, role):
        return ['--datastore', 'kubernetes:?kubeconfig=%s&lease-duration=%d&renew-deadline=%d&retry-period=%d' % (
            urllib.parse.quote(self.kubeconfigs[role], safe='/'), LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD)]

    def put(self, paths):
        for p in paths:
            with open(p) as f:
                obj = json.load(f)
            path = api_path(obj)
            old = self.applied.get(path)
            if old is None:
                self.api.ok('POST', path.rsplit('/', 1)[0], obj)
            else:
                patch = merge_patch(old, obj)
                self.api.ok('PATCH', path, patch, content_type='application/merge-patch+json')
                if obj['kind'] == 'Node' and 'status' in patch:    # a Node's status is written through /status
                    self.api.ok('PATCH', path + '/status', {'status': patch['status']},
                                content_type='application/merge-patch+json')
            self.applied[path] = obj

    def remove(self, obj):
        path = api_path(obj)
        status, _, body = self.api.call('DELETE', path)
        assert status in (200, 404), 'DELETE %s: %d %s' % (path, status, body)
        self.applied.pop(path, None)

    def services(self):
        return self.api.ok('GET', '/api/v1/services')['items']

    def ledger(self):
        """{address: 'namespace/name'} of the Services' status.loadBalancer.ingress (one LIST)."""
        out = {}
        for s in self.services():
            svc = '%s/%s' % (s['metadata']['namespace'], s['metadata']['name'])
            for ing in ((s.get('status') or {}).get('loadBalancer') or {}).get('ingress') or []:
                ip = ing.get('ip')
                assert out.get(ip, svc) == svc, 'address %s in the status of %s and of %s' % (ip, out[ip], svc)
                out[ip] = svc
        return out

    def pools(self):
        """{pool: status.assignedIPv4} of the IPAddressPools, as the leader wrote them."""
        items = self.api.ok('GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools')['items']
        return {p['metadata']['name']: (p.get('status') or {}).get('assignedIPv4') for p in items}

    def lease_holder(self):
        return self.api.ok('GET', LEASE_PATH)['spec'].get('holderIdentity')

    def service_versions(self):
        """{namespace/name: resourceVersion} of every Service: any write to one moves it."""
        return {'%s/%s' % (s['metadata']['namespace'], s['metadata']['name']): s['metadata']['resourceVersion']
                for s in self.services()}

    def write_mark(self):
        """The position of the API server fixture's request log now."""
        return self.api.control('GET', '/requests?since=%d' % (1 << 62))['next']

    def controller_requests(self, name, mark):
        """The API requests of the controller replica on node `name` since `mark`: those the
        request log shows from the controllers' ServiceAccount at that node's address."""
        items = self.api.control('GET', '/requests?since=%d' % mark)['items']
        return [r for r in items if r.get('user') == SA + 'bgplb-controller' and r.get('client') == self.node_addr[name]]

    def controller_writes(self, name, mark):
        return ['%s %s: %s' % (r['method'], r['path'], r['status']) for r in self.controller_requests(name, mark)
                if r['method'] != 'GET']

    def logs(self, n=40):
        return super().logs(n) + '\n' + self.api.log_tail(n // 2)

    def close(self):
        # The controllers and speakers first (a stopping leader releases the Lease through
        # the API), then the API, then the rest.
        for name in list(self.controllers):
            stop_gracefully(self.controllers.pop(name))
        for name in list(self.speakers):
            self.stop_node(name)
        self.api.stop()
        super().close()


@pytest.fixture
def rack():
    yield from open_rack(KubeFabric, kube_api.missing_reason)


def test_kube_rack_of_separate_speakers_and_controllers(rack):
    f = rack
    c = SplitChecks(f, random.Random(SEED + 3))
    f.start(baseline())
    f.wait_sessions()
    ledger = c.settle('start')
    assert set(by_service(ledger)) == {'e2e/' + s for s in (LOCAL, CLUSTER, UNREADY)}, ledger
    pools = {s['metadata']['name']: (s['metadata'].get('annotations') or {}).get(POOL_ANNOTATION) for s in f.services()
             if s['metadata']['namespace'] == 'e2e'}
    assert pools == {LOCAL: 'main', CLUSTER: 'main', UNREADY: 'main'}, pools

    # 1. An EndpointSlice edited through the API: the Local service's endpoint on node2 moves to node3.
    [ip] = by_service(ledger)['e2e/' + LOCAL]

    def move(cl):
        cl.services[LOCAL].endpoints[1].node = 'node3'
    t = f.edit(move)
    edit_ms = 1000 * f.wait_hops(ip, {'node1', 'node3'}, since=t, what='EndpointSlice edited through the API')
    c.settle('the EndpointSlice of %s edited' % LOCAL)

    # 2. kill -9 of the leading controller in the middle of a burst: the speakers keep
    # announcing throughout, the other replica takes the Lease and allocates the burst.
    # It may once the record stayed unchanged for a lease duration, polling every retry
    # period; a second more for a loaded 2-core machine.
    killed, took = c.kill_leader_in_a_burst(LEASE_DURATION + RETRY_PERIOD + 1.0, 'lease duration %d s, retry period %d s' % (
        LEASE_DURATION, RETRY_PERIOD))

    # The killed replica started again: it stands by. A candidate takes the Lease only once
    # its record stayed unchanged for a lease duration, and the leader renews it every retry
    # period: watched for a lease duration and two retry periods (and a second to start),
    # the leader keeps the Lease, nothing is written (no Service changes, none from the
    # replica at all), the ToR's routes stay exact.
    holder, versions = f.lease_holder(), f.service_versions()
    back = time.monotonic()
    mark = c.killed_replica_back(killed, LEASE_DURATION + 2 * RETRY_PERIOD + 1.0,
                                 'lease duration %d s, retry period %d s' % (LEASE_DURATION, RETRY_PERIOD))
    assert f.lease_holder() == holder, 'the Lease went from %s to %s' % (holder, f.lease_holder())
    changed = {k: v for k, v in f.service_versions().items() if versions.get(k) != v}
    assert not changed, 'Services written while replica %s came back: %r' % (killed, changed)
    reads = [r for r in f.controller_requests(killed, mark) if r['method'] == 'GET' and r['path'] == LEASE_PATH]
    assert len(reads) >= LEASE_DURATION // RETRY_PERIOD, 'replica %s read the Lease %d times: not campaigning?' % (
        killed, len(reads))
    back_s = time.monotonic() - back

    # 3. The API server down: routes and views stay, /readyz says stale; back, no flap.
    before_ledger, before_fib = f.ledger(), f.pool_fib()
    updates = {n: f.router.counters(f.node_addr[n])['updates_received'] for n in f.speakers}
    f.api.down()
    down = time.monotonic()
    stale = {}
    while time.monotonic() < down + DOWN_SECONDS:
        f.check_alive()
        assert f.pool_fib() == before_fib, 'without the API the ToR routes %r, before %r' % (f.pool_fib(), before_fib)
        for name in f.speakers:
            v = f.view(name)
            assert v == before_ledger, 'without the API node %s sees %r, the ledger was %r' % (name, v, before_ledger)
            if name not in stale:
                code, body = f.readyz(name)
                if code != 200 and 'datastore stale' in body:
                    stale[name] = (time.monotonic() - down, body)
        time.sleep(0.2)
    assert set(stale) == set(f.speakers), 'speakers whose /readyz says stale while the API is down: %r' % stale
    print('readyz stale after %s s: %s' % ({n: round(s[0], 1) for n, s in sorted(stale.items())},
                                           stale[min(stale)][1][:200]))
    assert not f.leaders(), 'a controller leads without the API: %r' % f.leaders()
    f.api.up()
    back = time.monotonic()
    # The speakers list again after their back-off (800 ms doubling, jittered): ready then.
    c.wait(lambda: all(f.readyz(n)[0] == 200 for n in f.speakers), CONVERGE, 'every speaker is ready again')
    ready_ms = (time.monotonic() - back) * 1000
    after = c.settle('the API server back after %.0f s down' % DOWN_SECONDS)
    back_ms = (time.monotonic() - back) * 1000
    assert after == before_ledger, 'the addresses changed across the API outage: %r -> %r' % (before_ledger, after)
    for name in f.speakers:
        sent = f.router.counters(f.node_addr[name])['updates_received'] - updates[name]
        assert sent == 0, 'node %s sent %d UPDATEs across the API outage: a flap' % (name, sent)
    c.settle(c.timed_add('adding after the API returned'))
    assert not one_service_per_address(f)
    print('figures: EndpointSlice edit -> ToR FIB %.0f ms; takeover %.0f ms; the killed replica back and checked %.1f s; '
          'API back -> every speaker ready %.0f ms, converged with a leader %.0f ms; API create -> ToR FIB %s ms' % (
              edit_ms, took * 1000, back_s, ready_ms, back_ms, ', '.join('%.0f' % x for x in c.apply_to_fib_ms)))
