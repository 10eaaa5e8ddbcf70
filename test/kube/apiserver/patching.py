"""The three patch formats the API accepts: JSON merge patch (RFC 7386), JSON patch
(RFC 6902) and Kubernetes' strategic merge patch for built-in kinds (patch strategy and
merge key per list field, the `$patch`, `$retainKeys`, `$setElementOrder/` and
`$deleteFromPrimitiveList/` directives), with the patch metadata of the built-in types'
Go struct tags for the fields bgplb's manifests use."""
import copy

from .errors import ApiError

# ---- RFC 7386 JSON merge patch --------------------------------------------------------


def merge_patch(target, patch):
    """RFC 7386 §2 MergePatch(Target, Patch)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# ---- RFC 6902 JSON patch --------------------------------------------------------------


def _invalid(message):
    return ApiError(422, 'Invalid', message)


def _pointer(path):
    # RFC 6901 §3/§4: "/"-separated tokens, "~1" is "/", "~0" is "~".
    if path == '':
        return []
    if not path.startswith('/'):
        raise _invalid('invalid JSON pointer %r' % path)
    return [t.replace('~1', '/').replace('~0', '~') for t in path[1:].split('/')]


def _index(container, token, allow_end):
    if token == '-' and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == '0'):
        raise _invalid('invalid array index %r' % token)
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise _invalid('array index %d out of bounds' % i)
    return i


def _parent(doc, tokens):
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise _invalid('doc is missing path: "/%s"' % '/'.join(tokens))
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, False)]
        else:
            raise _invalid('doc is missing path: "/%s"' % '/'.join(tokens))
    return cur


def _get(doc, tokens):
    cur = doc
    for t in tokens:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, False)]
        else:
            raise _invalid('doc is missing path: "/%s"' % '/'.join(tokens))
    return cur


def _add(doc, tokens, value):
    if not tokens:
        return value
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, True), value)
    else:
        raise _invalid('doc is missing path')
    return doc


def _remove(doc, tokens):
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _invalid('unable to remove nonexistent key: %s: missing value' % last)
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, False))
    raise _invalid('doc is missing path')


def json_patch(doc, ops):
    """RFC 6902 §4: apply every operation in order; any failure fails the whole patch."""
    if not isinstance(ops, list):
        raise ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch')
    doc = copy.deepcopy(doc)
    for op in ops:
        kind = op.get('op')
        tokens = _pointer(op.get('path', ''))
        if kind == 'add':
            doc = _add(doc, tokens, copy.deepcopy(op.get('value')))
        elif kind == 'remove':
            _remove(doc, tokens)
        elif kind == 'replace':
            _get(doc, tokens)
            if not tokens:
                doc = copy.deepcopy(op.get('value'))
            else:
                parent = _parent(doc, tokens)
                if isinstance(parent, list):
                    parent[_index(parent, tokens[-1], False)] = copy.deepcopy(op.get('value'))
                else:
                    parent[tokens[-1]] = copy.deepcopy(op.get('value'))
        elif kind in ('move', 'copy'):
            src = _pointer(op.get('from', ''))
            value = copy.deepcopy(_get(doc, src))
            if kind == 'move':
                _remove(doc, src)
            doc = _add(doc, tokens, value)
        elif kind == 'test':
            if _get(doc, tokens) != op.get('value'):
                raise _invalid('the server rejected our request due to an error in our request: '
                               'testing value %s failed: test failed' % op.get('path'))
        else:
            raise _invalid('Unexpected kind: %s' % kind)
    return doc


# ---- strategic merge patch ----------------------------------------------------------
# Patch metadata: the `patchStrategy`/`patchMergeKey` struct tags of the built-in types,
# keyed by the field path with list levels skipped. A list not named here is replaced.

_META = {'metadata.finalizers': ('merge', None), 'metadata.ownerReferences': ('merge', 'uid')}
_POD = {
    'containers': ('merge', 'name'), 'initContainers': ('merge', 'name'),
    'containers.env': ('merge', 'name'), 'initContainers.env': ('merge', 'name'),
    'containers.ports': ('merge', 'containerPort'), 'containers.volumeMounts': ('merge', 'mountPath'),
    'initContainers.volumeMounts': ('merge', 'mountPath'), 'volumes': ('merge', 'name'),
    'imagePullSecrets': ('merge', 'name'), 'containers.volumeDevices': ('merge', 'devicePath'),
}
_WORKLOAD = dict({'spec.template.metadata.finalizers': ('merge', None),
                  'status.conditions': ('merge', 'type')},
                 **{'spec.template.spec.' + k: v for k, v in _POD.items()})
PATCH_META = {
    ('', 'Service'): {'spec.ports': ('merge', 'port'), 'status.conditions': ('merge', 'type')},
    ('', 'Node'): {'spec.podCIDRs': ('merge', None), 'status.addresses': ('merge', 'type'),
                   'status.conditions': ('merge', 'type')},
    ('', 'Namespace'): {'status.conditions': ('merge', 'type')},
    ('', 'ServiceAccount'): {'secrets': ('merge', 'name')},
    ('apps', 'Deployment'): dict(_WORKLOAD),
    ('apps', 'DaemonSet'): dict(_WORKLOAD),
}


def _meta_for(group, kind):
    meta = dict(_META)
    meta.update(PATCH_META.get((group, kind), {}))
    return meta


def strategic_merge_patch(original, patch, group, kind):
    return _smp_map(copy.deepcopy(original) if isinstance(original, dict) else {}, patch,
                    _meta_for(group, kind), '')


def _join(prefix, key):
    return key if not prefix else prefix + '.' + key


def _smp_map(orig, patch, meta, prefix):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get('$patch')
    if directive == 'replace':
        return {k: copy.deepcopy(v) for k, v in patch.items() if not k.startswith('$')}
    if directive == 'delete':
        return None
    if directive is not None:
        raise ApiError(422, 'Invalid', 'Unknown patch type: %s in map: %s' % (directive, patch))
    result = orig if isinstance(orig, dict) else {}
    for key, value in patch.items():
        if key.startswith('$deleteFromPrimitiveList/'):
            field = key.split('/', 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in (value or [])]
            continue
        if key.startswith('$'):
            continue
        path = _join(prefix, key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _smp_map(result.get(key), value, meta, path)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and path in meta:
            result[key] = _smp_list(result.get(key), value, meta, path)
        else:
            result[key] = copy.deepcopy(value)
    for key, order in patch.items():
        if key.startswith('$setElementOrder/'):
            field = key.split('/', 1)[1]
            if isinstance(result.get(field), list):
                result[field] = _reorder(result[field], order, meta.get(_join(prefix, field)))
    if '$retainKeys' in patch:
        keep = set(patch['$retainKeys'] or [])
        for k in list(result):
            if k not in keep:
                del result[k]
    return result


def _smp_list(orig, patch, meta, path):
    _strategy, key = meta[path]
    orig = list(orig) if isinstance(orig, list) else []
    if any(isinstance(e, dict) and e.get('$patch') == 'replace' for e in patch):
        return [copy.deepcopy(e) for e in patch if not (isinstance(e, dict) and '$patch' in e)]
    if key is None:     # list of primitives: union, patch order for the new ones
        out = orig[:]
        for e in patch:
            if e not in out:
                out.append(copy.deepcopy(e))
        return out
    for e in patch:
        if not isinstance(e, dict):
            raise ApiError(422, 'Invalid', 'expected a map in list %s' % path)
        if key not in e:
            raise ApiError(422, 'Invalid', 'map: %s does not contain declared merge key: %s' % (e, key))
        idx = next((i for i, o in enumerate(orig) if isinstance(o, dict) and o.get(key) == e[key]), None)
        if e.get('$patch') == 'delete':
            if idx is not None:
                orig.pop(idx)
            continue
        if idx is None:
            orig.append(_smp_map({}, e, meta, path))
        else:
            orig[idx] = _smp_map(orig[idx], e, meta, path)
    return orig


def _reorder(items, order, meta):
    key = meta[1] if meta else None

    def ident(x):
        return x.get(key) if key and isinstance(x, dict) else x
    wanted = [ident(o) for o in order or []]
    placed = [x for w in wanted for x in items if ident(x) == w]
    rest = [x for x in items if ident(x) not in wanted]
    return placed + rest
