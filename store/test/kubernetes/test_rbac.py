"""deploy/rbac.yaml against the requests the processes really make: the RBAC objects are
stored in the fixture as written, the controller and the speaker run (kube_probe) as their
service accounts through every request sequence they have (list/watch, the Lease race and
release, Service status and annotations, the holds ConfigMap created then replaced, pool
status, Events (the controller's and the speaker's own), a 409 re-read, the ledger read back), and the test fails on any 403 and on
any rule no request used (least privilege)."""
import os
import time

import yaml

from objects import as_list, node, pool, service, uri
from probe import change
from test_write import LEASE, leading, state_files, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SA = 'system:serviceaccount:metallb-system:'
READS = ('get', 'list', 'watch')
# Rules granted for requests the code does not make yet, with the reason.
NOT_YET_USED = {}


def rbac_objects():
    with open(os.path.join(ROOT, 'deploy', 'rbac.yaml')) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def account(kube, name):
    return kube.control('POST', '/users', {'name': SA + name, 'groups': ['system:serviceaccounts']})


def attributes(r):
    """(verb, group, resource[/sub], namespace, name) of a logged request, as the authorizer
    sees it (test/kube/apiserver/handler.py)."""
    parts = [p for p in r['path'].split('/') if p]
    group, rest = ('', parts[2:]) if parts[0] == 'api' else (parts[1], parts[3:])
    ns = ''
    if len(rest) >= 3 and rest[0] == 'namespaces':
        ns, rest = rest[1], rest[2:]
    resource = rest[0] + ('/' + rest[2] if len(rest) > 2 else '')
    name = rest[1] if len(rest) > 1 else ''
    watch = r.get('watch') or r['query'].get('watch') in ('true', '1')
    verb = {'GET': 'watch' if watch else ('get' if name else 'list'), 'POST': 'create', 'PUT': 'update',
            'PATCH': 'patch', 'DELETE': 'delete'}[r['method']]
    return verb, group, resource, ns, name


def sent(kube, method, path_end, count=1):
    """At least `count` answered requests of that method to a path ending so."""
    return len([r for r in kube.requests()['items'] if r['method'] == method and r['path'].endswith(path_end)]) >= count


def rules_of(objects, account_name):
    """(role kind, namespace, rule) of every rule bound to the account."""
    roles = {(o['kind'], o['metadata'].get('namespace', ''), o['metadata']['name']): o
             for o in objects if o['kind'] in ('ClusterRole', 'Role')}
    out = []
    for b in objects:
        if b['kind'] not in ('ClusterRoleBinding', 'RoleBinding'):
            continue
        if not any(s['kind'] == 'ServiceAccount' and s['name'] == account_name for s in b['subjects']):
            continue
        ref = b['roleRef']
        ns = b['metadata'].get('namespace', '') if ref['kind'] == 'Role' else ''
        role = roles[(ref['kind'], ns, ref['name'])]
        out += [(ref['kind'], ns, rule) for rule in role['rules']]
    return out


def allows(kind_ns_rule, verb, group, resource, ns, name):
    _kind, role_ns, rule = kind_ns_rule
    return (verb in rule['verbs'] and group in rule['apiGroups'] and resource in rule['resources']
            and (not role_ns or ns == role_ns) and (not rule.get('resourceNames') or name in rule['resourceNames']))


