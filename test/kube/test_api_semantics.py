"""The fixture's REST semantics, checked over raw HTTPS: what the C++ client relies on
(409 on a stale resourceVersion, 410 after compaction for watches and continue tokens, 403
Status bodies, 429 with Retry-After, chunked watch streams that can be cut mid-event, the
status subresource, generateName, pagination)."""
import json
import time

from conftest import Client

SVC = '/api/v1/namespaces/default/services'


def service(name, **spec):
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': name},
            'spec': dict({'type': 'LoadBalancer', 'ports': [{'port': 80}]}, **spec)}


def test_create_get_defaults_and_status_ignored(admin):
    body = service('sem-a')
    body['status'] = {'loadBalancer': {'ingress': [{'ip': '192.0.2.1'}]}}
    code, _h, svc = admin.call('POST', SVC, body)
    assert code == 201
    assert svc['status'] == {'loadBalancer': {}}
    assert svc['spec']['clusterIP'].startswith('10.') and svc['spec']['ports'][0]['nodePort'] >= 30000
    assert svc['metadata']['uid'] and svc['metadata']['creationTimestamp'].endswith('Z')
    code, _h, again = admin.call('GET', SVC + '/sem-a')
    assert code == 200 and again['metadata']['resourceVersion'] == svc['metadata']['resourceVersion']


def test_stale_resource_version_is_409_and_noop_keeps_rv(admin):
    _c, _h, svc = admin.call('POST', SVC, service('sem-b'))
    stale = json.loads(json.dumps(svc))
    svc['metadata']['labels'] = {'x': '1'}
    code, _h, updated = admin.call('PUT', SVC + '/sem-b', svc)
    assert code == 200 and updated['metadata']['resourceVersion'] != stale['metadata']['resourceVersion']
    stale['metadata']['labels'] = {'x': '2'}
    code, _h, status = admin.call('PUT', SVC + '/sem-b', stale)
    assert code == 409
    assert status['reason'] == 'Conflict' and status['kind'] == 'Status'
    assert status['message'] == ('Operation cannot be fulfilled on services "sem-b": the object has been '
                                 'modified; please apply your changes to the latest version and try again')
    code, _h, same = admin.call('PUT', SVC + '/sem-b', updated)
    assert code == 200 and same['metadata']['resourceVersion'] == updated['metadata']['resourceVersion']


def test_status_subresource_writes_only_status(admin):
    _c, _h, svc = admin.call('POST', SVC, service('sem-c'))
    svc['status'] = {'loadBalancer': {'ingress': [{'ip': '198.51.100.7', 'ipMode': 'VIP'}]}}
    svc['spec']['ports'][0]['port'] = 81
    code, _h, out = admin.call('PUT', SVC + '/sem-c/status', svc)
    assert code == 200
    assert out['status']['loadBalancer']['ingress'][0]['ip'] == '198.51.100.7'
    assert out['spec']['ports'][0]['port'] == 80
    out['status'] = {'loadBalancer': {}}
    code, _h, main = admin.call('PUT', SVC + '/sem-c', out)
    assert main['status']['loadBalancer']['ingress'][0]['ip'] == '198.51.100.7'
    code, _h, bad = admin.call('PATCH', SVC + '/sem-c/status',
                               {'status': {'loadBalancer': {'ingress': [{'ip': 'not-an-ip'}]}}},
                               'application/merge-patch+json')
    assert code == 422 and bad['reason'] == 'Invalid'
    assert bad['details']['causes'][0]['field'] == 'status.loadBalancer.ingress[0].ip'


def test_generate_name_and_namespace_must_exist(admin):
    body = service('')
    body['metadata'] = {'generateName': 'gen-'}
    code, _h, svc = admin.call('POST', SVC, body)
    assert code == 201 and svc['metadata']['name'].startswith('gen-') and len(svc['metadata']['name']) == 9
    code, _h, st = admin.call('POST', '/api/v1/namespaces/nope/services', service('x'))
    assert code == 404 and st['message'] == 'namespaces "nope" not found'


def test_pagination_and_expired_continue(kube, admin):
    for i in range(5):
        admin.call('POST', '/api/v1/namespaces/kube-public/services', service('page-%d' % i))
    path = '/api/v1/namespaces/kube-public/services?limit=2'
    _c, _h, first = admin.call('GET', path)
    assert [s['metadata']['name'] for s in first['items']] == ['page-0', 'page-1']
    assert first['metadata']['remainingItemCount'] == 3
    token = first['metadata']['continue']
    admin.call('DELETE', '/api/v1/namespaces/kube-public/services/page-2')
    _c, _h, second = admin.call('GET', path + '&continue=' + token)
    # a consistent snapshot: page-2 is still there at the list's resourceVersion
    assert [s['metadata']['name'] for s in second['items']] == ['page-2', 'page-3']
    assert second['metadata']['resourceVersion'] == first['metadata']['resourceVersion']
    kube.control('POST', '/compact', {})
    code, _h, st = admin.call('GET', path + '&continue=' + second['metadata']['continue'])
    assert code == 410 and st['reason'] == 'Expired'


