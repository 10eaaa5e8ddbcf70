"""The REST verbs on stored objects with kube-apiserver's semantics: get; list with
selectors, limit/continue and resourceVersion/resourceVersionMatch; create (generateName,
uid, creationTimestamp, generation, namespace lifecycle); update with the resourceVersion
precondition (409) and the status subresource; the three patch formats; delete with
preconditions, finalizers and namespace / CRD cascades; dry runs; field validation
(Strict / Warn / Ignore) against CRD schemas. Watches are in watch.py."""
import base64
import binascii
import copy
import json
import random
import time
import uuid

from . import conversion, errors, patching, schema, strategies
from .errors import ApiError
from .selectors import fields_match, labels_match, parse_fields, parse_labels
from .storage import now_rfc3339

GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
SYSTEM_NAMESPACES = ('default', 'kube-system', 'kube-public', 'kube-node-lease')
PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json',
               'application/strategic-merge-patch+json', 'application/apply-patch+yaml']


def storage_id(rt):
    return '%s/%s' % tuple(rt.storage_name)


def key_of(rt, namespace, name):
    return (storage_id(rt), namespace or '', name)


def encode_continue(rv, start):
    raw = json.dumps({'v': 'meta.k8s.io/v1', 'rv': rv, 'start': start}, separators=(',', ':'))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip('=')


def decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4))
        c = json.loads(raw)
        if c.get('v') != 'meta.k8s.io/v1':
            raise ValueError
        return int(c['rv']), str(c['start'])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.bad_request('continue key is not valid: incorrect encoded start resourceVersion '
                                 '(version meta.k8s.io/v1)')


class Context:
    """Allocation state the Service strategy needs (read under the storage lock)."""

    def __init__(self, storage):
        self.storage = storage

    def _services(self):
        return [o for _k, o in self.storage.list(('/services',))]

    def allocated_cluster_ips(self):
        return {ip for s in self._services() for ip in (s.get('spec') or {}).get('clusterIPs') or []}

    def allocated_node_ports(self):
        used = set()
        for s in self._services():
            spec = s.get('spec') or {}
            used.update(p['nodePort'] for p in spec.get('ports') or [] if p.get('nodePort'))
            if spec.get('healthCheckNodePort'):
                used.add(spec['healthCheckNodePort'])
        return used


