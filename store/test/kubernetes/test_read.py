"""The Kubernetes datastore reading through the API server fixture: cold start, watch
events, last good versions, dropped watches, 410 Gone, an outage, 403, 429, TLS and
credentials, selectors."""
import json
import os
import subprocess
import time

import pytest

from objects import as_list, namespace, node, pool, service, uri
from probe import change, health

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def services_seen(p, since=0):
    """The Services the probe's change sets add up to (added minus removed)."""
    seen = set()
    for c in p.events('change', since):
        for k in c['keys']['added']:
            if k.startswith('Service '):
                seen.add(k)
        for k in c['keys']['removed']:
            seen.discard(k)
    return seen


def requests(kube, method='GET', path=None, watch=None):
    out = []
    for r in kube.requests()['items']:
        if r['method'] != method or (path is not None and r['path'] != path):
            continue
        if watch is not None and bool(r.get('watch')) != watch:
            continue
        out.append(r)
    return out


def requests_at_least(kube, n, path, watch=None, timeout=5):
    """requests(), once it holds n (or after timeout). The fixture logs a request after its
    response is out, so the probe may see a change before the request that brought it."""
    deadline = time.monotonic() + timeout
    while True:
        out = requests(kube, path=path, watch=watch)
        if len(out) >= n or time.monotonic() > deadline:
            return out
        time.sleep(0.05)


def test_cold_start_then_events(kube, admin, probe):
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'a', ['192.0.2.1']),
                                               service('default', 'b'), service('default', 'other', ['192.0.2.9'], cls='x')]))
    p = probe(uri(kube.kubeconfig), '--keys')
    first = p.wait(change)
    assert first['full'] and first['generation'] == 1
    assert {'Service default/a', 'Service default/b', 'IPAddressPool metallb-system/p'} <= set(first['keys']['added'])
    assert first['errors'] == []
    # Assignments from Service status, for the served class (none) only.
    assert first['assignments'] == {'default/a': ['192.0.2.1']}
    p.wait(lambda l: health(l) and l['synced'] and l['connected'])

    m = p.mark()
    status, _, _ = admin.call('POST', '/api/v1/namespaces/default/services', service('default', 'c'))
    assert status == 201
    c = p.wait(change, since=m)
    assert c['keys'] == {'added': ['Service default/c'], 'modified': [], 'removed': []}
    assert not c['full'] and c['assignments'] is None

    m = p.mark()
    status, _, _ = admin.call('PATCH', '/api/v1/namespaces/default/services/c/status',
                              {'status': {'loadBalancer': {'ingress': [{'ip': '192.0.2.3'}]}}},
                              content_type='application/merge-patch+json')
    assert status == 200
    c = p.wait(change, since=m)
    assert c['keys']['modified'] == ['Service default/c']
    assert c['moved'] == ['default/c']
    assert c['assignments'] == {'default/a': ['192.0.2.1'], 'default/c': ['192.0.2.3']}

    m = p.mark()
    assert admin.call('DELETE', '/api/v1/namespaces/default/services/a')[0] == 200
    c = p.wait(change, since=m)
    assert c['keys']['removed'] == ['Service default/a']
    assert c['assignments'] == {'default/c': ['192.0.2.3']}


def test_refused_object_keeps_its_last_good_version(kube, admin, probe):
    kube.control('POST', '/objects', as_list([pool('a', '192.0.2.0/28'), pool('b', '192.0.2.16/28')]))
    p = probe(uri(kube.kubeconfig), '--keys')
    p.wait(change)
    m = p.mark()
    status, _, body = admin.call('PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/b',
                                 {'spec': {'addresses': ['192.0.2.0/27']}}, content_type='application/merge-patch+json')
    assert status == 200, body
    c = p.wait(lambda l: change(l) and l['errors'], since=m)
    assert c['keys'] == {'added': [], 'modified': [], 'removed': []}  # b stays as it was
    assert len(c['errors']) == 1
    assert c['errors'][0].startswith('ipaddresspools.metallb.io/metallb-system/b.json: IPAddressPool metallb-system/b: '
                                     'spec.addresses[0]: ')
    m = p.mark()
    admin.call('PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/b',
               {'spec': {'addresses': ['192.0.2.32/28']}}, content_type='application/merge-patch+json')
    c = p.wait(change, since=m)
    assert c['errors'] == [] and c['keys']['modified'] == ['IPAddressPool metallb-system/b']