def test_list_resource_version_match(kube, admin):
    _c, _h, lst = admin.call('GET', SVC)
    rv = int(lst['metadata']['resourceVersion'])
    code, _h, st = admin.call('GET', SVC + '?resourceVersion=%d&resourceVersionMatch=Exact' % (rv - 100))
    assert code == 410 and st['message'].startswith('too old resource version')
    kube.control('POST', '/config', {'listWaitSeconds': 0.2})
    code, _h, st = admin.call('GET', SVC + '?resourceVersion=%d&resourceVersionMatch=NotOlderThan' % (rv + 100))
    assert code == 504 and st['details']['causes'][0]['reason'] == 'ResourceVersionTooLarge'
    code, _h, st = admin.call('GET', SVC + '?resourceVersionMatch=Exact')
    assert code == 400


def test_selectors(admin):
    body = service('sel-a')
    body['metadata']['labels'] = {'app': 'x', 'tier': 'web'}
    admin.call('POST', SVC, body)
    cases = [('labelSelector=app%3Dx', ['sel-a']), ('labelSelector=app+in+(x,y),tier!%3Ddb', ['sel-a']),
             ('labelSelector=!app', None), ('fieldSelector=metadata.name%3Dsel-a', ['sel-a']),
             ('fieldSelector=metadata.name!%3Dsel-a,metadata.name%3Dsel-a', [])]
    for q, want in cases:
        code, _h, lst = admin.call('GET', SVC + '?' + q)
        names = [s['metadata']['name'] for s in lst['items']]
        if want is None:
            assert 'sel-a' not in names, q
        else:
            assert names == want, q
    code, _h, st = admin.call('GET', SVC + '?fieldSelector=spec.foo%3D1')
    assert code == 400 and st['reason'] == 'BadRequest'


def read_events(resp, n):
    out = []
    while len(out) < n:
        line = resp.readline()
        if not line:
            break
        out.append(json.loads(line))
    return out


def test_watch_stream_bookmark_drop_and_410(kube, admin):
    _c, _h, lst = admin.call('GET', SVC)
    rv = lst['metadata']['resourceVersion']
    resp = admin.stream(SVC + '?watch=true&allowWatchBookmarks=true&resourceVersion=' + rv)
    assert resp.headers['Transfer-Encoding'] == 'chunked'
    admin.call('POST', SVC, service('w-1'))
    ev = read_events(resp, 1)[0]
    assert ev['type'] == 'ADDED' and ev['object']['metadata']['name'] == 'w-1'
    kube.control('POST', '/bookmark')
    ev = read_events(resp, 1)[0]
    assert ev['type'] == 'BOOKMARK' and int(ev['object']['metadata']['resourceVersion']) >= int(rv)
    kube.control('POST', '/drop-watches', {'afterEvents': 1, 'how': 'partial'})
    admin.call('DELETE', SVC + '/w-1')
    admin.call('POST', SVC, service('w-2'))
    ev = read_events(resp, 1)[0]
    assert ev['type'] == 'DELETED'
    try:
        rest = resp.read()
    except Exception as e:        # http.client.IncompleteRead: the stream was cut mid-chunk
        rest = getattr(e, 'partial', b'')
    assert b'w-2' not in rest
    kube.control('POST', '/compact', {})
    resp = admin.stream(SVC + '?watch=true&resourceVersion=' + rv)
    ev = read_events(resp, 1)[0]
    assert ev['type'] == 'ERROR' and ev['object']['code'] == 410 and ev['object']['reason'] == 'Expired'


def test_watch_selector_transitions(admin):
    _c, _h, lst = admin.call('GET', SVC)
    resp = admin.stream(SVC + '?watch=true&labelSelector=pick%3Dyes&resourceVersion='
                        + lst['metadata']['resourceVersion'])
    admin.call('POST', SVC, service('t-1'))
    admin.call('PATCH', SVC + '/t-1', {'metadata': {'labels': {'pick': 'yes'}}}, 'application/merge-patch+json')
    admin.call('PATCH', SVC + '/t-1', {'metadata': {'labels': {'pick': 'no'}}}, 'application/merge-patch+json')
    assert [e['type'] for e in read_events(resp, 2)] == ['ADDED', 'DELETED']


