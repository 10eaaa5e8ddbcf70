"""Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: each kind's columns as
kube-apiserver's printers define them, custom resources' additionalPrinterColumns, and
"Name" / "Created At" for kinds without printers."""
import datetime
import json
import re


def _age(ts):
    if not ts:
        return '<unknown>'
    t = datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    s = max(0, int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()))
    if s < 120:
        return '%ds' % s
    if s < 600:
        return '%dm%ds' % (s // 60, s % 60) if s % 60 else '%dm' % (s // 60)
    if s < 3 * 3600:
        return '%dm' % (s // 60)
    if s < 48 * 3600:
        return '%dh' % (s // 3600)
    return '%dd' % (s // 86400)


def _col(name, type_='string', fmt='', priority=0, description=''):
    return {'name': name, 'type': type_, 'format': fmt, 'description': description or name,
            'priority': priority}


def _svc_ports(o):
    out = []
    for p in (o.get('spec') or {}).get('ports') or []:
        s = '%s' % p.get('port')
        if p.get('nodePort'):
            s += ':%s' % p['nodePort']
        out.append('%s/%s' % (s, p.get('protocol', 'TCP')))
    return ','.join(out) or '<none>'


def _svc_external(o):
    spec = o.get('spec') or {}
    ing = ((o.get('status') or {}).get('loadBalancer') or {}).get('ingress') or []
    ips = [i.get('ip') or i.get('hostname') for i in ing] + list(spec.get('externalIPs') or [])
    if ips:
        return ','.join(ips)
    if spec.get('type') == 'LoadBalancer':
        return '<pending>'
    if spec.get('type') == 'ExternalName':
        return spec.get('externalName', '')
    return '<none>'


def _selector(sel):
    return ','.join('%s=%s' % kv for kv in sorted((sel or {}).items())) or '<none>'


def _node_status(o):
    conds = {c.get('type'): c.get('status') for c in (o.get('status') or {}).get('conditions') or []}
    s = 'Ready' if conds.get('Ready') == 'True' else 'NotReady' if 'Ready' in conds else 'Unknown'
    if (o.get('spec') or {}).get('unschedulable'):
        s += ',SchedulingDisabled'
    return s


def _age_of(o):
    return _age(o['metadata'].get('creationTimestamp'))


PRINTERS = {
    ('', 'services'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Type'), lambda o: (o.get('spec') or {}).get('type', '')),
        (_col('Cluster-IP'), lambda o: (o.get('spec') or {}).get('clusterIP', '<none>')),
        (_col('External-IP'), _svc_external),
        (_col('Port(s)'), _svc_ports),
        (_col('Age'), _age_of),
        (_col('Selector', priority=1), lambda o: _selector((o.get('spec') or {}).get('selector'))),
    ],
    ('', 'namespaces'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Status'), lambda o: (o.get('status') or {}).get('phase', '')),
        (_col('Age'), _age_of),
    ],
    ('', 'nodes'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Status'), _node_status),
        (_col('Roles'), lambda o: ','.join(sorted(
            k.split('/', 1)[1] for k in (o['metadata'].get('labels') or {})
            if k.startswith('node-role.kubernetes.io/'))) or '<none>'),
        (_col('Age'), _age_of),
        (_col('Version'), lambda o: ((o.get('status') or {}).get('nodeInfo') or {}).get('kubeletVersion', '')),
    ],
    ('', 'secrets'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Type'), lambda o: o.get('type', 'Opaque')),
        (_col('Data', 'integer'), lambda o: len(o.get('data') or {})),
        (_col('Age'), _age_of),
    ],
    ('coordination.k8s.io', 'leases'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Holder'), lambda o: (o.get('spec') or {}).get('holderIdentity', '')),
        (_col('Age'), _age_of),
    ],
    ('discovery.k8s.io', 'endpointslices'): [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('AddressType'), lambda o: o.get('addressType', '')),
        (_col('Ports'), lambda o: ','.join(str(p.get('port', '')) for p in o.get('ports') or []) or '<unset>'),
        (_col('Endpoints'), lambda o: ','.join(a for e in o.get('endpoints') or []
                                               for a in e.get('addresses') or []) or '<unset>'),
        (_col('Age'), _age_of),
    ],
}


def _jsonpath(obj, path):
    """The subset of JSONPath printer columns use: .a.b, .a[0].b, .a[*].b."""
    cur = [obj]
    for part in re.findall(r'\.([^.\[]+)|\[(\d+|\*)\]', path):
        name, idx = part
        nxt = []
        for c in cur:
            if name:
                if isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            elif isinstance(c, list):
                nxt += c if idx == '*' else c[int(idx):int(idx) + 1]
        cur = nxt
    if not cur:
        return None
    vals = [v if isinstance(v, (str, int, float, bool)) else json.dumps(v, separators=(',', ':')) for v in cur]
    return vals[0] if len(vals) == 1 else ','.join(str(v) for v in vals)


def _printers(rt, version):
    if rt.crd is not None:
        cols = [(_col('Name', fmt='name'), lambda o: o['metadata']['name'])]
        for c in rt.columns.get(version) or []:
            col = _col(c['name'], c.get('type', 'string'), c.get('format', ''), c.get('priority', 0),
                       c.get('description', ''))
            if c.get('type') == 'date':
                cols.append((col, lambda o, p=c['jsonPath']: _age(_jsonpath(o, p))))
            else:
                cols.append((col, lambda o, p=c['jsonPath']: _jsonpath(o, p)))
        if not any(c.get('jsonPath') == '.metadata.creationTimestamp' for c in rt.columns.get(version) or []):
            cols.append((_col('Age', 'date'), _age_of))
        return cols
    return PRINTERS.get(tuple(rt.storage_name) if rt.group != 'events.k8s.io' else ('', 'events')) or [
        (_col('Name', fmt='name'), lambda o: o['metadata']['name']),
        (_col('Created At', 'date'), lambda o: o['metadata'].get('creationTimestamp')),
    ]


def _row_object(obj, include):
    if include == 'None':
        return None
    if include == 'Object':
        return obj
    return {'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1', 'metadata': obj['metadata']}


def table(rt, version, objs, list_meta, include='Metadata'):
    printers = _printers(rt, version)
    rows = []
    for o in objs:
        row = {'cells': [f(o) for _c, f in printers]}
        ro = _row_object(o, include)
        if ro is not None:
            row['object'] = ro
        rows.append(row)
    return {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1', 'metadata': list_meta,
            'columnDefinitions': [c for c, _f in printers], 'rows': rows}
