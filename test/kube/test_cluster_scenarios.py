"""The kubectl and Python-client scenarios of this folder against a real cluster: run by
scripts/kube-check.sh with BGPLB_KUBECONFIG set, skipped otherwise (and in `meson test`).
Everything happens in a namespace made for the run and deleted after it."""
import json
import os
import subprocess
import uuid

import pytest

KUBECONFIG = os.environ.get('BGPLB_KUBECONFIG')
pytestmark = pytest.mark.skipif(not KUBECONFIG, reason='needs a cluster: scripts/kube-check.sh sets BGPLB_KUBECONFIG')


def kubectl(*args, input=None, check=True):
    p = subprocess.run(['kubectl', '--kubeconfig', KUBECONFIG] + list(args), capture_output=True, text=True,
                       input=input, timeout=120)
    if check and p.returncode:
        raise AssertionError(p.stderr)
    return p


@pytest.fixture(scope='module')
def ns():
    name = 'bgplb-check-' + uuid.uuid4().hex[:6]
    kubectl('create', 'namespace', name)
    yield name
    kubectl('delete', 'namespace', name, '--wait=false')


def test_kubectl_round_trip(ns):
    svc = ('apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: %s}\nspec:\n  type: LoadBalancer\n'
           '  ports: [{name: http, port: 80, targetPort: 8080}]\n' % ns)
    assert 'created' in kubectl('apply', '-f', '-', input=svc).stdout
    assert 'configured' in kubectl('apply', '-f', '-', input=svc.replace('8080', '9090')).stdout
    kubectl('patch', '-n', ns, 'svc', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"a":"b"}}}')
    kubectl('patch', '-n', ns, 'svc', 'web', '--type', 'strategic', '-p', '{"spec":{"ports":[{"name":"m","port":9100}]}}')
    kubectl('patch', '-n', ns, 'svc', 'web', '--subresource', 'status', '--type', 'merge',
            '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.200"}]}}}')
    got = json.loads(kubectl('get', '-n', ns, 'svc', 'web', '-o', 'json').stdout)
    assert sorted(p['port'] for p in got['spec']['ports']) == [80, 9100]
    kubectl('delete', '-n', ns, 'svc', 'web')


def test_python_client(ns):
    from kubernetes import client, config, watch
    v1 = client.CoreV1Api(config.new_client_from_config(config_file=KUBECONFIG))
    for i in range(12):
        v1.create_namespaced_service(ns, client.V1Service(metadata=client.V1ObjectMeta(name='p-%02d' % i),
                                     spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
    names, token = [], None
    while True:
        page = v1.list_namespaced_service(ns, limit=5, _continue=token)
        names += [s.metadata.name for s in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == ['p-%02d' % i for i in range(12)]
    v1.patch_namespaced_service_status('p-00', ns, {'status': {'loadBalancer': {'ingress': [{'ip': '192.0.2.201'}]}}})
    w = watch.Watch()
    rv = page.metadata.resource_version
    v1.delete_namespaced_service('p-01', ns)
    for ev in w.stream(v1.list_namespaced_service, ns, resource_version=rv, allow_watch_bookmarks=True,
                       timeout_seconds=20):
        if ev['type'] == 'DELETED':
            assert ev['object'].metadata.name == 'p-01'
            w.stop()