def test_forbidden_unauthorized_and_429(kube):
    info = kube.control('POST', '/users', {'name': 'reader', 'rules': [
        {'verbs': ['get', 'list', 'watch'], 'apiGroups': [''], 'resources': ['services']}]})
    reader = Client(kube, info)
    code, _h, _b = reader.call('GET', SVC)
    assert code == 200
    code, _h, st = reader.call('PATCH', SVC + '/sem-a/status', {'status': {}}, 'application/merge-patch+json')
    assert code == 403 and st['reason'] == 'Forbidden'
    assert st['message'] == ('services "sem-a" is forbidden: User "reader" cannot patch resource '
                             '"services/status" in API group "" in the namespace "default"')
    anon = Client(kube, {})
    code, _h, st = anon.call('GET', SVC)
    assert code == 401 and st['reason'] == 'Unauthorized'
    by_token = Client(kube, {})
    by_token.token = info['token']
    assert by_token.call('GET', SVC)[0] == 200
    kube.control('POST', '/faults', {'status': 429, 'retryAfter': 2, 'count': 1, 'path': '/services$'})
    code, headers, st = reader.call('GET', SVC)
    assert code == 429 and headers['Retry-After'] == '2' and st['details']['retryAfterSeconds'] == 2
    assert reader.call('GET', SVC)[0] == 200


def test_rbac_objects_grant_service_accounts(kube, admin):
    admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        'apiVersion': 'rbac.authorization.k8s.io/v1', 'kind': 'ClusterRole', 'metadata': {'name': 'lease-rw'},
        'rules': [{'apiGroups': ['coordination.k8s.io'], 'resources': ['leases'], 'verbs': ['get', 'create']}]})
    admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
        'apiVersion': 'rbac.authorization.k8s.io/v1', 'kind': 'RoleBinding', 'metadata': {'name': 'lease-rw'},
        'roleRef': {'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'ClusterRole', 'name': 'lease-rw'},
        'subjects': [{'kind': 'ServiceAccount', 'name': 'ctl', 'namespace': 'default'}]})
    info = kube.control('POST', '/users', {'name': 'system:serviceaccount:default:ctl',
                                           'groups': ['system:serviceaccounts'], 'cert': False})
    sa = Client(kube, {})
    sa.token = info['token']
    assert sa.call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/x')[0] == 404
    assert sa.call('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x')[0] == 403


def test_lease_micro_time_round_trip(admin):
    lease = {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': {'name': 'l1'},
             'spec': {'holderIdentity': 'a', 'leaseDurationSeconds': 15,
                      'renewTime': '2024-05-01T10:00:00.5+02:00'}}
    code, _h, out = admin.call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease)
    assert code == 201 and out['spec']['renewTime'] == '2024-05-01T08:00:00.500000Z'
    lease['metadata']['name'] = 'l2'
    lease['spec']['leaseDurationSeconds'] = 0
    code, _h, st = admin.call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease)
    assert code == 422


def test_events_v1_and_core_share_storage(admin):
    ev = {'apiVersion': 'events.k8s.io/v1', 'kind': 'Event', 'metadata': {'generateName': 'sem-a.'},
          'eventTime': '2024-05-01T10:00:00.000001Z', 'reportingController': 'bgplb.io/controller',
          'reportingInstance': 'c-1', 'action': 'Allocate', 'reason': 'IPAllocated', 'type': 'Normal',
          'note': 'Assigned IP ["198.51.100.7"]',
          'regarding': {'kind': 'Service', 'namespace': 'default', 'name': 'sem-a'}}
    code, _h, out = admin.call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', ev)
    assert code == 201 and out['note'] == ev['note']
    code, _h, core = admin.call('GET', '/api/v1/namespaces/default/events/' + out['metadata']['name'])
    assert core['message'] == ev['note'] and core['involvedObject']['name'] == 'sem-a'
    assert core['reportingComponent'] == 'bgplb.io/controller'
    del ev['reportingController']
    code, _h, st = admin.call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', ev)
    assert code == 422 and any(c['field'] == 'reportingController' for c in st['details']['causes'])


def test_api_outage(kube, admin):
    kube.control('POST', '/api-down')
    try:
        failed = False
        try:
            admin.call('GET', SVC)
        except OSError:
            failed = True
        assert failed
    finally:
        kube.control('POST', '/api-up')
    deadline = time.monotonic() + 5
    while True:
        try:
            assert admin.call('GET', SVC)[0] == 200
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