@pytest.mark.parametrize('how', ['abort', 'partial', 'clean'])
def test_watch_dropped_in_a_burst_loses_nothing(kube, probe, how):
    p = probe(uri(kube.kubeconfig), '--keys')
    p.wait(change)
    lists_before = len(requests(kube, path='/api/v1/services', watch=False))
    kube.control('POST', '/drop-watches', {'afterEvents': 37, 'how': how})
    names = ['s-%03d' % i for i in range(150)]
    kube.control('POST', '/objects', namespace('burst'))
    for i in range(0, len(names), 10):  # ten per request: a burst of separate watch events
        kube.control('POST', '/objects', as_list(service('burst', n) for n in names[i:i + 10]))
    want = {'Service burst/' + n for n in names}
    deadline = time.monotonic() + 60
    while not want <= services_seen(p) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert want <= services_seen(p)
    assert all(c['errors'] == [] for c in p.events('change'))
    # The fixture logs a watch when it ends: end the resumed one too.
    kube.control('POST', '/drop-watches', {'afterEvents': 0, 'how': 'clean'})
    deadline = time.monotonic() + 10
    while len(requests(kube, path='/api/v1/services', watch=True)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    watches = requests(kube, path='/api/v1/services', watch=True)
    assert len(watches) >= 2, 'the stream was not resumed'
    # Resumed from the last resourceVersion seen, not listed again.
    assert len(requests(kube, path='/api/v1/services', watch=False)) == lists_before
    assert watches[-1]['query'].get('resourceVersion') not in (None, '', '0', watches[0]['query'].get('resourceVersion'))


def test_compacted_version_relists(kube, probe):
    kube.control('POST', '/objects', as_list([service('default', 'keep'), service('default', 'gone')]))
    p = probe(uri(kube.kubeconfig), '--keys')
    p.wait(change)
    m = p.mark()
    # While the API is unreachable, history moves on and is compacted: the watch cannot resume.
    kube.control('POST', '/api-down')
    kube.control('POST', '/objects', service('default', 'new'))
    kube.control('DELETE', '/objects?apiVersion=v1&kind=Service&namespace=default&name=gone')
    kube.control('POST', '/compact', {})
    kube.control('POST', '/api-up')
    # Every kind's watch met 410 and each is listed again; the Services' re-list brings both.
    c = p.wait(lambda l: change(l) and 'Service default/new' in l['keys']['added'], since=m, timeout=60)
    assert c['full'], 'a re-list is delivered as a full update'
    assert all(x['full'] for x in p.events('change', m))
    assert 'Service default/gone' in c['keys']['removed']
    assert 'Service default/keep' not in c['keys']['modified']
    # (the fixture answers a compacted watch with an ERROR event carrying 410, as the API does)
    assert len(requests_at_least(kube, 2, '/api/v1/services', watch=False)) == 2, 'listed again'


def test_api_down_keeps_the_last_state(kube, probe):
    down = float(os.environ.get('BGPLB_KUBE_DOWN_SECONDS', '3'))
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'a', ['192.0.2.1'])]))
    p = probe(uri(kube.kubeconfig))
    p.wait(change)
    p.wait(lambda l: health(l) and l['connected'])
    m = p.mark()
    t0 = time.monotonic()
    kube.control('POST', '/api-down')
    h = p.wait(lambda l: health(l) and not l['connected'], since=m)
    assert h['synced']
    assert 'Connection refused' in h['error'] or 'end of stream' in h['error'] or 'watch dropped' in h['error'], h
    assert h['last_sync_unix'] > 0
    time.sleep(max(0.0, down - (time.monotonic() - t0)))
    assert p.events('change', m) == [], 'nothing new is delivered while the API is down'
    last = p.events('health', m)[-1]
    assert not last['connected'] and 'Connection refused' in last['error'], last
    kube.control('POST', '/objects', service('default', 'b', ['192.0.2.2']))
    kube.control('POST', '/api-up')
    up = time.monotonic()
    # Back-off is capped at 30 s (with up to 100 % jitter on shorter delays).
    p.wait(lambda l: health(l) and l['connected'], since=m, timeout=40)
    c = p.wait(change, since=m, timeout=10)
    assert c['assignments'] == {'default/a': ['192.0.2.1'], 'default/b': ['192.0.2.2']}
    print('outage %.0f s: reconnected %.1f s after the API came back' % (down, time.monotonic() - up))


