"""The Kubernetes datastore writing through the API server fixture: the Lease race and
failover, a leader that cannot renew stops writing before anyone else may start, the
controller's state written (status, annotations, holds ConfigMap, pool status, Events),
moves released before claimed, 409 answered by re-reading, and a restart that reads back
every address."""
import json
import os
import signal
import time

from objects import as_list, pool, service, uri
from probe import change

# Short Lease timings keep the suite quick; BGPLB_KUBE_LEASE_DEFAULTS=1 runs client-go's.
if os.environ.get('BGPLB_KUBE_LEASE_DEFAULTS') == '1':
    LEASE = {}
    DURATION, RENEW, RETRY = 15, 10, 2
else:
    LEASE = {'lease_duration': 6, 'renew_deadline': 4, 'retry_period': 1}
    DURATION, RENEW, RETRY = 6, 4, 1

LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/bgplb-controller'


def leading(line):
    return line.get('event') == 'leader' and line['leading']


def lost(line):
    return line.get('event') == 'leader' and not line['leading']


def controller(probe, kube, identity, *extra):
    p = probe(uri(kube.kubeconfig, identity=identity, **LEASE), '--controller', '--campaign', *extra, name=identity)
    return p


def state_files(tmp, name, revision, entries, holds, services, pools):
    ledger = {'format': 'bgplb-ledger', 'version': 1, 'revision': revision,
              'allocations': [{'namespace': ns, 'name': n, 'ips': ips, 'pool': p, 'since': since}
                              for ns, n, ips, p, since in entries],
              'holds': [{'ip': ip, 'namespace': ns, 'name': n, 'pool': p, 'released_at': at}
                        for ip, ns, n, p, at in holds]}
    status = {'revision': revision,
              'services': [{'namespace': ns, 'name': n, 'ingress': ips, 'pool': p,
                            'events': [{'type': t, 'reason': r, 'message': m} for t, r, m in events]}
                           for ns, n, ips, p, events in services],
              'pools': [dict(name=p, assigned_ipv4=a, available_ipv4=v, assigned_ipv6=0, available_ipv6=0, stranded=0)
                        for p, a, v in pools],
              'errors': []}
    lp, sp = tmp / (name + '-ledger.json'), tmp / (name + '-status.json')
    lp.write_text(json.dumps(ledger))
    sp.write_text(json.dumps(status))
    return '%s %s' % (lp, sp), ledger


