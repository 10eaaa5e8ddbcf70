"""What the API server does to an object of a given kind before it stores it: defaults
(Service cluster IPs, node ports, policies; Namespace phase and label), the fields a write may
not change (status through the main resource, everything but status through /status),
metadata.generation, and the kind-specific validation the fixture checks (Service, Lease,
events.k8s.io Event, Namespace). Custom resources are validated against their schema in
rest.py."""
import copy
import ipaddress
import re

CLUSTER_CIDRS = {'IPv4': ipaddress.ip_network('10.96.0.0/12'),
                 'IPv6': ipaddress.ip_network('fd00:10:96::/112')}
NODE_PORTS = range(30000, 32768)

_DNS1123_SUBDOMAIN = re.compile(r'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
_DNS1123_LABEL = re.compile(r'[a-z0-9]([-a-z0-9]*[a-z0-9])?')
_DNS1035_LABEL = re.compile(r'[a-z]([-a-z0-9]*[a-z0-9])?')

# Kinds whose names are DNS-1123 labels (at most 63) or DNS-1035 labels; every other kind
# uses DNS-1123 subdomains (at most 253). RBAC roles accept path segment names (anything
# without "/" or "%"), checked loosely.
_LABEL_NAMES = {('', 'namespaces'): _DNS1123_LABEL, ('', 'services'): _DNS1035_LABEL}
_PATH_SEGMENT_NAMES = {'clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'}


def name_errors(rt, name):
    if rt.group == 'rbac.authorization.k8s.io' and rt.plural in _PATH_SEGMENT_NAMES:
        if name in ('.', '..') or '/' in name or '%' in name:
            return ['may not contain \'/\' or \'%\'']
        return []
    rx = _LABEL_NAMES.get((rt.group, rt.plural), _DNS1123_SUBDOMAIN)
    limit = 63 if rx is not _DNS1123_SUBDOMAIN else 253
    errs = []
    if len(name) > limit:
        errs.append('must be no more than %d characters' % limit)
    if not rx.fullmatch(name):
        if rx is _DNS1035_LABEL:
            errs.append("a DNS-1035 label must consist of lower case alphanumeric characters or "
                        "'-', start with an alphabetic character, and end with an alphanumeric "
                        "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                        "'[a-z]([-a-z0-9]*[a-z0-9])?')")
        elif rx is _DNS1123_LABEL:
            errs.append("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                        "characters or '-', and must start and end with an alphanumeric character "
                        "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        else:
            errs.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                        "characters, '-' or '.', and must start and end with an alphanumeric "
                        "character (e.g. 'example.com', regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errs


def spec_part(obj):
    """Everything generation tracks: the object without metadata and status."""
    return {k: v for k, v in obj.items() if k not in ('metadata', 'status', 'apiVersion', 'kind')}


# ---- create / update preparation ---------------------------------------------------------


def prepare_create(rt, obj, ctx):
    """Defaults and resets before a create. ctx.allocated(kind) gives what is in use."""
    if rt.has_status and rt.crd is not None:
        obj.pop('status', None)                    # status is written through /status only
    key = (rt.group, rt.plural)
    if key == ('', 'services'):
        obj['status'] = {'loadBalancer': {}}
        default_service(obj, None, ctx)
    elif key == ('', 'namespaces'):
        name = obj['metadata']['name']
        obj.setdefault('spec', {}).setdefault('finalizers', ['kubernetes'])
        obj['status'] = {'phase': 'Active'}
        obj['metadata'].setdefault('labels', {})['kubernetes.io/metadata.name'] = name
    elif key in (('apps', 'deployments'), ('apps', 'daemonsets')):
        obj['status'] = {}
    if rt.generation:
        obj['metadata']['generation'] = 1


def prepare_update(rt, new, old, subresource, ctx):
    """Carry over what the write may not change, then default."""
    if subresource == 'status':
        status = new.get('status')
        meta = new['metadata']
        new.clear()
        new.update(copy.deepcopy(old))
        new['metadata']['resourceVersion'] = meta.get('resourceVersion', '')
        if status is None:
            new.pop('status', None)
        else:
            new['status'] = status
    elif rt.has_status:
        if 'status' in old:
            new['status'] = copy.deepcopy(old['status'])
        else:
            new.pop('status', None)
    key = (rt.group, rt.plural)
    if key == ('', 'services') and subresource != 'status':
        default_service(new, old, ctx)
    elif key == ('', 'namespaces'):
        new['metadata'].setdefault('labels', {})['kubernetes.io/metadata.name'] = new['metadata']['name']
        new.setdefault('spec', {}).setdefault('finalizers', ['kubernetes'])
        if subresource != 'status':
            new['status'] = copy.deepcopy(old.get('status', {'phase': 'Active'}))
    if rt.generation:
        gen = old['metadata'].get('generation', 1)
        if spec_part(new) != spec_part(old):
            gen += 1
        new['metadata']['generation'] = gen


# ---- Service --------------------------------------------------------------------------


def _family(ip):
    return 'IPv6' if ':' in ip else 'IPv4'


def default_service(svc, old, ctx):
    spec = svc.setdefault('spec', {})
    ospec = (old or {}).get('spec', {})
    stype = spec.setdefault('type', 'ClusterIP')
    spec.setdefault('sessionAffinity', 'None')
    for p in spec.get('ports') or []:
        p.setdefault('protocol', 'TCP')
        if 'targetPort' not in p and 'port' in p:
            p['targetPort'] = p['port']
    if stype == 'ExternalName':
        return
    spec.setdefault('internalTrafficPolicy', 'Cluster')
    # Allocated values are kept when a write omits them (the registry's patchAllocatedValues).
    if old is not None:
        for f in ('clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'):
            if f not in spec and f in ospec:
                spec[f] = copy.deepcopy(ospec[f])
    _allocate_cluster_ips(spec, ctx)
    if stype in ('NodePort', 'LoadBalancer'):
        spec.setdefault('externalTrafficPolicy', 'Cluster')
        if stype == 'LoadBalancer':
            spec.setdefault('allocateLoadBalancerNodePorts', True)
        old_ports = {(p.get('port'), p.get('protocol', 'TCP')): p.get('nodePort')
                     for p in ospec.get('ports') or []}
        want = stype == 'NodePort' or spec.get('allocateLoadBalancerNodePorts', True)
        used = None                 # looked up when a port is allocated (it copies every Service)

        def free_port():
            nonlocal used
            if used is None:
                used = ctx.allocated_node_ports()
            port = next(n for n in NODE_PORTS if n not in used)
            used.add(port)
            return port
        for p in spec.get('ports') or []:
            if 'nodePort' not in p:
                prev = old_ports.get((p.get('port'), p.get('protocol')))
                if prev:
                    p['nodePort'] = prev
                elif want:
                    p['nodePort'] = free_port()
        if stype == 'LoadBalancer' and spec.get('externalTrafficPolicy') == 'Local':
            if 'healthCheckNodePort' not in spec:
                spec['healthCheckNodePort'] = ospec.get('healthCheckNodePort') or free_port()


def _allocate_cluster_ips(spec, ctx):
    if spec.get('clusterIP') == 'None' or spec.get('clusterIPs') == ['None']:
        spec['clusterIP'] = 'None'
        spec['clusterIPs'] = ['None']
        spec.setdefault('ipFamilies', ['IPv4'])
        spec.setdefault('ipFamilyPolicy', 'SingleStack')
        return
    ips = list(spec.get('clusterIPs') or ([spec['clusterIP']] if spec.get('clusterIP') else []))
    policy = spec.setdefault('ipFamilyPolicy', 'SingleStack')
    families = list(spec.get('ipFamilies') or [_family(ip) for ip in ips] or ['IPv4'])
    if policy != 'SingleStack' and len(families) == 1:
        families.append('IPv6' if families[0] == 'IPv4' else 'IPv4')
    families = families[:1] if policy == 'SingleStack' else families[:2]
    missing = families[len(ips):]
    used = ctx.allocated_cluster_ips() if missing else set()     # it copies every Service
    for fam in missing:
        net = CLUSTER_CIDRS[fam]
        for host in net.hosts():
            if str(host) not in used and host != net.network_address + 1:
                ips.append(str(host))
                used.add(str(host))
                break
    spec['ipFamilies'] = families
    spec['clusterIPs'] = ips
    spec['clusterIP'] = ips[0]


def service_errors(svc, old):
    spec = svc.get('spec') or {}
    errs = []
    stype = spec.get('type')
    if stype not in ('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'):
        errs.append(('spec.type', 'FieldValueNotSupported', 'Unsupported value: "%s": supported '
                     'values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' % stype))
    if stype != 'ExternalName' and spec.get('clusterIP') != 'None' and not spec.get('ports'):
        errs.append(('spec.ports', 'FieldValueRequired', 'Required value'))
    for i, p in enumerate(spec.get('ports') or []):
        port = p.get('port')
        if not isinstance(port, int) or not 1 <= port <= 65535:
            errs.append(('spec.ports[%d].port' % i, 'FieldValueInvalid', 'Invalid value: %s: must be '
                         'between 1 and 65535, inclusive' % port))
        if p.get('protocol') not in ('TCP', 'UDP', 'SCTP'):
            errs.append(('spec.ports[%d].protocol' % i, 'FieldValueNotSupported',
                         'Unsupported value: "%s": supported values: "SCTP", "TCP", "UDP"'
                         % p.get('protocol')))
        if len(spec.get('ports')) > 1 and not p.get('name'):
            errs.append(('spec.ports[%d].name' % i, 'FieldValueRequired', 'Required value'))
    if old is not None:
        oips = (old.get('spec') or {}).get('clusterIPs') or []
        nips = spec.get('clusterIPs') or []
        if oips and nips and oips[0] != nips[0] and stype != 'ExternalName':
            errs.append(('spec.clusterIPs[0]', 'FieldValueInvalid', 'Invalid value: []string{"%s"}: '
                         'may not change once set' % nips[0]))
    for i, ing in enumerate(((svc.get('status') or {}).get('loadBalancer') or {}).get('ingress') or []):
        if 'ip' in ing:
            try:
                ipaddress.ip_address(ing['ip'])
            except ValueError:
                errs.append(('status.loadBalancer.ingress[%d].ip' % i, 'FieldValueInvalid',
                             'Invalid value: "%s": must be a valid IP address' % ing['ip']))
            if ing.get('ipMode') not in (None, 'VIP', 'Proxy'):
                errs.append(('status.loadBalancer.ingress[%d].ipMode' % i, 'FieldValueNotSupported',
                             'Unsupported value: "%s": supported values: "Proxy", "VIP"' % ing['ipMode']))
    return errs


# ---- other kinds ------------------------------------------------------------------------


def lease_errors(lease):
    spec = lease.get('spec') or {}
    errs = []
    d = spec.get('leaseDurationSeconds')
    if d is not None and (not isinstance(d, int) or d <= 0):
        errs.append(('spec.leaseDurationSeconds', 'FieldValueInvalid',
                     'Invalid value: %s: must be greater than 0' % d))
    t = spec.get('leaseTransitions')
    if t is not None and (not isinstance(t, int) or t < 0):
        errs.append(('spec.leaseTransitions', 'FieldValueInvalid',
                     'Invalid value: %s: must be greater than or equal to 0' % t))
    return errs


def event_errors(ev, served_group):
    """events.k8s.io/v1 create validation (ValidateEventCreate for the v1 API): the fields a
    new-style event must carry. Core v1 events are checked loosely, as the API does."""
    errs = []
    if served_group == 'events.k8s.io':
        names = {'eventTime': 'eventTime', 'reportingComponent': 'reportingController',
                 'reportingInstance': 'reportingInstance', 'action': 'action', 'reason': 'reason'}
        for stored, shown in names.items():
            if not ev.get(stored):
                errs.append((shown, 'FieldValueRequired', 'Required value'))
        if ev.get('type') not in ('Normal', 'Warning'):
            errs.append(('type', 'FieldValueNotSupported', 'Unsupported value: "%s": supported values: '
                         '"Normal", "Warning"' % ev.get('type', '')))
        if len(ev.get('message') or '') > 1024:
            errs.append(('note', 'FieldValueTooLong', 'Too long: may not be more than 1024 bytes'))
    inv_ns = (ev.get('involvedObject') or {}).get('namespace')
    ns = ev['metadata'].get('namespace')
    if inv_ns and ns and inv_ns != ns:
        shown = 'regarding.namespace' if served_group == 'events.k8s.io' else 'involvedObject.namespace'
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: "%s": does not match event.namespace'
                     % inv_ns))
    return errs


def kind_errors(rt, obj, old, served_group):
    key = (rt.group, rt.plural)
    if key == ('', 'services'):
        return service_errors(obj, old)
    if key == ('coordination.k8s.io', 'leases'):
        return lease_errors(obj)
    if rt.storage_name == ('', 'events') and old is None:
        return event_errors(obj, served_group)
    return []