def test_forbidden_is_a_precise_error(kube, probe):
    user = kube.control('POST', '/users', {'name': 'reader', 'rules': [
        {'verbs': ['get', 'list', 'watch'], 'apiGroups': [''], 'resources': ['services', 'namespaces', 'nodes', 'secrets']},
        {'verbs': ['get', 'list', 'watch'], 'apiGroups': ['discovery.k8s.io'], 'resources': ['endpointslices']}]})
    p = probe(uri(user['kubeconfig']))
    h = p.wait(lambda l: health(l) and 'ipaddresspools' in l['error'])
    assert not h['synced'] and not h['connected']
    assert ('list ipaddresspools.metallb.io: 403 Forbidden: ipaddresspools.metallb.io is forbidden: User "reader" '
            'cannot list resource "ipaddresspools" in API group "metallb.io" in the namespace "metallb-system"') in h['error']
    time.sleep(1)
    assert p.events('change') == [], 'nothing is delivered before every kind could be listed'


def test_too_many_requests_waits_retry_after(kube, probe):
    kube.control('POST', '/faults', {'status': 429, 'count': 1, 'retryAfter': 2, 'method': 'GET',
                                     'path': '^/api/v1/services$', 'watch': False})
    t0 = time.monotonic()
    p = probe(uri(kube.kubeconfig))
    h = p.wait(lambda l: health(l) and '429' in l['error'])
    assert 'retrying after 2 s' in h['error']
    p.wait(change, timeout=20)
    assert time.monotonic() - t0 >= 2
    lists = requests_at_least(kube, 2, '/api/v1/services', watch=False)
    assert [r['status'] for r in lists[:2]] == [429, 200]


def test_bearer_token_and_client_certificate(kube, probe):
    for kc in (kube.info['admin']['kubeconfig'], kube.info['admin']['kubeconfigToken']):
        p = probe(uri(kc))
        p.wait(change)
    users = {r['user'] for r in kube.requests()['items']}
    assert 'admin' in users


def test_untrusted_server_certificate(kube, probe, tmp_path):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other-ca',
                    '-keyout', str(tmp_path / 'other.key'), '-out', str(tmp_path / 'other.crt')],
                   check=True, capture_output=True)
    kc = json.load(open(kube.kubeconfig))
    kc['clusters'][0]['cluster']['certificate-authority'] = str(tmp_path / 'other.crt')
    path = tmp_path / 'kubeconfig-other-ca'
    path.write_text(json.dumps(kc))
    p = probe(uri(str(path)))
    h = p.wait(lambda l: health(l) and 'TLS handshake' in l['error'])
    assert 'certificate verify failed' in h['error']
    assert not h['synced']


