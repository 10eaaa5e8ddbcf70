"""The machine's kubectl (1.32) against the fixture, as it would run against a cluster:
apply (create, then a three-way strategic merge patch), get -o yaml/json, get -w, the three
patch types, delete, CRDs and their custom resources, 403 and 409 surfaced as kubectl
prints them. kubectl was written by others: if it works here, the fixture's discovery,
OpenAPI, Table, watch and patch handling are what a cluster would give it."""
import json
import os
import shutil
import subprocess
import time

import pytest
import yaml

pytestmark = pytest.mark.skipif(shutil.which('kubectl') is None, reason='kubectl is not installed')

NS = '''apiVersion: v1
kind: Namespace
metadata: {name: kc}
'''
SVC = '''apiVersion: v1
kind: Service
metadata: {name: web, namespace: kc, labels: {app: web}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
'''


@pytest.fixture(scope='module')
def kc(kube):
    kube.kubectl('apply', '-f', '-', input=NS)
    return kube


def get(kube, *args):
    return json.loads(kube.kubectl('get', '-o', 'json', *args).stdout)


def test_apply_creates_then_patches(kc):
    out = kc.kubectl('apply', '-f', '-', input=SVC).stdout
    assert out.strip() == 'service/web created'
    assert kc.kubectl('apply', '-f', '-', input=SVC).stdout.strip() == 'service/web unchanged'
    changed = SVC.replace('targetPort: 8080', 'targetPort: 9090').replace('{app: web}}', '{app: web, v: "2"}}')
    assert kc.kubectl('apply', '-f', '-', input=changed).stdout.strip() == 'service/web configured'
    svc = get(kc, '-n', 'kc', 'service', 'web')
    assert svc['spec']['ports'][0]['targetPort'] == 9090 and svc['metadata']['labels']['v'] == '2'
    assert svc['spec']['ports'][0]['nodePort'] >= 30000          # allocated value survived the patch
    last = json.loads(svc['metadata']['annotations']['kubectl.kubernetes.io/last-applied-configuration'])
    assert last['spec']['ports'][0]['targetPort'] == 9090
    reqs = [r for r in kc.requests()['items'] if r['method'] == 'PATCH' and r['path'].endswith('/services/web')]
    assert reqs and reqs[-1]['content_type'] == 'application/strategic-merge-patch+json'


def test_get_yaml_and_table(kc):
    doc = yaml.safe_load(kc.kubectl('get', '-n', 'kc', 'svc', 'web', '-o', 'yaml').stdout)
    assert doc['kind'] == 'Service' and doc['spec']['type'] == 'LoadBalancer'
    table = kc.kubectl('get', '-n', 'kc', 'svc').stdout.splitlines()
    assert table[0].split() == ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']
    assert table[1].split()[:4] == ['web', 'LoadBalancer', doc['spec']['clusterIP'], '<pending>']


def test_patch_types(kc):
    kc.kubectl('patch', '-n', 'kc', 'svc', 'web', '--type', 'merge', '-p', '{"metadata":{"annotations":{"a":"1"}}}')
    kc.kubectl('patch', '-n', 'kc', 'svc', 'web', '--type', 'json',
               '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":81}]')
    kc.kubectl('patch', '-n', 'kc', 'svc', 'web', '--type', 'strategic',
               '-p', '{"spec":{"ports":[{"name":"metrics","port":9100}]}}')
    kc.kubectl('patch', '-n', 'kc', 'svc', 'web', '--subresource', 'status', '--type', 'merge',
               '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.5"}]}}}')
    svc = get(kc, '-n', 'kc', 'svc', 'web')
    assert svc['metadata']['annotations']['a'] == '1'
    assert sorted(p['port'] for p in svc['spec']['ports']) == [81, 9100]   # strategic: merged by port
    assert svc['status']['loadBalancer']['ingress'] == [{'ip': '198.51.100.5'}]
    bad = kc.kubectl('patch', '-n', 'kc', 'svc', 'web', '--type', 'json',
                     '-p', '[{"op":"test","path":"/spec/type","value":"ClusterIP"}]', check=False)
    assert bad.returncode != 0


