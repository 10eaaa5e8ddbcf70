"""`bgplb plan --datastore kubernetes:...` against the fixture: the same answer as
`bgplb plan -f` on the same manifests, addresses already in Service status kept, the
controller's ledger read as the controller reads it (the holds ConfigMap's holds held
for --hold-down, a stranded address kept), only GET requests (no Lease, no write), a
refused read and a corrupt ledger are errors that say why; and `bgplbctl get KIND
--datastore kubernetes:...` lists what bgplb reads. Skips without BGPLB_BIN / BGPLBCTL_BIN
(meson passes the built programs)."""
import json
import os
import subprocess
import time
import urllib.parse

import pytest

from harness import ROOT

BGPLB = os.environ.get('BGPLB_BIN', '')
BGPLBCTL = os.environ.get('BGPLBCTL_BIN', '')
QUICKSTART = os.path.join(ROOT, 'examples', 'quickstart')

pytestmark = pytest.mark.skipif(not BGPLB or not os.access(BGPLB, os.X_OK),
                                reason='BGPLB_BIN does not name the built bgplb')


LEDGER_PATH = '/api/v1/namespaces/metallb-system/configmaps/bgplb-ledger'


def uri(kubeconfig):
    return 'kubernetes:?kubeconfig=' + urllib.parse.quote(kubeconfig, safe='/')


def plan(*args):
    p = subprocess.run([BGPLB, 'plan'] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def cluster(kube):
    kube.kubectl('apply', '-f', os.path.join(ROOT, 'deploy', 'namespace.yaml'))
    kube.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'demo'}})
    kube.kubectl('apply', '-f', QUICKSTART, '--validate=false')
    yield kube


def test_plan_reads_a_cluster_as_it_reads_a_directory(cluster):
    from_dir = plan('-f', QUICKSTART)
    cluster.control('DELETE', '/requests')
    from_cluster = plan('--datastore', uri(cluster.kubeconfig))
    assert from_cluster[0] == from_dir[0] == 0, (from_dir, from_cluster)
    assert json.loads(from_cluster[1])['services'] == json.loads(from_dir[1])['services']
    log = cluster.requests()['items']
    assert log and {r['method'] for r in log} == {'GET'}, 'plan only reads'
    assert not any('/leases' in r['path'] for r in log), 'no campaign'
    assert [r['path'] for r in log if '/configmaps' in r['path']] == [LEDGER_PATH], 'the holds ConfigMap, read once'


def test_plan_for_a_node_matches_the_directory(cluster):
    from_dir = plan('-f', QUICKSTART, '--node', 'node1')
    from_cluster = plan('--datastore', uri(cluster.kubeconfig), '--node', 'node1')
    assert from_cluster[0] == from_dir[0] == 0, (from_dir, from_cluster)
    assert json.loads(from_cluster[1]) == json.loads(from_dir[1])


def test_an_address_in_service_status_is_kept(cluster):
    svc = cluster.control('GET', '/objects?apiVersion=v1&kind=Service&namespace=demo')['items']
    local = next(s for s in svc if s['metadata']['name'] == 'web-local')
    local['status'] = {'loadBalancer': {'ingress': [{'ip': '198.51.100.7'}]}}  # MetalLB's, say
    cluster.control('POST', '/objects', local)
    code, out, err = plan('--datastore', uri(cluster.kubeconfig))
    assert code == 0, err
    ips = {s['name']: s['ips'] for s in json.loads(out)['services']}
    assert ips['web-local'] == ['198.51.100.7'] and ips['web-cluster'] == ['198.51.100.1'], ips
    got = cluster.control('GET', '/objects?apiVersion=v1&kind=Service&namespace=demo')['items']
    assert [s['status'] for s in got if s['metadata']['name'] == 'web-cluster'] == [{'loadBalancer': {}}], \
        'the plan is not written'