class Api:
    def __init__(self, storage, registry, options):
        self.storage = storage
        self.registry = registry
        self.options = options          # .list_wait_seconds
        self.ctx = Context(storage)

    # ---- helpers -------------------------------------------------------------------

    def out(self, rt, version, obj):
        obj = conversion.from_storage(rt, version, obj)
        if rt.crd is not None and rt.schemas.get(version):
            # pruned and defaulted with the served version's
            # schema, as the API server does after converting what it read from etcd
            sch = rt.schemas[version]
            meta = obj.pop('metadata', {})
            obj = schema.apply_defaults(sch, schema.prune(sch, obj))
            obj['metadata'] = meta
        return obj

    def _current(self, rt, namespace, name):
        obj = self.storage.get(key_of(rt, namespace, name))
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return obj

    def _check_namespace(self, rt, namespace):
        if rt.namespaced and namespace:
            ns = self.storage.get(('/namespaces', '', namespace))
            if ns is None:
                raise errors.not_found('namespaces', '', namespace)
            return ns
        return None

    def _validate(self, rt, version, obj, query, warnings):
        """Field validation against a CRD's schema (pruning, defaults), CRD rules; raises
        400 / 422. Kind rules run on the storage form (_check_kind)."""
        name = obj['metadata'].get('name', '')
        causes = []
        if rt.crd is not None:
            sch = rt.schemas.get(version) or {}
            body = {k: v for k, v in obj.items() if k != 'metadata'}
            unknown = schema.unknown_fields(sch, body)
            mode = query.get('fieldValidation', 'Warn')
            if unknown and mode == 'Strict':
                raise errors.bad_request('%s in version "%s" cannot be handled as a %s: strict decoding '
                                         'error: %s' % (rt.kind, version, rt.kind, ', '.join(
                                             'unknown field "%s"' % u for u in unknown)))
            if unknown and mode == 'Warn':
                warnings += ['unknown field "%s"' % u for u in unknown]
            pruned = schema.apply_defaults(sch, schema.prune(sch, body))
            for k in list(obj):
                if k != 'metadata' and k not in pruned:
                    del obj[k]
            obj.update(pruned)
            causes += schema.validate(sch, {k: v for k, v in obj.items() if k != 'metadata'})
        if rt.group == 'apiextensions.k8s.io':
            causes += self._crd_errors(obj)
        if causes:
            raise errors.invalid(rt.kind, rt.group, name, causes)

    def _check_kind(self, rt, stored, old, served_group):
        causes = strategies.kind_errors(rt, stored, old, served_group or rt.group)
        if causes:
            raise errors.invalid(rt.kind, rt.group, stored['metadata']['name'], causes)

    def _crd_errors(self, crd):
        spec = crd.get('spec') or {}
        names = spec.get('names') or {}
        causes = []
        want = '%s.%s' % (names.get('plural', ''), spec.get('group', ''))
        if crd['metadata']['name'] != want:
            causes.append(('metadata.name', 'FieldValueInvalid', 'Invalid value: "%s": must be '
                           'spec.names.plural+"."+spec.group' % crd['metadata']['name']))
        versions = spec.get('versions') or []
        if sum(1 for v in versions if v.get('storage')) != 1:
            causes.append(('spec.versions', 'FieldValueInvalid', 'Invalid value: %s: must have exactly '
                           'one version marked as storage version' % json.dumps([v.get('name') for v in versions])))
        for i, v in enumerate(versions):
            sch = (v.get('schema') or {}).get('openAPIV3Schema')
            if sch is None:
                causes.append(('spec.versions[%d].schema.openAPIV3Schema' % i, 'FieldValueRequired',
                               'Required value: schemas are required'))
                continue
            for e in schema.structural_errors(sch, 'spec.versions[%d].schema.openAPIV3Schema' % i):
                causes.append(('', 'FieldValueInvalid', e))
        return causes

    def _finish_crd(self, crd):
        """What the CRD controllers write: accepted names, Established, storedVersions."""
        spec = crd.get('spec') or {}
        now = now_rfc3339()
        storage = next((v['name'] for v in spec.get('versions') or [] if v.get('storage')), None)
        stored = list((crd.get('status') or {}).get('storedVersions') or [])
        if storage and storage not in stored:
            stored.append(storage)
        crd['status'] = {
            'acceptedNames': copy.deepcopy(spec.get('names') or {}),
            'conditions': [
                {'type': 'NamesAccepted', 'status': 'True', 'reason': 'NoConflicts',
                 'message': 'no conflicts found', 'lastTransitionTime': now},
                {'type': 'Established', 'status': 'True', 'reason': 'InitialNamesAccepted',
                 'message': 'the initial names have been accepted', 'lastTransitionTime': now}],
            'storedVersions': stored}

    def _decode_body(self, rt, version, body, namespace):
        if not isinstance(body, dict):
            raise errors.bad_request('Object \'Kind\' is missing in \'%s\'' % json.dumps(body)[:200])
        want = rt.api_version(version)
        if body.get('apiVersion') not in (None, want):
            raise errors.bad_request('the API version in the data (%s) does not match the expected '
                                     'API version (%s)' % (body.get('apiVersion'), want))
        if body.get('kind') not in (None, rt.kind):
            raise errors.bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is '
                                     'registered for version "%s"' % (body.get('kind'), version, rt.kind,
                                                                      body.get('kind'), want))
        obj = copy.deepcopy(body)
        meta = obj.setdefault('metadata', {})
        if not isinstance(meta, dict):
            raise errors.bad_request('metadata must be an object')
        if rt.namespaced:
            if meta.get('namespace') not in (None, '', namespace):
                raise errors.bad_request('the namespace of the provided object does not match the '
                                         'namespace sent on the request')
            meta['namespace'] = namespace
        else:
            meta.pop('namespace', None)
        meta.pop('managedFields', None)
        obj['apiVersion'], obj['kind'] = want, rt.kind
        return obj

    def _to_storage(self, rt, obj):
        obj = conversion.to_storage(rt, obj)
        return conversion.normalize_times(rt.storage_name, obj)

    # ---- reads ---------------------------------------------------------------------

    def get(self, rt, version, namespace, name):
        return self.out(rt, version, self._current(rt, namespace, name))

    def list(self, rt, version, namespace, query):
        labels = parse_labels(query.get('labelSelector', ''))
        fields = parse_fields(query.get('fieldSelector', ''), rt.storage_name)
        limit = int(query.get('limit') or 0)
        rv_param = query.get('resourceVersion', '')
        match = query.get('resourceVersionMatch', '')
        token = query.get('continue', '')
        if match and not rv_param:
            raise errors.bad_request('resourceVersionMatch is forbidden unless resourceVersion is provided')
        if match and match not in ('Exact', 'NotOlderThan'):
            raise errors.bad_request('resourceVersionMatch: Unsupported value: "%s"' % match)
        if token and rv_param:
            raise errors.bad_request('specifying resource version is not allowed when using continue')
        if match == 'Exact' and rv_param == '0':
            raise errors.bad_request('resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        start = ''
        with self.storage.lock:
            if token:
                at, start = decode_continue(token)
                if at < self.storage.compacted_rv:
                    raise errors.continue_expired()
            elif rv_param in ('', '0'):
                at = self.storage.rv
            else:
                try:
                    want = int(rv_param)
                except ValueError:
                    raise errors.bad_request('invalid resource version: %s' % rv_param)
                exact = match == 'Exact' or (not match and limit > 0)
                at = self._wait_for_rv(want)
                if exact:
                    if want < self.storage.compacted_rv:
                        raise errors.gone_too_old(want, self.storage.compacted_rv)
                    at = want
            prefix = (storage_id(rt), namespace) if namespace else (storage_id(rt),)
            items = self.storage.list(prefix, at)
        selected = []
        for k, obj in items:
            if start and '%s/%s' % (k[1], k[2]) < start:
                continue
            view = self.out(rt, version, obj)
            if labels_match(labels, view['metadata'].get('labels')) and fields_match(fields, obj):
                selected.append((k, view))
        meta = {'resourceVersion': str(at)}
        if limit and len(selected) > limit:
            last = selected[limit - 1][0]
            meta['continue'] = encode_continue(at, '%s/%s\x00' % (last[1], last[2]))
            if not labels and not fields:
                meta['remainingItemCount'] = len(selected) - limit
            selected = selected[:limit]
        return {'kind': rt.list_kind, 'apiVersion': rt.api_version(version), 'metadata': meta,
                'items': [v for _k, v in selected]}

    def _wait_for_rv(self, want):
        """A read at least as new as `want`: wait (as the watch cache does) up to the
        configured time, then 504 Too large resource version. Caller holds the lock."""
        deadline = time.monotonic() + self.options.list_wait_seconds
        while self.storage.rv < want:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.too_large_resource_version(want, self.storage.rv)
            self.storage.changed.wait(left)
        return self.storage.rv

    # ---- writes --------------------------------------------------------------------

    def create(self, rt, version, namespace, body, query, served_group=None):
        warnings = []
        obj = self._decode_body(rt, version, body, namespace)
        meta = obj['metadata']
        if meta.get('resourceVersion'):
            raise errors.bad_request('resourceVersion should not be set on objects to be created')
        dry = query.get('dryRun') == 'All'
        with self.storage.lock:
            ns = self._check_namespace(rt, namespace)
            if ns is not None and (ns.get('status') or {}).get('phase') == 'Terminating':
                raise ApiError(403, 'Forbidden', 'unable to create new content in namespace %s because '
                               'it is being terminated' % namespace,
                               {'name': meta.get('name', ''), 'kind': rt.plural})
            if not meta.get('name'):
                if not meta.get('generateName'):
                    raise errors.invalid(rt.kind, rt.group, '', [
                        ('metadata.name', 'FieldValueRequired', 'Required value: name or generateName is required')])
                meta['name'] = meta['generateName'] + ''.join(random.choice(GENERATE_ALPHABET) for _ in range(5))
            bad = strategies.name_errors(rt, meta['name'])
            if bad:
                raise errors.invalid(rt.kind, rt.group, meta['name'],
                                     [('metadata.name', 'FieldValueInvalid',
                                       'Invalid value: "%s": %s' % (meta['name'], b)) for b in bad])
            key = key_of(rt, namespace, meta['name'])
            if self.storage.get(key) is not None:
                if not body.get('metadata', {}).get('name'):
                    raise ApiError(409, 'AlreadyExists', '%s "%s" already exists, the server was not '
                                   'able to generate a unique name for the object'
                                   % (errors.qualified(rt.plural, rt.group), meta['name']))
                raise errors.already_exists(rt.plural, rt.group, meta['name'])
            meta['uid'] = str(uuid.uuid4())
            meta['creationTimestamp'] = now_rfc3339()
            for drop in ('deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'):
                meta.pop(drop, None)
            strategies.prepare_create(rt, obj, self.ctx)
            self._validate(rt, version, obj, query, warnings)
            stored = self._to_storage(rt, obj)
            self._check_kind(rt, stored, None, served_group)
            if rt.group == 'apiextensions.k8s.io':
                self._finish_crd(stored)
            if dry:
                stored['metadata'].pop('resourceVersion', None)
                return self.out(rt, version, stored), warnings
            result = self.storage.create(key, stored)
            if rt.group == 'apiextensions.k8s.io':
                self.registry.set_crd(result, True)
        return self.out(rt, version, result), warnings

    def update(self, rt, version, namespace, name, body, query, subresource='', served_group=None,
               from_patch=False):
        warnings = []
        obj = self._decode_body(rt, version, body, namespace)
        meta = obj['metadata']
        if meta.get('name', name) != name:
            raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)'
                                     % (meta.get('name'), name))
        meta['name'] = name
        dry = query.get('dryRun') == 'All'
        with self.storage.lock:
            key = key_of(rt, namespace, name)
            old = self.storage.get(key)
            if old is None:
                raise errors.not_found(rt.plural, rt.group, name)
            rv = meta.get('resourceVersion', '')
            if rv and rv != old['metadata']['resourceVersion']:
                raise errors.conflict(rt.plural, rt.group, name)
            if not rv and not rt.unconditional_update and not from_patch:
                raise errors.invalid(rt.kind, rt.group, name, [
                    ('metadata.resourceVersion', 'FieldValueInvalid',
                     'Invalid value: 0x0: must be specified for an update')])
            if meta.get('uid') and meta['uid'] != old['metadata']['uid']:
                raise errors.conflict(rt.plural, rt.group, name, 'Precondition failed: UID in precondition: '
                                      '%s, UID in object meta: %s' % (meta['uid'], old['metadata']['uid']))
            old_view = self.out(rt, version, copy.deepcopy(old))
            for keep in ('uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'):
                if keep in old_view['metadata']:
                    meta[keep] = old_view['metadata'][keep]
                else:
                    meta.pop(keep, None)
            meta['resourceVersion'] = old['metadata']['resourceVersion']
            if old_view['metadata'].get('deletionTimestamp'):
                added = set(meta.get('finalizers') or []) - set(old_view['metadata'].get('finalizers') or [])
                if added:
                    raise errors.invalid(rt.kind, rt.group, name, [
                        ('metadata.finalizers', 'FieldValueForbidden',
                         'Forbidden: no new finalizers can be added if the object is being deleted, '
                         'found new finalizers %s' % json.dumps(sorted(added)))])
            strategies.prepare_update(rt, obj, old_view, subresource, self.ctx)
            self._validate(rt, version, obj, query, warnings)
            stored = self._to_storage(rt, obj)
            self._check_kind(rt, stored, old, served_group)
            if rt.group == 'apiextensions.k8s.io':
                self._finish_crd(stored)
            if stored == old:
                return self.out(rt, version, old), warnings          # no-op: no new resourceVersion
            if dry:
                return self.out(rt, version, stored), warnings
            if stored['metadata'].get('deletionTimestamp') and not stored['metadata'].get('finalizers'):
                result = self.storage.delete(key)
                self._after_delete(rt, result)
                return self.out(rt, version, result), warnings
            result = self.storage.update(key, stored)
            if rt.group == 'apiextensions.k8s.io':
                self.registry.set_crd(result, True)
        return self.out(rt, version, result), warnings

    def patch(self, rt, version, namespace, name, content_type, body_bytes, query, subresource='',
              served_group=None):
        try:
            patch = json.loads(body_bytes or b'null')
        except ValueError as e:
            raise errors.bad_request('error decoding patch: %s' % e)
        with self.storage.lock:
            current = self.get(rt, version, namespace, name)
            if content_type == 'application/merge-patch+json':
                if not isinstance(patch, dict):
                    raise errors.bad_request('error decoding patch: json: cannot unmarshal %s into Go '
                                             'value of type map[string]interface {}' % type(patch).__name__)
                patched = patching.merge_patch(current, patch)
            elif content_type == 'application/json-patch+json':
                patched = patching.json_patch(current, patch)
            elif content_type == 'application/strategic-merge-patch+json':
                if not rt.strategic_merge:
                    raise errors.unsupported_media_type(PATCH_TYPES[:2] + PATCH_TYPES[3:])
                if not isinstance(patch, dict):
                    raise errors.bad_request('error decoding patch: not a JSON object')
                patched = patching.strategic_merge_patch(current, patch, rt.group, rt.kind)
            elif content_type == 'application/apply-patch+yaml':
                raise errors.unsupported_media_type(PATCH_TYPES[:3])
            else:
                raise errors.unsupported_media_type(PATCH_TYPES)
            if not isinstance(patched, dict):
                raise errors.bad_request('the patch produced something that is not an object')
            if patched.get('metadata', {}).get('name') not in (None, name):
                raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)'
                                         % (patched['metadata']['name'], name))
            return self.update(rt, version, namespace, name, patched, query, subresource, served_group,
                               from_patch=True)

    def delete(self, rt, version, namespace, name, options, query):
        options = options or {}
        pre = options.get('preconditions') or {}
        dry = query.get('dryRun') == 'All' or options.get('dryRun') == ['All']
        with self.storage.lock:
            key = key_of(rt, namespace, name)
            old = self.storage.get(key)
            if old is None:
                raise errors.not_found(rt.plural, rt.group, name)
            if pre.get('uid') and pre['uid'] != old['metadata']['uid']:
                raise errors.conflict(rt.plural, rt.group, name, 'Precondition failed: UID in precondition: '
                                      '%s, UID in object meta: %s' % (pre['uid'], old['metadata']['uid']))
            if pre.get('resourceVersion') and pre['resourceVersion'] != old['metadata']['resourceVersion']:
                raise errors.conflict(rt.plural, rt.group, name, 'Precondition failed: ResourceVersion in '
                                      'precondition: %s, ResourceVersion in object meta: %s'
                                      % (pre['resourceVersion'], old['metadata']['resourceVersion']))
            if dry:
                return self.out(rt, version, old)
            if rt.storage_name == ('', 'namespaces'):
                return self.out(rt, version, self._delete_namespace(key, old))
            if old['metadata'].get('finalizers'):
                if not old['metadata'].get('deletionTimestamp'):
                    marked = copy.deepcopy(old)
                    marked['metadata']['deletionTimestamp'] = now_rfc3339()
                    marked['metadata']['deletionGracePeriodSeconds'] = 0
                    old = self.storage.update(key, marked)
                return self.out(rt, version, old)
            result = self.storage.delete(key)
            self._after_delete(rt, result)
        if rt.crd is not None or rt.group == 'apiextensions.k8s.io':
            return self.out(rt, version, result)
        details = {'name': name, 'kind': rt.plural, 'uid': old['metadata']['uid']}
        if rt.group:
            details['group'] = rt.group
        return errors.success_status(details)

    def _after_delete(self, rt, deleted):
        if rt.group == 'apiextensions.k8s.io':
            crt = self.registry.custom.get(deleted['metadata']['name'])
            self.registry.remove_crd(deleted['metadata']['name'])
            if crt is not None:
                for k, _o in self.storage.list((storage_id(crt),)):
                    self.storage.delete(k)

    def _delete_namespace(self, key, ns):
        """Namespace deletion: Terminating, its content removed, then the namespace."""
        marked = copy.deepcopy(ns)
        marked['metadata']['deletionTimestamp'] = now_rfc3339()
        marked['metadata']['deletionGracePeriodSeconds'] = 0
        marked['status'] = {'phase': 'Terminating'}
        marked = self.storage.update(key, marked)
        name = ns['metadata']['name']
        for k in [k for k in list(self.storage.objects) if k[1] == name and k[0] != '/namespaces']:
            self.storage.delete(k)
        self.storage.delete(key)
        return marked

    def delete_collection(self, rt, version, namespace, options, query):
        listed = self.list(rt, version, namespace, {k: v for k, v in query.items()
                                                    if k in ('labelSelector', 'fieldSelector')})
        for item in listed['items']:
            try:
                self.delete(rt, version, namespace, item['metadata']['name'], options, query)
            except ApiError as e:
                if e.code != 404:
                    raise
        listed['metadata'] = {'resourceVersion': str(self.storage.rv)}
        return listed

    # ---- test control: seeding -----------------------------------------------------

    def seed(self, obj):
        """Store `obj` as given (status included), bypassing authorization and admission;
        server-set metadata is filled in when absent. Creates or replaces."""
        api_version = obj.get('apiVersion', '')
        group, _, version = api_version.rpartition('/')
        rt = self.registry.by_kind(group, version, obj.get('kind'))
        if rt is None:
            raise errors.bad_request('no resource serves %s %s' % (api_version, obj.get('kind')))
        obj = copy.deepcopy(obj)
        meta = obj.setdefault('metadata', {})
        namespace = meta.get('namespace', 'default') if rt.namespaced else ''
        if rt.namespaced:
            meta['namespace'] = namespace
        with self.storage.lock:
            key = key_of(rt, namespace, meta['name'])
            old = self.storage.get(key)
            meta.setdefault('uid', old['metadata']['uid'] if old else str(uuid.uuid4()))
            meta.setdefault('creationTimestamp',
                            old['metadata']['creationTimestamp'] if old else now_rfc3339())
            meta.pop('resourceVersion', None)
            if rt.generation:
                meta.setdefault('generation', old['metadata'].get('generation', 1) + 1 if old else 1)
            status = obj.get('status')
            if rt.storage_name == ('', 'services'):
                strategies.default_service(obj, self.out(rt, version, old) if old else None, self.ctx)
                obj['status'] = status if status is not None else {'loadBalancer': {}}
            elif rt.storage_name == ('', 'namespaces'):
                obj.setdefault('status', {'phase': 'Active'})
                meta.setdefault('labels', {})['kubernetes.io/metadata.name'] = meta['name']
            stored = self._to_storage(rt, obj)
            if rt.group == 'apiextensions.k8s.io':
                self._finish_crd(stored)
            result = self.storage.update(key, stored) if old else self.storage.create(key, stored)
            if rt.group == 'apiextensions.k8s.io':
                self.registry.set_crd(result, True)
            return result

    def unseed(self, api_version, kind, namespace, name):
        group, _, version = api_version.rpartition('/')
        rt = self.registry.by_kind(group, version, kind)
        if rt is None:
            raise errors.bad_request('no resource serves %s %s' % (api_version, kind))
        with self.storage.lock:
            key = key_of(rt, namespace if rt.namespaced else '', name)
            if self.storage.get(key) is None:
                raise errors.not_found(rt.plural, rt.group, name)
            result = self.storage.delete(key)
            self._after_delete(rt, result)
            return result

    def seed_system_namespaces(self):
        for ns in SYSTEM_NAMESPACES:
            self.seed({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