def wait_for(what, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError('condition not met within %ss' % timeout)
        time.sleep(0.1)


def ingress(admin, ns, name):
    _, _, svc = admin.call('GET', '/api/v1/namespaces/%s/services/%s' % (ns, name))
    return [i.get('ip') for i in (svc.get('status', {}).get('loadBalancer', {}).get('ingress') or [])]


def holder(admin):
    status, _, lease = admin.call('GET', LEASE_PATH)
    return lease['spec'].get('holderIdentity') if status == 200 else None


def test_two_candidates_one_leader_and_failover(kube, admin, probe):
    a = controller(probe, kube, 'cand-a')
    b = controller(probe, kube, 'cand-b')
    first = wait_for(lambda: [p for p in (a, b) if p.events('leader')], timeout=DURATION + 10)
    assert len(first) == 1, 'both lead'
    lead, other = (a, b) if first[0] is a else (b, a)
    name = 'cand-a' if lead is a else 'cand-b'
    time.sleep(DURATION + RETRY)
    assert other.events('leader') == [], 'the standby never leads while the leader renews'
    assert holder(admin) == name
    _, _, lease = admin.call('GET', LEASE_PATH)
    transitions = lease['spec'].get('leaseTransitions', 0)
    # The leader dies without giving the Lease up.
    killed = time.monotonic()
    lead.kill()
    line = other.wait(leading, timeout=DURATION + 2 * RETRY + 5)
    took = line['at'] - killed
    print('failover after %.1f s (lease duration %d s, retry period %d s)' % (took, DURATION, RETRY))
    assert took <= DURATION + 2 * RETRY + 1
    _, _, lease = admin.call('GET', LEASE_PATH)
    assert lease['spec']['holderIdentity'] != name
    assert lease['spec']['leaseTransitions'] == transitions + 1


def test_graceful_stop_hands_over_within_a_retry_period(kube, admin, probe):
    a = controller(probe, kube, 'cand-a')
    a.wait(leading, timeout=DURATION + 5)
    b = controller(probe, kube, 'cand-b')
    time.sleep(RETRY * 2)
    stopped = time.monotonic()
    a.stop()
    line = b.wait(leading, timeout=DURATION + 5)
    assert line['at'] - stopped <= 2 * RETRY + 2, 'a released Lease is taken at once'


def test_leader_that_cannot_renew_stops_at_the_renew_deadline(kube, admin, probe, tmp_path):
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'a')]))
    a = controller(probe, kube, 'cand-a')
    a.wait(leading, timeout=DURATION + 5)
    b = controller(probe, kube, 'cand-b')
    time.sleep(RETRY * 2)
    # Every Lease write now fails: a cannot renew, b cannot take over.
    kube.control('POST', '/faults', {'status': 500, 'count': 100000, 'method': 'PUT', 'path': 'leases/bgplb-controller'})
    failing = time.monotonic()
    line = a.wait(lost, timeout=RENEW + RETRY + 5)
    assert line['at'] - failing <= RENEW + RETRY + 1, 'leadership ends at the renew deadline'
    cmd, _ = state_files(tmp_path, 's', 1, [('default', 'a', ['192.0.2.1'], 'p', 1)], [],
                         [('default', 'a', ['192.0.2.1'], 'p', [])], [])
    a.send('write ' + cmd)
    w = a.wait(lambda l: l.get('event') == 'written')
    assert w['errors'] and 'does not hold the Lease' in w['errors'][0]
    assert b.events('leader') == []
    kube.control('DELETE', '/faults')
    # The record never changed hands: a renews it again before b may take it.
    a.wait(leading, since=a.mark() - 1, timeout=2 * RETRY + 5)
    assert holder(admin) == 'cand-a' and b.events('leader') == []
    assert ingress(admin, 'default', 'a') == []


def test_a_stalled_leader_does_not_write_after_it_resumes(kube, admin, probe, tmp_path):
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'a')]))
    a = controller(probe, kube, 'cand-a')
    a.wait(leading, timeout=DURATION + 5)
    b = controller(probe, kube, 'cand-b')
    b.wait(change)
    a.proc.send_signal(signal.SIGSTOP)  # a stalls: no renewal, no report
    stalled = time.monotonic()
    took = b.wait(leading, timeout=DURATION + 3 * RETRY + 5)['at'] - stalled
    assert DURATION - RETRY <= took <= DURATION + 2 * RETRY + 1, took
    m = a.mark()
    a.proc.send_signal(signal.SIGCONT)
    a.wait(lost, since=m, timeout=5)
    cmd, _ = state_files(tmp_path, 's', 1, [('default', 'a', ['192.0.2.1'], 'p', 1)], [],
                         [('default', 'a', ['192.0.2.1'], 'p', [])], [])
    a.send('write ' + cmd)
    w = a.wait(lambda l: l.get('event') == 'written', since=m)
    assert w['errors'] and 'does not hold the Lease' in w['errors'][0]
    time.sleep(RETRY)
    assert holder(admin) == 'cand-b'
    assert ingress(admin, 'default', 'a') == []