def test_insecure_skip_verify_only_when_allowed(kube, probe, tmp_path):
    kc = json.load(open(kube.kubeconfig))
    kc['clusters'][0]['cluster'].pop('certificate-authority')
    kc['clusters'][0]['cluster']['insecure-skip-tls-verify'] = True
    path = tmp_path / 'kubeconfig-insecure'
    path.write_text(json.dumps(kc))
    refused = subprocess.run([os.environ['BGPLB_KUBE_PROBE'], uri(str(path))], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1
    assert 'insecure-skip-tls-verify' in refused.stderr and 'allow-insecure=true' in refused.stderr
    p = probe(uri(str(path), allow_insecure='true'))
    p.wait(change)


def test_speaker_reads_its_own_node_and_the_controller_only_what_it_allocates(kube, probe):
    kube.control('POST', '/objects', as_list([node('n1', {'rack': 'a'}), node('n2')]))
    p = probe(uri(kube.kubeconfig), '--node', 'n1', '--keys')
    first = p.wait(change)
    assert 'Node n1' in first['keys']['added'] and 'Node n2' not in first['keys']['added']
    nodes = requests(kube, path='/api/v1/nodes')
    assert nodes and all(r['query'].get('fieldSelector') == 'metadata.name=n1' for r in nodes)
    slices = requests(kube, path='/apis/discovery.k8s.io/v1/endpointslices')
    assert slices and all(r['query'].get('labelSelector') == 'kubernetes.io/service-name' for r in slices)
    p.stop()
    kube.control('DELETE', '/requests')
    c = probe(uri(kube.kubeconfig), '--controller')
    c.wait(change)
    paths = {r['path'] for r in kube.requests()['items'] if r['method'] == 'GET'}
    assert paths == {'/api/v1/services', '/api/v1/namespaces',
                     '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools'}, paths


def test_cold_start(kube, probe):
    n = int(os.environ.get('BGPLB_KUBE_COLD_SERVICES', '200'))
    kube.control('POST', '/objects', as_list([pool('p', '10.0.0.0/8')] + [namespace('ns-%d' % i) for i in range(10)]))
    for start in range(0, n, 100):
        batch = []
        for i in range(start, min(n, start + 100)):
            batch.append(service('ns-%d' % (i % 10), 'svc-%05d' % i, ['10.%d.%d.%d' % (i >> 16, (i >> 8) & 255, i & 255)]))
            batch.append({'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
                          'metadata': {'name': 'svc-%05d-abc' % i, 'namespace': 'ns-%d' % (i % 10),
                                       'labels': {'kubernetes.io/service-name': 'svc-%05d' % i}},
                          'addressType': 'IPv4',
                          'endpoints': [{'addresses': ['10.244.%d.%d' % ((i >> 8) & 255, i & 255)], 'nodeName': 'n1',
                                         'conditions': {'ready': True}}],
                          'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}]})
        kube.control('POST', '/objects', as_list(batch))
    t0 = time.monotonic()
    p = probe(uri(kube.kubeconfig), '--node', 'n1')
    first = p.wait(change, timeout=600)
    elapsed = time.monotonic() - t0
    assert first['objects'] >= 2 * n + 1
    assert len(first['assignments']) == n
    print('cold start: %d Services + %d EndpointSlices in %.2f s (probe clock %d ms), RSS %d KiB, peak %d KiB' %
          (n, n, elapsed, first['ms'], first['rss_kb'], first['peak_rss_kb']))


def test_rotated_token_file_is_read_again(kube, probe, tmp_path):
    admins = [kube.control('POST', '/users', {'name': name, 'groups': ['system:masters'], 'cert': False})
              for name in ('first-token', 'second-token')]
    token = tmp_path / 'token'
    token.write_text(admins[0]['token'] + '\n')
    kc = json.load(open(kube.kubeconfig))
    kc['users'][0]['user'] = {'tokenFile': str(token)}
    path = tmp_path / 'kubeconfig-token-file'
    path.write_text(json.dumps(kc))
    p = probe(uri(str(path)))
    p.wait(change)
    # The kubelet rotates a projected token by replacing the file.
    fresh = tmp_path / 'token.new'
    fresh.write_text(admins[1]['token'])
    os.replace(fresh, token)
    kube.control('DELETE', '/requests')
    p.send('resync')
    p.wait(change, since=p.mark())
    users = {r['user'] for r in kube.requests()['items'] if r['method'] == 'GET'}
    assert users == {'second-token'}, users


def test_calico_bgp_peers_are_read(kube, probe):
    """Calico's cluster-scoped BGPPeers (crd.projectcalico.org/v1) are the node's ToR sessions too."""
    peer = {'apiVersion': 'crd.projectcalico.org/v1', 'kind': 'BGPPeer', 'metadata': {'name': 'rack1-tor'},
            'spec': {'peerIP': '10.50.1.1', 'asNumber': 65101, 'nodeSelector': "rack == 'rack-1'"}}
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), peer]))
    p = probe(uri(kube.kubeconfig), '--keys')
    first = p.wait(change)
    assert 'Calico BGPPeer rack1-tor' in first['keys']['added'], first['keys']['added']
    assert first['errors'] == []
