"""Conversion between a resource's served versions and its storage form: events.k8s.io/v1
Event <-> core/v1 Event (one storage, as in kube-apiserver), custom resources across versions
(strategy None: only apiVersion changes), and the wire forms of metav1.Time (RFC 3339,
seconds, UTC) and metav1.MicroTime (RFC 3339 with microseconds, UTC)."""
import datetime

from .errors import bad_request

# events.k8s.io/v1 field -> core/v1 field (k8s.io/kubernetes/pkg/apis/events/v1 conversion)
_EVENTS_TO_CORE = {
    'regarding': 'involvedObject', 'note': 'message', 'reportingController': 'reportingComponent',
    'deprecatedSource': 'source', 'deprecatedFirstTimestamp': 'firstTimestamp',
    'deprecatedLastTimestamp': 'lastTimestamp', 'deprecatedCount': 'count',
}
_CORE_TO_EVENTS = {v: k for k, v in _EVENTS_TO_CORE.items()}


def _rename(obj, table):
    return {table.get(k, k): v for k, v in obj.items()}


def to_storage(rt, obj):
    """An object received in one of `rt`'s versions, in storage form."""
    if rt.group == 'events.k8s.io':
        obj = _rename(obj, _EVENTS_TO_CORE)
        obj['apiVersion'], obj['kind'] = 'v1', 'Event'
        return obj
    obj['apiVersion'] = rt.api_version(rt.storage_version)
    obj['kind'] = rt.kind
    return obj


def from_storage(rt, version, obj):
    """A stored object as `rt` serves it in `version`."""
    if rt.group == 'events.k8s.io':
        obj = _rename(obj, _CORE_TO_EVENTS)
        for empty in ('deprecatedSource',):
            if obj.get(empty) == {}:
                del obj[empty]
    obj['apiVersion'] = rt.api_version(version)
    obj['kind'] = rt.kind
    return obj


def _parse_time(value, field):
    if not isinstance(value, str):
        raise bad_request('%s: Time must be a string in RFC 3339 format' % field)
    s = value.replace('z', 'Z')
    if s.endswith('Z'):
        s = s[:-1] + '+00:00'
    try:
        t = datetime.datetime.fromisoformat(s)
    except ValueError:
        t = None
    if t is None or t.tzinfo is None or 'T' not in value:
        raise bad_request('parsing time "%s" as "2006-01-02T15:04:05Z07:00": cannot parse' % value)
    return t.astimezone(datetime.timezone.utc)


def format_time(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def format_micro(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


# Fields holding metav1.MicroTime / metav1.Time per storage kind (paths into the object).
MICRO_FIELDS = {('coordination.k8s.io', 'leases'): ['spec.acquireTime', 'spec.renewTime'],
                ('', 'events'): ['eventTime', 'series.lastObservedTime']}
TIME_FIELDS = {('', 'events'): ['firstTimestamp', 'lastTimestamp']}


def _walk(obj, path):
    parts = path.split('.')
    cur = obj
    for p in parts[:-1]:
        cur = cur.get(p) if isinstance(cur, dict) else None
    return cur, parts[-1]


def normalize_times(storage_name, obj):
    """Re-encode the object's timestamps the way the API server's Go types marshal them."""
    for fields, fmt in ((MICRO_FIELDS, format_micro), (TIME_FIELDS, format_time)):
        for path in fields.get(tuple(storage_name), []):
            parent, key = _walk(obj, path)
            if isinstance(parent, dict) and parent.get(key) is not None:
                parent[key] = fmt(_parse_time(parent[key], path))
    meta = obj.get('metadata') or {}
    for key in ('creationTimestamp', 'deletionTimestamp'):
        if meta.get(key) is not None:
            meta[key] = format_time(_parse_time(meta[key], 'metadata.' + key))
    return obj