def test_controller_state_is_written_and_read_back_after_a_restart(kube, admin, probe, tmp_path):
    kube.control('POST', '/objects', as_list([
        pool('p', '192.0.2.0/24'),
        service('default', 'a', ['192.0.2.10']),  # MetalLB's, before the migration
        service('default', 'b'), service('default', 'c'), service('default', 'other', ['192.0.2.99'], cls='x')]))
    p = controller(probe, kube, 'first')
    p.wait(leading, timeout=DURATION + 5)
    p.wait(change)
    cmd, ledger = state_files(
        tmp_path, 'one', 4,
        [('default', 'a', ['192.0.2.10'], 'p', 100), ('default', 'b', ['192.0.2.11'], 'p', 200)],
        [('192.0.2.50', 'default', 'gone', 'p', 150)],
        [('default', 'a', ['192.0.2.10'], 'p', []),
         ('default', 'b', ['192.0.2.11'], 'p', [('Normal', 'IPAllocated', 'Assigned IP ["192.0.2.11"]')]),
         ('default', 'c', [], '', [('Warning', 'AllocationFailed', 'Failed to allocate IP for "default/c": no available IPs')])],
        [('p', 2, 254)])
    p.send('write ' + cmd)
    assert p.wait(lambda l: l.get('event') == 'written')['errors'] == []
    wait_for(lambda: ingress(admin, 'default', 'b') == ['192.0.2.11'])
    # The annotations follow the status (a separate patch of the main resource).
    b = wait_for(lambda: (lambda s: s if s['metadata'].get('annotations') else None)(
        admin.call('GET', '/api/v1/namespaces/default/services/b')[2]))
    assert b['metadata']['annotations'] == {'metallb.io/ip-allocated-from-pool': 'p', 'bgplb.io/allocated-since': '200'}
    wait_for(lambda: admin.call('GET', '/api/v1/namespaces/default/services/a')[2]['metadata'].get('annotations'))
    assert ingress(admin, 'default', 'a') == ['192.0.2.10']
    assert ingress(admin, 'default', 'c') == []
    assert ingress(admin, 'default', 'other') == ['192.0.2.99'], 'another class is not ours'
    wait_for(lambda: admin.call('GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p')[2]
             .get('status', {}).get('assignedIPv4') == 2)
    events = wait_for(lambda: (lambda es: es if len(es) == 2 else None)(
        [e for e in admin.call('GET', '/apis/events.k8s.io/v1/namespaces/default/events')[2]['items']
         if e['regarding']['name'] in ('b', 'c')]))
    reasons = sorted((e['regarding']['name'], e['reason'], e['type']) for e in events)
    assert reasons == [('b', 'IPAllocated', 'Normal'), ('c', 'AllocationFailed', 'Warning')]
    assert all(e['reportingController'] == 'bgplb.io/controller' and e['regarding']['uid'] for e in events)
    status_patches = [r for r in kube.requests()['items'] if r['method'] == 'PATCH' and r['path'].endswith('/status')]
    assert not any(r['path'].endswith('/services/a/status') for r in status_patches), 'a was right already'
    # The holds ConfigMap.
    status, _, cm = admin.call('GET', '/api/v1/namespaces/metallb-system/configmaps/bgplb-ledger')
    assert status == 200 and '192.0.2.50' in cm['data']['ledger.json']

    # Restart: the next controller reads every address back before it allocates.
    p.stop()
    q = controller(probe, kube, 'second')
    q.wait(leading, timeout=2 * RETRY + 5)
    q.send('read-ledger')
    got = q.wait(lambda l: l.get('event') == 'ledger')
    assert got['errors'] == []
    assert got['ledger'] == ledger


def test_a_move_releases_before_it_claims(kube, admin, probe, tmp_path):
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'a'), service('default', 'b')]))
    p = controller(probe, kube, 'only')
    p.wait(leading, timeout=DURATION + 5)
    p.wait(change)
    one, _ = state_files(tmp_path, 'one', 1,
                         [('default', 'a', ['192.0.2.10'], 'p', 1), ('default', 'b', ['192.0.2.11'], 'p', 1)], [],
                         [('default', 'a', ['192.0.2.10'], 'p', []), ('default', 'b', ['192.0.2.11'], 'p', [])], [])
    p.send('write ' + one)
    # The datastore has seen both statuses: the next plan starts from them.
    p.wait(lambda l: change(l) and l['assignments'] and len(l['assignments']) == 2)
    kube.control('DELETE', '/requests')
    two, _ = state_files(tmp_path, 'two', 2,
                         [('default', 'a', ['192.0.2.11'], 'p', 2), ('default', 'b', ['192.0.2.10'], 'p', 2)], [],
                         [('default', 'a', ['192.0.2.11'], 'p', []), ('default', 'b', ['192.0.2.10'], 'p', [])], [])
    p.send('write ' + two)
    wait_for(lambda: ingress(admin, 'default', 'a') == ['192.0.2.11'] and ingress(admin, 'default', 'b') == ['192.0.2.10'])
    # Replay the status writes: no address is ever held by both Services.
    held = {'a': ['192.0.2.10'], 'b': ['192.0.2.11']}
    for r in kube.requests()['items']:
        if r['method'] != 'PATCH' or not r['path'].endswith('/status') or r['status'] != 200:
            continue
        name = r['path'].split('/')[-2]
        held[name] = [i['ip'] for i in (r['body']['status']['loadBalancer']['ingress'] or [])]
        assert not set(held['a']) & set(held['b']), held