def test_watch_sees_changes(kc):
    cmd = ['kubectl', '--kubeconfig', kc.kubeconfig, '--cache-dir', os.path.join(kc.state_dir, 'kubectl-cache'),
           'get', '-n', 'kc', 'svc', '-w', '-o', 'json', '--request-timeout', '30s']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while kc.control('GET', '/state')['watches'] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        kc.kubectl('label', '-n', 'kc', 'svc', 'web', 'watched=yes')
        kc.kubectl('delete', '-n', 'kc', 'svc', 'web')
        time.sleep(1)
    finally:
        proc.terminate()
        out, _err = proc.communicate(timeout=10)
    objs = []
    dec = json.JSONDecoder()
    i = 0
    text = out.strip()
    while i < len(text):
        obj, j = dec.raw_decode(text, i)
        objs.append(obj)
        i = j
        while i < len(text) and text[i].isspace():
            i += 1
    assert objs[0]['metadata']['name'] == 'web'
    assert any((o['metadata'].get('labels') or {}).get('watched') == 'yes' for o in objs)
    assert get(kc, '-n', 'kc', 'svc')['items'] == []


def test_crds_and_custom_resources(kc):
    crds = kc.kubectl('get', 'crd', '-o', 'name').stdout.split()
    assert 'customresourcedefinition.apiextensions.k8s.io/ipaddresspools.metallb.io' in crds
    pool = ('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p1, namespace: kc}\n'
            'spec:\n  addresses: [192.0.2.0/28]\n')
    kc.kubectl('apply', '-f', '-', input=pool)
    got = get(kc, '-n', 'kc', 'ipaddresspools', 'p1')
    assert got['spec']['autoAssign'] is True and got['metadata']['generation'] == 1   # schema default
    kc.kubectl('apply', '-f', '-', input=pool.replace('/28', '/27'))
    assert get(kc, '-n', 'kc', 'ipaddresspools', 'p1')['metadata']['generation'] == 2
    typo = pool.replace('addresses:', 'adresses: [x]\n  addresses:')
    r = kc.kubectl('apply', '-f', '-', input=typo, check=False)
    assert r.returncode != 0 and 'unknown field "spec.adresses"' in r.stderr
    wrong = pool.replace('[192.0.2.0/28]', '[192.0.2.0/28]\n  autoAssign: "yes"')
    r = kc.kubectl('apply', '-f', '-', input=wrong, check=False)
    assert r.returncode != 0 and 'spec.autoAssign' in r.stderr and 'must be of type boolean' in r.stderr
    r = kc.kubectl('patch', '-n', 'kc', 'ipaddresspool', 'p1', '--type', 'strategic', '-p', '{"spec":{}}',
                   check=False)
    assert r.returncode != 0 and 'strategic-merge-patch+json is not supported' in r.stderr
    peer = ('apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: old, namespace: kc}\n'
            'spec: {myASN: 64512, peerASN: 64500, peerAddress: 10.0.0.1}\n')
    r = kc.kubectl('apply', '-f', '-', input=peer)
    assert 'v1beta1 is deprecated' in r.stderr
    assert get(kc, '-n', 'kc', 'bgppeers.v1beta2.metallb.io', 'old')['spec']['peerPort'] == 179
    kc.kubectl('delete', '-n', 'kc', 'ipaddresspool', 'p1')
    assert kc.kubectl('get', '-n', 'kc', 'ipaddresspool', 'p1', check=False).returncode != 0


def test_forbidden_and_conflict_messages(kc):
    info = kc.control('POST', '/users', {'name': 'viewer', 'rules': [
        {'verbs': ['get', 'list'], 'apiGroups': [''], 'resources': ['services']}]})
    r = kc.kubectl('delete', '-n', 'kc', 'svc', 'x', kubeconfig=info['kubeconfig'], check=False)
    assert r.returncode != 0
    assert 'Error from server (Forbidden): services "x" is forbidden: User "viewer" cannot delete ' \
           'resource "services" in API group "" in the namespace "kc"' in r.stderr
    kc.kubectl('apply', '-f', '-', input=SVC)
    svc = get(kc, '-n', 'kc', 'svc', 'web')
    svc['metadata']['resourceVersion'] = str(int(svc['metadata']['resourceVersion']) - 1)
    r = kc.kubectl('replace', '-f', '-', input=json.dumps(svc), check=False)
    assert r.returncode != 0 and 'the object has been modified' in r.stderr
