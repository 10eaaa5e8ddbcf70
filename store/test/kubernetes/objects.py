"""Manifests the datastore tests seed into the API server fixture, and the URI of a
kubeconfig."""
import urllib.parse


def uri(kubeconfig, **params):
    q = 'kubeconfig=' + urllib.parse.quote(kubeconfig, safe='/')
    for k, v in params.items():
        q += '&%s=%s' % (k.replace('_', '-'), urllib.parse.quote(str(v), safe=''))
    return 'kubernetes:?' + q


def service(ns, name, ingress=(), cls=None, annotations=None, type_='LoadBalancer'):
    o = {'apiVersion': 'v1', 'kind': 'Service',
         'metadata': {'name': name, 'namespace': ns},
         'spec': {'type': type_, 'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP'}]}}
    if annotations:
        o['metadata']['annotations'] = dict(annotations)
    if cls:
        o['spec']['loadBalancerClass'] = cls
    if ingress:
        o['status'] = {'loadBalancer': {'ingress': [{'ip': ip} for ip in ingress]}}
    return o


def pool(name, *addresses):
    return {'apiVersion': 'metallb.io/v1beta1', 'kind': 'IPAddressPool',
            'metadata': {'name': name, 'namespace': 'metallb-system'},
            'spec': {'addresses': list(addresses)}}


def node(name, labels=None):
    return {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': name, 'labels': labels or {}},
            'status': {'addresses': [{'type': 'InternalIP', 'address': '10.0.0.1'}]}}


def namespace(name):
    return {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': name}}


def as_list(items):
    return {'apiVersion': 'v1', 'kind': 'List', 'items': list(items)}