def test_conflict_is_answered_by_rereading(kube, admin, probe, tmp_path):
    kube.control('POST', '/objects', as_list([pool('p', '192.0.2.0/24'), service('default', 'b')]))
    p = controller(probe, kube, 'only')
    p.wait(leading, timeout=DURATION + 5)
    p.wait(change)
    kube.control('DELETE', '/requests')
    kube.control('POST', '/faults', {'status': 409, 'count': 1, 'method': 'PATCH', 'path': '/services/b/status$'})
    cmd, _ = state_files(tmp_path, 's', 1, [('default', 'b', ['192.0.2.11'], 'p', 1)], [],
                         [('default', 'b', ['192.0.2.11'], 'p', [])], [])
    p.send('write ' + cmd)
    wait_for(lambda: ingress(admin, 'default', 'b') == ['192.0.2.11'])
    seq = [(r['method'], r['path'].split('/default/')[-1], r['status']) for r in kube.requests()['items']
           if '/services/b' in r['path'] and r['user_agent'] == 'bgplb']  # not the test's own GETs
    assert seq[:3] == [('PATCH', 'services/b/status', 409), ('GET', 'services/b', 200),
                       ('PATCH', 'services/b/status', 200)], seq
    # Every write carried the resourceVersion it was planned against.
    for r in kube.requests()['items']:
        if r['method'] == 'PATCH' and '/services/' in r['path']:
            assert r['body']['metadata']['resourceVersion'], r


def test_no_writes_without_the_lease_or_as_a_speaker(kube, probe, tmp_path):
    kube.control('POST', '/objects', as_list([service('default', 'a')]))
    c = probe(uri(kube.kubeconfig), '--controller')
    c.wait(change)
    cmd, _ = state_files(tmp_path, 's', 1, [('default', 'a', ['192.0.2.1'], 'p', 1)], [],
                         [('default', 'a', ['192.0.2.1'], 'p', [])], [])
    c.send('write ' + cmd)
    w = c.wait(lambda l: l.get('event') == 'written')
    assert w['errors'] == ['not writing: this controller does not hold the Lease metallb-system/bgplb-controller']
    s = probe(uri(kube.kubeconfig), '--node', 'n1')
    s.wait(change)
    s.send('write ' + cmd)
    assert s.wait(lambda l: l.get('event') == 'written')['errors'] == ['no writer or unreadable state files']
    time.sleep(0.5)
    assert all(r['method'] == 'GET' for r in kube.requests()['items']), 'nothing but reads'


def test_the_speaker_posts_its_own_events_and_nothing_else(kube, admin, probe):
    kube.control('POST', '/objects', as_list([service('default', 'a', ['192.0.2.1'])]))
    s = probe(uri(kube.kubeconfig), '--node', 'n1')
    s.wait(change)
    kube.control('DELETE', '/requests')
    s.send('event default a Normal nodeAssigned announcing from node "n1" with protocol "bgp"')
    events = wait_for(lambda: admin.call('GET', '/apis/events.k8s.io/v1/namespaces/default/events')[2]['items'])
    assert len(events) == 1
    e = events[0]
    assert (e['reason'], e['type'], e['note']) == ('nodeAssigned', 'Normal', 'announcing from node "n1" with protocol "bgp"')
    assert (e['reportingController'], e['reportingInstance'], e['action']) == ('bgplb.io/speaker', 'n1', 'Announce')
    svc = admin.call('GET', '/api/v1/namespaces/default/services/a')[2]
    assert e['regarding'] == {'apiVersion': 'v1', 'kind': 'Service', 'namespace': 'default', 'name': 'a',
                              'uid': svc['metadata']['uid']}
    time.sleep(0.5)
    writes = [(r['method'], r['path']) for r in kube.requests()['items'] if r['method'] != 'GET']
    assert writes == [('POST', '/apis/events.k8s.io/v1/namespaces/default/events')], writes
