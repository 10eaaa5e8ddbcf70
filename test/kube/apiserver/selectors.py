"""Label selectors (k8s.io/apimachinery/pkg/labels: =, ==, !=, in, notin, key, !key) and
field selectors (fields: =, ==, != over the fields each resource supports; any other field is
a 400 `field label not supported`)."""
import re

from .errors import bad_request

_LABEL_KEY = r'[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?'
_VALUE = r'[A-Za-z0-9]?([-A-Za-z0-9_.]*[A-Za-z0-9])?'


def _split_top(s):
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_labels(text):
    """[(key, op, values)] with op in {'=', '!=', 'in', 'notin', 'exists', '!exists'}."""
    reqs = []
    if not text:
        return reqs
    for part in _split_top(text):
        m = re.fullmatch(r'(%s)\s+(in|notin)\s+\(([^)]*)\)' % _LABEL_KEY, part)
        if m:
            vals = [v.strip() for v in m.group(4).split(',') if v.strip()]
            reqs.append((m.group(1), m.group(3), vals))
            continue
        m = re.fullmatch(r'(%s)\s*(==|=|!=)\s*(%s)' % (_LABEL_KEY, _VALUE), part)
        if m:
            op = '!=' if m.group(3) == '!=' else '='
            reqs.append((m.group(1), op, [m.group(4)]))
            continue
        m = re.fullmatch(r'(!?)\s*(%s)' % _LABEL_KEY, part)
        if m:
            reqs.append((m.group(2), '!exists' if m.group(1) else 'exists', []))
            continue
        raise bad_request('unable to parse requirement: found \'%s\', expected: identifier' % part)
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == '=' and not (has and v == vals[0]):
            return False
        if op == '!=' and has and v == vals[0]:
            return False
        if op == 'in' and not (has and v in vals):
            return False
        if op == 'notin' and has and v in vals:
            return False
        if op == 'exists' and not has:
            return False
        if op == '!exists' and has:
            return False
    return True


# Field selectors each resource supports beyond metadata.name / metadata.namespace, as
# paths into the stored object (events are stored in core/v1 form).
_EVENT_FIELDS = {
    'involvedObject.kind': 'involvedObject.kind', 'involvedObject.namespace': 'involvedObject.namespace',
    'involvedObject.name': 'involvedObject.name', 'involvedObject.uid': 'involvedObject.uid',
    'involvedObject.apiVersion': 'involvedObject.apiVersion',
    'involvedObject.resourceVersion': 'involvedObject.resourceVersion',
    'involvedObject.fieldPath': 'involvedObject.fieldPath', 'reason': 'reason',
    'reportingComponent': 'reportingComponent', 'source': 'source.component', 'type': 'type',
    # events.k8s.io/v1 names for the same fields
    'regarding.kind': 'involvedObject.kind', 'regarding.namespace': 'involvedObject.namespace',
    'regarding.name': 'involvedObject.name', 'regarding.uid': 'involvedObject.uid',
    'reportingController': 'reportingComponent',
}
EXTRA_FIELDS = {
    ('', 'events'): _EVENT_FIELDS,
    ('', 'secrets'): {'type': 'type'},
    ('', 'nodes'): {'spec.unschedulable': 'spec.unschedulable'},
    ('', 'namespaces'): {'status.phase': 'status.phase'},
    ('', 'services'): {'spec.clusterIP': 'spec.clusterIP', 'spec.type': 'spec.type'},
}


def parse_fields(text, storage_name):
    """[(path, op, value)] with op '=' or '!='."""
    reqs = []
    if not text:
        return reqs
    extra = EXTRA_FIELDS.get(tuple(storage_name), {})
    for part in text.split(','):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r'([^=!\s]+)\s*(==|=|!=)\s*(.*)', part)
        if not m:
            raise bad_request('invalid selector: \'%s\'; can\'t understand \'%s\'' % (text, part))
        field, op, value = m.group(1), m.group(2), m.group(3)
        if field in ('metadata.name', 'metadata.namespace'):
            path = field
        elif field in extra:
            path = extra[field]
        else:
            raise bad_request('"%s" is not a known field selector: only "metadata.name", '
                              '"metadata.namespace"' % field if not extra else
                              'field label not supported: %s' % field)
        reqs.append((path, '!=' if op == '!=' else '=', value))
    return reqs


def _field_value(obj, path):
    cur = obj
    for p in path.split('.'):
        if not isinstance(cur, dict):
            return ''
        cur = cur.get(p)
    if cur is None:
        return ''
    if isinstance(cur, bool):
        return 'true' if cur else 'false'
    return str(cur)


def fields_match(reqs, obj):
    for path, op, value in reqs:
        v = _field_value(obj, path)
        if (op == '=') != (v == value):
            return False
    return True


def parse_bool(value):
    """A boolean query parameter as Go's strconv.ParseBool reads it (None when absent)."""
    if value is None:
        return None
    if value in ('1', 't', 'T', 'TRUE', 'true', 'True'):
        return True
    if value in ('0', 'f', 'F', 'FALSE', 'false', 'False', ''):
        return False
    raise bad_request('invalid boolean value: %r' % value)
