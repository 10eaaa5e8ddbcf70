"""Every manifest in deploy/ and examples/ applies with kubectl to a fresh API server
fixture, in the order a user would (CRDs, wait for Established, then the rest), and every
custom resource validates against the openAPIV3Schema of the CRD in deploy/crds, both
through the fixture (kubectl's Strict field validation) and directly with the structural
schema validator. deploy/rbac.yaml is then checked by acting as the two service accounts."""
import glob
import json
import os

import pytest
import yaml

from conftest import Client
from harness import KubeFixture, ROOT
from apiserver import schema

DEPLOY = os.path.join(ROOT, 'deploy')
EXAMPLES = sorted(d for d in glob.glob(os.path.join(ROOT, 'examples', '*')) if os.path.isdir(d))
NAMESPACES = ['shop', 'infra', 'demo']


def documents(path):
    files = [path] if os.path.isfile(path) else sorted(
        f for f in glob.glob(os.path.join(path, '*')) if f.endswith(('.yaml', '.yml', '.json')))
    for f in files:
        with open(f) as fh:
            for doc in yaml.safe_load_all(fh):
                if not doc:
                    continue
                for item in doc['items'] if doc.get('kind', '').endswith('List') else [doc]:
                    yield f, item


def crd_schemas():
    out = {}
    for _f, crd in documents(os.path.join(DEPLOY, 'crds')):
        for v in crd['spec']['versions']:
            out[(crd['spec']['group'], v['name'], crd['spec']['names']['kind'])] = \
                v['schema']['openAPIV3Schema']
    return out


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    fx = KubeFixture(tmp_path_factory.mktemp('manifests') / 'state')
    fx.start()
    yield fx
    fx.stop()


def test_deploy_applies(cluster):
    cluster.kubectl('apply', '-f', os.path.join(DEPLOY, 'crds'))
    cluster.kubectl('wait', '--for=condition=Established', '--timeout=10s', 'crd', '-l',
                    'app.kubernetes.io/part-of=bgplb')
    for f in ('namespace.yaml', 'rbac.yaml', 'controller.yaml', 'speaker.yaml'):
        cluster.kubectl('apply', '-f', os.path.join(DEPLOY, f))
    ds = json.loads(cluster.kubectl('get', '-n', 'metallb-system', 'ds', 'bgplb-speaker', '-o', 'json').stdout)
    caps = ds['spec']['template']['spec']['containers'][0]['securityContext']['capabilities']
    assert caps['drop'] == ['ALL'] and 'SYS_ADMIN' not in caps['add']
    dep = json.loads(cluster.kubectl('get', '-n', 'metallb-system', 'deploy', 'bgplb-controller', '-o',
                                     'json').stdout)
    assert dep['spec']['replicas'] == 2


@pytest.mark.parametrize('example', EXAMPLES, ids=os.path.basename)
def test_example_applies(cluster, example):
    if any(doc.get('apiVersion') == 'projectcalico.org/v3' for _f, doc in documents(example)):
        pytest.skip('projectcalico.org/v3 is served by Calico\'s API server, which the fixture does not run')
    for ns in NAMESPACES:
        cluster.kubectl('apply', '-f', '-', input='apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' % ns)
    r = cluster.kubectl('apply', '-f', example, check=False)
    assert r.returncode == 0, r.stderr
    assert 'Error' not in r.stderr


def manifests():
    paths = [os.path.join(DEPLOY, 'crds')] + [os.path.join(DEPLOY, f) for f in
                                             ('namespace.yaml', 'rbac.yaml', 'controller.yaml', 'speaker.yaml')]
    return [(f, d) for p in paths + EXAMPLES for f, d in documents(p)]


def test_custom_resources_match_schemas():
    schemas = crd_schemas()
    checked = 0
    for f, doc in manifests():
        group, _, version = doc['apiVersion'].rpartition('/')
        sch = schemas.get((group, version, doc['kind']))
        if group in ('metallb.io', 'crd.projectcalico.org'):
            assert sch is not None, '%s: no CRD in deploy/crds serves %s %s' % (f, doc['apiVersion'], doc['kind'])
        if sch is None:
            continue
        body = {k: v for k, v in doc.items() if k != 'metadata'}
        assert schema.unknown_fields(sch, body) == [], f
        assert schema.validate(sch, schema.apply_defaults(sch, json.loads(json.dumps(body)))) == [], f
        checked += 1
    assert checked >= 15


def test_crd_schemas_are_structural():
    for f, crd in documents(os.path.join(DEPLOY, 'crds')):
        for v in crd['spec']['versions']:
            assert schema.structural_errors(v['schema']['openAPIV3Schema']) == [], (f, v['name'])


@pytest.mark.parametrize('kind,spec,field', [
    ('IPAddressPool', {'autoAssign': True}, 'spec.addresses'),
    ('IPAddressPool', {'addresses': '192.0.2.0/24'}, 'spec.addresses'),
    ('BFDProfile', {'detectMultiplier': 1}, 'spec.detectMultiplier'),
    ('BGPAdvertisement', {'aggregationLength': 0}, 'spec.aggregationLength'),
])
def test_validator_rejects(kind, spec, field):
    sch = crd_schemas()[('metallb.io', 'v1beta1', kind)]
    errs = schema.validate(sch, {'apiVersion': 'metallb.io/v1beta1', 'kind': kind, 'spec': spec})
    assert [e[0] for e in errs] == [field]


def test_rbac_is_least_privilege(cluster):
    def account(name):
        info = cluster.control('POST', '/users', {'name': 'system:serviceaccount:metallb-system:' + name,
                                                  'groups': ['system:serviceaccounts'], 'cert': False})
        c = Client(cluster, {})
        c.token = info['token']
        return c
    speaker, controller = account('bgplb-speaker'), account('bgplb-controller')
    status = {'status': {'loadBalancer': {'ingress': [{'ip': '192.0.2.5'}]}}}
    svc = '/api/v1/namespaces/shop/services/storefront'
    cases = [  # (client, method, path, body, content type, allowed)
        (speaker, 'GET', '/apis/metallb.io/v1beta1/ipaddresspools', None, None, True),
        (speaker, 'GET', '/apis/discovery.k8s.io/v1/endpointslices?labelSelector=kubernetes.io%2Fservice-name', None, None, True),
        (speaker, 'GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dnode1', None, None, True),
        (speaker, 'GET', '/api/v1/namespaces/metallb-system/secrets', None, None, True),
        (speaker, 'GET', '/api/v1/namespaces/default/secrets', None, None, False),
        (speaker, 'PATCH', svc + '/status', status, 'application/merge-patch+json', False),
        (speaker, 'DELETE', svc, None, None, False),
        (controller, 'PATCH', svc + '/status', status, 'application/merge-patch+json', True),
        (controller, 'GET', '/api/v1/namespaces/metallb-system/secrets', None, None, False),
        (controller, 'GET', '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/bgplb-controller',
         None, None, True),
        (controller, 'GET', '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/other', None, None, False),
        (controller, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/prod',
         {'metadata': {'labels': {'x': 'y'}}}, 'application/merge-patch+json', False),
    ]
    for client, method, path, body, ctype, allowed in cases:
        code, _h, out = client.call(method, path, body, ctype or 'application/json')
        assert (code != 403) == allowed, (method, path, code, out)
