"""The official Python client (Debian's python3-kubernetes) against the fixture: paginated
lists, a watch with bookmarks resumed from the last resourceVersion after the stream is
cut, the status subresource, and the reflector's answer to 410 Gone (list again, watch
from the new list). The client was written by others; it decodes every response into
typed models, so a malformed field would fail here."""
import datetime

import urllib3

import pytest

kubernetes = pytest.importorskip('kubernetes', reason='python3-kubernetes is not installed')
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

NS = 'py'


@pytest.fixture(scope='module')
def core(kube):
    api_client = config.new_client_from_config(config_file=kube.kubeconfig)
    v1 = client.CoreV1Api(api_client)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    return v1


def make(v1, name, labels=None):
    return v1.create_namespaced_service(NS, client.V1Service(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1ServiceSpec(type='LoadBalancer', ports=[client.V1ServicePort(port=80)])))


def test_paginated_list(core):
    for i in range(25):
        make(core, 'p-%02d' % i, {'set': 'page'})
    names, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_service(NS, limit=10, _continue=token, label_selector='set=page')
        names += [s.metadata.name for s in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    assert pages == 3 and names == ['p-%02d' % i for i in range(25)]


def test_watch_bookmarks_and_resume(kube, core):
    kube.control('POST', '/config', {'bookmarkIntervalSeconds': 0.3})
    lst = core.list_namespaced_service(NS)
    rv = lst.metadata.resource_version
    make(core, 'w-1')
    w = watch.Watch()
    seen = []
    for ev in w.stream(core.list_namespaced_service, NS, resource_version=rv,
                       allow_watch_bookmarks=True, timeout_seconds=5):
        seen.append((ev['type'], ev['raw_object']['metadata'].get('name')))
        if ev['type'] == 'BOOKMARK':
            w.stop()
    assert seen[0] == ('ADDED', 'w-1') and seen[-1][0] == 'BOOKMARK'
    resume = w.resource_version
    assert int(resume) >= int(rv)
    # the stream is cut after one event; the application resumes from the last
    # resourceVersion the client saw and loses nothing
    make(core, 'w-2')
    got = []
    resumes = 0
    while 'w-3' not in got and resumes < 3:
        w = watch.Watch()
        try:
            for ev in w.stream(core.list_namespaced_service, NS, resource_version=resume, timeout_seconds=5):
                got.append(ev['object'].metadata.name)
                resume = w.resource_version
                if got == ['w-2']:
                    kube.control('POST', '/drop-watches', {'afterEvents': 0})
                    make(core, 'w-3')
                if 'w-3' in got:
                    w.stop()
        except urllib3.exceptions.ProtocolError:
            resumes += 1
    assert got == ['w-2', 'w-3'] and resumes == 1
    kube.control('POST', '/config', {'bookmarkIntervalSeconds': 60})


def test_patch_status(core):
    make(core, 'st')
    out = core.patch_namespaced_service_status('st', NS, {'status': {'loadBalancer': {'ingress': [{'ip': '198.51.100.9'}]}}})
    assert out.status.load_balancer.ingress[0].ip == '198.51.100.9'
    assert core.read_namespaced_service('st', NS).status.load_balancer.ingress[0].ip == '198.51.100.9'


def test_gone_means_list_again(kube, core):
    lst = core.list_namespaced_service(NS)
    old_rv = lst.metadata.resource_version
    make(core, 'g-1')
    kube.control('POST', '/compact', {})
    relisted = False
    w = watch.Watch()
    try:
        for _ev in w.stream(core.list_namespaced_service, NS, resource_version=old_rv, timeout_seconds=5):
            pass
    except ApiException as e:
        assert e.status == 410
        relisted = True
    if not relisted:
        # clients that do not raise see an ERROR event carrying the Status
        ev = next(w.stream(core.list_namespaced_service, NS, resource_version=old_rv, timeout_seconds=5))
        assert ev['type'] == 'ERROR' and ev['raw_object']['code'] == 410
    fresh = core.list_namespaced_service(NS)
    assert 'g-1' in [s.metadata.name for s in fresh.items]
    w = watch.Watch()
    make(core, 'g-2')
    for ev in w.stream(core.list_namespaced_service, NS, resource_version=fresh.metadata.resource_version,
                       timeout_seconds=5):
        assert ev['object'].metadata.name == 'g-2'
        w.stop()


def test_lease_and_conflict(kube):
    api_client = config.new_client_from_config(config_file=kube.kubeconfig)
    leases = client.CoordinationV1Api(api_client)
    now = datetime.datetime.now(datetime.timezone.utc)
    lease = leases.create_namespaced_lease(NS, client.V1Lease(
        metadata=client.V1ObjectMeta(name='bgplb-controller'),
        spec=client.V1LeaseSpec(holder_identity='a', lease_duration_seconds=15, acquire_time=now,
                                renew_time=now, lease_transitions=0)))
    assert lease.spec.renew_time.tzinfo is not None
    lease.spec.holder_identity = 'b'
    leases.replace_namespaced_lease('bgplb-controller', NS, lease)
    lease.spec.holder_identity = 'c'      # stale resourceVersion now
    with pytest.raises(ApiException) as e:
        leases.replace_namespaced_lease('bgplb-controller', NS, lease)
    assert e.value.status == 409
    events = client.EventsV1Api(api_client)
    ev = events.create_namespaced_event(NS, client.EventsV1Event(
        metadata=client.V1ObjectMeta(generate_name='st.'), event_time=now,
        reporting_controller='bgplb.io/controller', reporting_instance='c-1', action='Allocate',
        reason='IPAllocated', type='Normal', note='Assigned IP',
        regarding=client.V1ObjectReference(kind='Service', namespace=NS, name='st')))
    assert ev.metadata.name.startswith('st.')