def test_plan_reads_the_controllers_ledger(cluster):
    """The controller allocates from its ledger: a released address held in the holds
    ConfigMap goes to no other Service until the hold-down has passed, and an address
    in Service status that no pool covers any more stays (stranded). So does plan."""
    def ips(*extra):
        code, out, err = plan('--datastore', uri(cluster.kubeconfig), *extra)
        assert code == 0, err
        return {s['name']: (s['ips'], [e['reason'] for e in s['events']]) for s in json.loads(out)['services']}

    def holds(text):
        cluster.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {
            'name': 'bgplb-ledger', 'namespace': 'metallb-system'}, 'data': {'ledger.json': text}})

    def held(ip, released_at):
        return json.dumps({'format': 'bgplb-ledger', 'version': 1, 'revision': 7, 'allocations': [], 'holds': [
            {'ip': ip, 'namespace': 'demo', 'name': 'gone', 'pool': 'demo', 'released_at': released_at}]})

    free = ips()                                    # no ConfigMap yet: nothing held
    [ip] = free['web-cluster'][0]
    holds(held(ip, int(time.time()) - 10))
    now = ips()
    assert ip not in now['web-cluster'][0] + now['web-local'][0], 'held for demo/gone: %r' % now
    assert ips('--hold-down', '5') == free, 'a hold older than --hold-down holds nothing'
    holds(held(ip, int(time.time()) - 400))
    assert ips() == free, 'a hold older than the default hold-down (300 s) holds nothing'

    stranded = {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {
        'name': 'stranded', 'namespace': 'demo', 'annotations': {'metallb.io/ip-allocated-from-pool': 'retired'}},
        'spec': {'type': 'LoadBalancer', 'ports': [{'port': 80, 'protocol': 'TCP'}]},
        'status': {'loadBalancer': {'ingress': [{'ip': '203.0.113.9'}]}}}
    cluster.control('POST', '/objects', stranded)
    try:
        assert ips()['stranded'] == (['203.0.113.9'], ['PoolRemoved']), 'kept, as the controller keeps it'
    finally:
        cluster.control('DELETE', '/objects?apiVersion=v1&kind=Service&namespace=demo&name=stranded')

    holds('{"format": "bgplb-ledger", "version": 1, "holds": "none"}')
    try:
        code, out, err = plan('--datastore', uri(cluster.kubeconfig))
        assert code == 2 and out == '', (code, out)
        assert "cannot read the controller's ledger" in err and 'ConfigMap metallb-system/bgplb-ledger' in err, err
    finally:
        cluster.control('DELETE', '/objects?apiVersion=v1&kind=ConfigMap&namespace=metallb-system&name=bgplb-ledger')


def test_the_served_class_only(cluster):
    code, out, err = plan('--datastore', uri(cluster.kubeconfig), '--load-balancer-class', 'other')
    assert code == 0, err
    assert json.loads(out)['services'] == [], 'the quickstart Services have no class: not served'


def test_a_refused_read_is_an_error_naming_the_403(cluster):
    user = cluster.control('POST', '/users', {'name': 'plan-reader', 'rules': [
        {'verbs': ['get', 'list', 'watch'], 'apiGroups': [''], 'resources': ['services', 'namespaces', 'nodes']}]})
    code, out, err = plan('--datastore', uri(user['kubeconfig']), '--timeout', '2')
    assert code == 2 and out == ''
    assert 'within 2000 ms' in err and '403 Forbidden' in err and 'User "plan-reader"' in err, err


@pytest.mark.skipif(not BGPLBCTL or not os.access(BGPLBCTL, os.X_OK), reason='BGPLBCTL_BIN does not name the built bgplbctl')
def test_bgplbctl_get_lists_what_bgplb_reads(cluster):
    def get(*args):
        p = subprocess.run([BGPLBCTL, 'get'] + list(args) + ['--datastore', uri(cluster.kubeconfig)],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr
    cluster.control('POST', '/objects', {'apiVersion': 'metallb.io/v1beta1', 'kind': 'IPAddressPool',
                                         'metadata': {'name': 'broken', 'namespace': 'metallb-system'},
                                         'spec': {'addresses': ['not-a-range']}})
    cluster.control('DELETE', '/requests')
    code, out, err = get('ipaddresspools')
    assert code == 0, err
    assert out.split() == ['NAMESPACE', 'NAME', 'metallb-system', 'demo'], out
    assert 'refused' in err and 'broken' in err, 'the refused pool is named, not listed'
    code, out, err = get('Service', '-n', 'demo')
    assert code == 0 and out.split()[2:] == ['demo', 'web-cluster', 'demo', 'web-local'], (out, err)
    code, out, err = get('Node', 'node2')
    assert code == 0 and out.split() == ['NAME', 'node2'], (out, err)
    code, out, err = get('Node', 'node9')
    assert code == 1 and 'Node node9 not found' in err, err
    assert {r['method'] for r in cluster.requests()['items']} == {'GET'}, 'get only reads'
    cluster.control('DELETE', '/objects?apiVersion=metallb.io/v1beta1&kind=IPAddressPool&namespace=metallb-system&name=broken')
