#!/usr/bin/env python3
"""Cold start of the Kubernetes datastore (on demand, not in `meson test`): N Services of
type LoadBalancer with an ingress address each and N EndpointSlices, listed and decoded
by kube_probe through the API server fixture (test/kube), timed to the first update.

  python3 store/test/kubernetes/cold_start.py --probe build/store/test/kubernetes/kube_probe \
      [--services 10000] [--page-size 500]

The fixture runs in this process and its storage is filled directly (Fixture.store_directly:
its create path, which once copied every Service to allocate cluster IPs and node ports,
made seeding 10,000 of them through the API take hours; listing and watching go through
the API as usual).
Prints wall time to the first update, the probe's own CPU time and its peak RSS. The
fixture, in Python, deep-copies every object of a resource for each LIST page: wall time
is mostly the fixture's; the probe's CPU time is the datastore's cost."""
import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'kube'))
sys.path.insert(0, HERE)
from apiserver.fixture import Fixture  # noqa: E402
from apiserver.rest import key_of  # noqa: E402  (the changes below)
from kube_apiserver import load_documents  # noqa: E402
from objects import namespace, pool, service, uri  # noqa: E402
from probe import Probe, change  # noqa: E402


def slice_of(i):
    return {'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
            'metadata': {'name': 'svc-%05d-abc' % i, 'namespace': 'ns-%d' % (i % 10),
                         'labels': {'kubernetes.io/service-name': 'svc-%05d' % i}},
            'addressType': 'IPv4',
            'endpoints': [{'addresses': ['10.244.%d.%d' % ((i >> 8) & 255, i & 255)], 'nodeName': 'n1',
                           'conditions': {'ready': True}}],
            'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}]}


def service_of(i):
    o = service('ns-%d' % (i % 10), 'svc-%05d' % i, ['10.%d.%d.%d' % (i >> 16, (i >> 8) & 255, i & 255)])
    ip = '10.%d.%d.%d' % (96 + (i >> 16), (i >> 8) & 255, i & 255)
    o['spec'].update({'clusterIP': ip, 'clusterIPs': [ip], 'ipFamilies': ['IPv4'], 'ipFamilyPolicy': 'SingleStack',
                      'allocateLoadBalancerNodePorts': False, 'externalTrafficPolicy': 'Cluster',
                      'sessionAffinity': 'None', 'internalTrafficPolicy': 'Cluster'})
    o['metadata']['uid'] = 'uid-%d' % i
    o['metadata']['creationTimestamp'] = '2026-01-01T00:00:00Z'
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--probe', required=True)
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--page-size', type=int, default=500)
    ap.add_argument('--changes', type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fx = Fixture(os.path.join(tmp, 'state'))
        fx.install(load_documents([os.path.join(ROOT, 'deploy', 'crds')]))
        fx.write_ready({})
        fx.install([namespace('metallb-system'), pool('p', '10.0.0.0/8')] + [namespace('ns-%d' % i) for i in range(10)])
        t = time.monotonic()
        fx.store_directly(service_of(i) for i in range(a.services))
        fx.store_directly(slice_of(i) for i in range(a.services))
        print('filled %d Services and %d EndpointSlices in %.1f s' % (a.services, a.services, time.monotonic() - t))
        t0 = time.monotonic()
        p = Probe(a.probe, uri(fx.admin['kubeconfig'], page_size=a.page_size), ['--node', 'n1', '--count-assignments'], log_dir=tmp)
        first = p.wait(change, timeout=3600)
        wall = time.monotonic() - t0
        assert first['assignments'] == a.services
        print('cold start: %d Services + %d EndpointSlices, page size %d: first update after %.2f s wall; '
              'probe CPU %.2f s; RSS %.1f MiB, peak %.1f MiB, heap in use %.1f MiB' %
              (a.services, a.services, a.page_size, wall, first['cpu_ms'] / 1000, first['rss_kb'] / 1024,
               first['peak_rss_kb'] / 1024, first['heap_kb'] / 1024))
        # Then single changes: one Service's status at a time, straight into storage (the
        # watch event is the API's), timed from the write to the probe's update.
        rt = fx.state.registry.by_kind('', 'v1', 'Service')
        lat, cpu = [], []
        for k in range(a.changes):
            i = (k * 7919) % a.services
            key = key_of(rt, 'ns-%d' % (i % 10), 'svc-%05d' % i)
            with fx.state.storage.lock:
                obj = fx.state.storage.get(key)
                obj['status'] = {'loadBalancer': {'ingress': [{'ip': '172.16.%d.%d' % (k >> 8, k & 255)}]}}
                m = p.mark()
                before = p.events('change')[-1]['cpu_ms']
                t = time.monotonic()
                fx.state.storage.update(key, obj)
            line = p.wait(change, since=m, timeout=60)
            lat.append(line['at'] - t)
            cpu.append(line['cpu_ms'] - before)
        if lat:
            lat.sort()
            print('one Service changed, %d times: update after median %.1f ms (max %.1f ms, coalescing quiet %d ms '
                  'included); probe CPU per change median %d ms' %
                  (len(lat), 1000 * lat[len(lat) // 2], 1000 * lat[-1], 5, sorted(cpu)[len(cpu) // 2]))
        p.stop()
        fx.stop()


if __name__ == '__main__':
    main()