def test_controller_and_speaker_need_exactly_deploy_rbac(kube, probe, tmp_path):
    objects = rbac_objects()
    kube.control('POST', '/objects', as_list(objects))
    kube.control('POST', '/objects', as_list([
        pool('p', '192.0.2.0/24'), node('n1'), service('default', 'a'), service('default', 'b')]))
    accounts = {n: account(kube, n) for n in ('bgplb-controller', 'bgplb-speaker')}
    kube.control('DELETE', '/requests')

    # The speaker: every kind listed and watched (its own Node only), and nothing else.
    s = probe(uri(accounts['bgplb-speaker']['kubeconfig']), '--node', 'n1', name='speaker')
    s.wait(change)
    s.send('event default a Normal nodeAssigned announcing from node "n1" with protocol "bgp"')  # its own Event
    wait_for(lambda: sent(kube, 'POST', '/events'))

    # The controller: campaign (Lease created), allocate, re-plan, read back, hand over.
    c = probe(uri(accounts['bgplb-controller']['kubeconfig'], identity='c1', **LEASE), '--controller', '--campaign',
              name='controller')
    c.wait(leading, timeout=15)
    c.wait(change)
    first, _ = state_files(tmp_path, 'one', 1, [('default', 'a', ['192.0.2.10'], 'p', 1)],
                           [('192.0.2.50', 'default', 'gone', 'p', 1)],
                           [('default', 'a', ['192.0.2.10'], 'p', [('Normal', 'IPAllocated', 'Assigned IP')])],
                           [('p', 1, 255)])
    c.send('write ' + first)  # the holds ConfigMap is created
    assert c.wait(lambda l: l.get('event') == 'written')['errors'] == []
    c.wait(lambda l: change(l) and l['assignments'] == {'default/a': ['192.0.2.10']})
    wait_for(lambda: sent(kube, 'POST', '/events', 2))  # the writer's last phase (after the speaker's)
    kube.control('POST', '/faults', {'status': 409, 'count': 1, 'method': 'PATCH', 'path': '/services/b/status$'})
    second, _ = state_files(tmp_path, 'two', 2,
                            [('default', 'a', ['192.0.2.10'], 'p', 1), ('default', 'b', ['192.0.2.11'], 'p', 2)], [],
                            [('default', 'a', ['192.0.2.10'], 'p', []), ('default', 'b', ['192.0.2.11'], 'p', [])],
                            [('p', 2, 254)])
    m = c.mark()
    c.send('write ' + second)  # the ConfigMap replaced; b's status conflicts once and is re-read
    assert c.wait(lambda l: l.get('event') == 'written', since=m)['errors'] == []
    wait_for(lambda: sent(kube, 'PUT', '/configmaps/bgplb-ledger') and sent(kube, 'PATCH', '/ipaddresspools/p/status', 2))
    c.send('read-ledger')
    assert c.wait(lambda l: l.get('event') == 'ledger')['errors'] == []
    c.stop()  # gives the Lease up
    s.stop()
    time.sleep(0.3)

    log = kube.requests()['items']
    for name in accounts:
        mine = [r for r in log if r['user'] == SA + name]
        assert mine, 'no requests as ' + name
        denied = [(r['method'], r['path'], r['query']) for r in mine if r['status'] == 403]
        assert denied == [], '%s was refused: %s' % (name, denied)
        rules = rules_of(objects, name)
        used = set()
        for r in mine:
            attrs = attributes(r)
            for i, rule in enumerate(rules):
                if allows(rule, *attrs):
                    used.add((i, attrs[0]))
        unused = []
        for i, (_k, _ns, rule) in enumerate(rules):
            verbs = [v for v in rule['verbs'] if v not in READS]
            if len(verbs) < len(rule['verbs']) and not any((i, v) in used for v in READS):
                unused.append((rule['apiGroups'], rule['resources'], 'reads'))
            for v in verbs:
                planned = any((name, g, res, v) in NOT_YET_USED for g in rule['apiGroups'] for res in rule['resources'])
                if (i, v) not in used and not planned:
                    unused.append((rule['apiGroups'], rule['resources'], v))
        assert unused == [], '%s is granted what it never asks for: %s' % (name, unused)

    # The sequences above did happen (so the check covered them).
    done = {(attributes(r)[0], attributes(r)[2], attributes(r)[4]) for r in log if r['user'] == SA + 'bgplb-controller'}
    for want in [('create', 'configmaps', ''), ('update', 'configmaps', 'bgplb-ledger'), ('get', 'configmaps', 'bgplb-ledger'),
                 ('create', 'leases', ''), ('update', 'leases', 'bgplb-controller'), ('get', 'services', 'b'),
                 ('patch', 'services/status', 'b'), ('patch', 'services', 'a'), ('patch', 'ipaddresspools/status', 'p'),
                 ('create', 'events', '')]:
        assert want in done, (want, sorted(done))


def test_the_controller_is_refused_what_it_does_not_need(kube):
    kube.control('POST', '/objects', as_list(rbac_objects()))
    ctl = account(kube, 'bgplb-controller')
    from conftest import Client
    c = Client(kube, ctl)
    cm = '/api/v1/namespaces/metallb-system/configmaps'
    assert c.call('GET', cm + '/bgplb-ledger')[0] == 404, 'its own ConfigMap: allowed (and absent)'
    assert c.call('GET', cm + '/kube-root-ca.crt')[0] == 403, 'another ConfigMap'
    assert c.call('GET', cm)[0] == 403, 'listing ConfigMaps'
    assert c.call('DELETE', cm + '/bgplb-ledger')[0] == 403, 'deleting its ConfigMap'
    assert c.call('PUT', '/api/v1/namespaces/default/configmaps/bgplb-ledger', {})[0] == 403, 'outside metallb-system'
