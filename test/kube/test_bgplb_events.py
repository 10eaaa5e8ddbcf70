"""The speaker's own Events through the API server fixture: `bgplb run --controller off
--datastore kubernetes:...` (the speaker alone) posts MetalLB's nodeAssigned on a Service
when it starts announcing it, once, and writes nothing else. Its BGPPeer points at a
closed loopback port, so no session comes up and no traffic leaves the host. Skips
without BGPLB_BIN (meson passes the built bgplb)."""
import os
import socket
import subprocess
import time
import urllib.parse

import pytest

from harness import ROOT

BGPLB = os.environ.get('BGPLB_BIN', '')
QUICKSTART = os.path.join(ROOT, 'examples', 'quickstart')

pytestmark = pytest.mark.skipif(not BGPLB or not os.access(BGPLB, os.X_OK),
                                reason='BGPLB_BIN does not name the built bgplb')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def closed_peer_port():
    """A loopback port nothing listens on, within MetalLB's peerPort range (1-16384)."""
    import random
    for _ in range(100):
        port = random.randint(10000, 16384)
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise AssertionError('no free port in 10000-16384')


def node_assigned(kube):
    items = kube.control('GET', '/objects?apiVersion=events.k8s.io/v1&kind=Event&namespace=demo')['items']
    return [e for e in items if e.get('reason') == 'nodeAssigned']


def test_the_speaker_announces_and_says_so_once(kube, tmp_path):
    kube.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'metallb-system'}})
    kube.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'demo'}})
    kube.kubectl('apply', '-f', QUICKSTART, '--validate=false')
    kube.control('POST', '/objects', {
        'apiVersion': 'metallb.io/v1beta2', 'kind': 'BGPPeer', 'metadata': {'name': 'tor', 'namespace': 'metallb-system'},
        'spec': {'myASN': 64512, 'peerASN': 64500, 'peerAddress': '127.0.0.1', 'peerPort': closed_peer_port()}})
    svc = next(s for s in kube.control('GET', '/objects?apiVersion=v1&kind=Service&namespace=demo')['items']
               if s['metadata']['name'] == 'web-cluster')
    svc['status'] = {'loadBalancer': {'ingress': [{'ip': '198.51.100.1'}]}}  # the controller's, say
    kube.control('POST', '/objects', svc)
    kube.control('DELETE', '/requests')
    uri = 'kubernetes:?kubeconfig=' + urllib.parse.quote(kube.kubeconfig, safe='/')
    log = open(tmp_path / 'bgplb.log', 'w')
    proc = subprocess.Popen([BGPLB, 'run', '--datastore', uri, '--controller', 'off', '--node', 'node1',
                             '--metrics-address', '127.0.0.1:%d' % free_port(), '--api-address', '',
                             '--shutdown-drain', '0', '--dataplane', 'off'], stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 20
        while not node_assigned(kube):
            assert proc.poll() is None, open(tmp_path / 'bgplb.log').read()
            assert time.monotonic() < deadline, 'no nodeAssigned Event; log:\n' + open(tmp_path / 'bgplb.log').read()
            time.sleep(0.2)
        # A change that does not start an announcement posts nothing more.
        kube.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'other'}})
        time.sleep(1.5)
    finally:
        proc.terminate()
        proc.wait(15)
    events = node_assigned(kube)
    assert len(events) == 1, events
    e = events[0]
    assert e['regarding']['name'] == 'web-cluster' and e['regarding']['uid'] == svc['metadata']['uid']
    assert (e['type'], e['note']) == ('Normal', 'announcing from node "node1" with protocol "bgp"')
    assert (e['reportingController'], e['reportingInstance']) == ('bgplb.io/speaker', 'node1')
    writes = [(r['method'], r['path']) for r in kube.requests()['items'] if r['method'] != 'GET']
    assert writes == [('POST', '/apis/events.k8s.io/v1/namespaces/demo/events')], writes
