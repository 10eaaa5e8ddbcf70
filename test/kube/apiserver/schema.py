"""Structural schemas (apiextensions.k8s.io/v1 openAPIV3Schema): pruning of unknown fields,
defaulting, and validation of the OpenAPI v3 subset CRDs use (type, properties, required,
additionalProperties, items, enum, format, minimum/maximum (exclusive), multipleOf,
min/maxLength, pattern, min/maxItems, uniqueItems, min/maxProperties, nullable, allOf,
anyOf, oneOf, not, x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields,
x-kubernetes-embedded-resource, x-kubernetes-list-type set/map with
x-kubernetes-list-map-keys). Not evaluated: x-kubernetes-validations (CEL rules): a real
API server evaluates them; scripts/kube-check.sh runs the manifests against one.

Errors come back as (field path, cause reason, message) triples with the wording of
k8s.io/apiextensions-apiserver's validation, so Status bodies read like a cluster's."""
import copy
import ipaddress
import json
import re
import uuid as uuidlib


def _fmt(value):
    return json.dumps(value) if isinstance(value, str) else json.dumps(value, separators=(',', ':'))


def _join(path, key):
    return key if not path else '%s.%s' % (path, key)


def _type_of(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


# ---- pruning ---------------------------------------------------------------------------


def unknown_fields(schema, value, path=''):
    """Field paths present in `value` but not in the schema (what pruning would drop)."""
    out = []
    if not isinstance(schema, dict):
        return out
    if isinstance(value, dict):
        if schema.get('x-kubernetes-preserve-unknown-fields') and 'properties' not in schema \
                and 'additionalProperties' not in schema:
            return out
        props = schema.get('properties')
        addl = schema.get('additionalProperties')
        embedded = schema.get('x-kubernetes-embedded-resource')
        for k, v in value.items():
            if props is not None and k in props:
                out += unknown_fields(props[k], v, _join(path, k))
            elif isinstance(addl, dict):
                out += unknown_fields(addl, v, _join(path, k))
            elif addl is True or schema.get('x-kubernetes-preserve-unknown-fields'):
                continue
            elif embedded and k in ('apiVersion', 'kind', 'metadata'):
                continue
            elif props is not None or schema.get('type') == 'object':
                out.append(_join(path, k))
    elif isinstance(value, list) and isinstance(schema.get('items'), dict):
        for i, v in enumerate(value):
            out += unknown_fields(schema['items'], v, '%s[%d]' % (path, i))
    return out


def prune(schema, value):
    """Drop every field the schema does not specify (apiextensions pruning)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        if schema.get('x-kubernetes-preserve-unknown-fields') and 'properties' not in schema \
                and 'additionalProperties' not in schema:
            return value
        props = schema.get('properties')
        addl = schema.get('additionalProperties')
        out = {}
        for k, v in value.items():
            if props is not None and k in props:
                out[k] = prune(props[k], v)
            elif isinstance(addl, dict):
                out[k] = prune(addl, v)
            elif addl is True or schema.get('x-kubernetes-preserve-unknown-fields'):
                out[k] = v
            elif schema.get('x-kubernetes-embedded-resource') and k in ('apiVersion', 'kind', 'metadata'):
                out[k] = v
            elif props is None and schema.get('type') != 'object':
                out[k] = v
        return out
    if isinstance(value, list) and isinstance(schema.get('items'), dict):
        return [prune(schema['items'], v) for v in value]
    return value


# ---- defaulting ------------------------------------------------------------------------


def apply_defaults(schema, value):
    """Fill `default`s of absent properties, depth first (structural defaulting)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        for k, sub in (schema.get('properties') or {}).items():
            if k not in value and isinstance(sub, dict) and 'default' in sub:
                value[k] = copy.deepcopy(sub['default'])
            if k in value:
                value[k] = apply_defaults(sub, value[k])
        addl = schema.get('additionalProperties')
        if isinstance(addl, dict):
            for k in list(value):
                if k not in (schema.get('properties') or {}):
                    value[k] = apply_defaults(addl, value[k])
    elif isinstance(value, list) and isinstance(schema.get('items'), dict):
        return [apply_defaults(schema['items'], v) for v in value]
    return value


# ---- validation ------------------------------------------------------------------------

_FORMATS = {
    'ipv4': lambda s: isinstance(ipaddress.ip_address(s), ipaddress.IPv4Address),
    'ipv6': lambda s: isinstance(ipaddress.ip_address(s), ipaddress.IPv6Address),
    'cidr': lambda s: ipaddress.ip_network(s, strict=False) is not None,
    'uuid': lambda s: uuidlib.UUID(s) is not None,
    'date-time': lambda s: re.fullmatch(
        r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)', s) is not None,
    'date': lambda s: re.fullmatch(r'\d{4}-\d\d-\d\d', s) is not None,
    'byte': lambda s: re.fullmatch(r'[A-Za-z0-9+/]*={0,2}', s) is not None and len(s) % 4 == 0,
    'hostname': lambda s: re.fullmatch(
        r'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', s) is not None,
}


def _format_ok(fmt, value):
    check = _FORMATS.get(fmt)
    if check is None:
        return True          # int32, int64, double, password, ...: not checked for strings
    try:
        return bool(check(value))
    except ValueError:
        return False


def validate(schema, value, path=''):
    """[(field, reason, message)] for every rule `value` breaks."""
    errs = []
    _validate(schema, value, path, errs)
    return errs


def _validate(schema, value, path, errs):
    if not isinstance(schema, dict) or not schema:
        return
    shown = path or '<root>'
    if value is None:
        if not schema.get('nullable') and schema.get('type') and \
                not schema.get('x-kubernetes-preserve-unknown-fields'):
            errs.append((shown, 'FieldValueTypeInvalid',
                         'Invalid value: "null": %s in body must be of type %s: "null"'
                         % (shown, schema['type'])))
        return
    t = schema.get('type')
    actual = _type_of(value)
    if schema.get('x-kubernetes-int-or-string'):
        if actual not in ('integer', 'string'):
            errs.append((shown, 'FieldValueTypeInvalid', 'Invalid value: %s: %s in body must be of '
                         'type integer,string: "%s"' % (_fmt(value), shown, actual)))
            return
    elif t and not (t == actual or (t == 'number' and actual == 'integer')):
        errs.append((shown, 'FieldValueTypeInvalid', 'Invalid value: "%s": %s in body must be of '
                     'type %s: "%s"' % (actual, shown, t, actual)))
        return
    if 'enum' in schema and value not in schema['enum']:
        errs.append((shown, 'FieldValueNotSupported', 'Unsupported value: %s: supported values: %s'
                     % (_fmt(value), ', '.join(_fmt(e) for e in schema['enum']))))
    if actual in ('integer', 'number'):
        _numeric(schema, value, shown, errs)
    elif actual == 'string':
        _string(schema, value, shown, errs)
    elif actual == 'array':
        _array(schema, value, path, shown, errs)
    elif actual == 'object':
        _object(schema, value, path, shown, errs)
    for sub in schema.get('allOf') or []:
        _validate(sub, value, path, errs)
    if schema.get('anyOf'):
        if not any(not validate(sub, value, path) for sub in schema['anyOf']):
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body must be '
                         'valid against any of the schemas' % (_fmt(value), shown)))
    if schema.get('oneOf'):
        n = sum(1 for sub in schema['oneOf'] if not validate(sub, value, path))
        if n != 1:
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body must '
                         'validate one and only one schema (oneOf)' % (_fmt(value), shown)))
    if isinstance(schema.get('not'), dict) and not validate(schema['not'], value, path):
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body must not '
                     'validate the schema (not)' % (_fmt(value), shown)))


def _numeric(schema, value, shown, errs):
    if 'maximum' in schema:
        if schema.get('exclusiveMaximum') and value >= schema['maximum']:
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be less '
                         'than %s' % (_fmt(value), shown, schema['maximum'])))
        elif value > schema['maximum']:
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be less '
                         'than or equal to %s' % (_fmt(value), shown, schema['maximum'])))
    if 'minimum' in schema:
        if schema.get('exclusiveMinimum') and value <= schema['minimum']:
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be '
                         'greater than %s' % (_fmt(value), shown, schema['minimum'])))
        elif value < schema['minimum']:
            errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be '
                         'greater than or equal to %s' % (_fmt(value), shown, schema['minimum'])))
    if schema.get('multipleOf') and value % schema['multipleOf']:
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be a '
                     'multiple of %s' % (_fmt(value), shown, schema['multipleOf'])))


def _string(schema, value, shown, errs):
    if 'maxLength' in schema and len(value) > schema['maxLength']:
        errs.append((shown, 'FieldValueTooLong', 'Too long: may not be more than %d bytes'
                     % schema['maxLength']))
    if 'minLength' in schema and len(value) < schema['minLength']:
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should be at '
                     'least %d chars long' % (_fmt(value), shown, schema['minLength'])))
    if 'pattern' in schema and not re.search(schema['pattern'], value):
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body should match '
                     "'%s'" % (_fmt(value), shown, schema['pattern'])))
    if 'format' in schema and not schema.get('x-kubernetes-int-or-string') \
            and not _format_ok(schema['format'], value):
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %s: %s in body must be of type '
                     '%s: %s' % (_fmt(value), shown, schema['format'], _fmt(value))))


def _array(schema, value, path, shown, errs):
    if 'maxItems' in schema and len(value) > schema['maxItems']:
        errs.append((shown, 'FieldValueTooMany', 'Too many: %d: must have at most %d items'
                     % (len(value), schema['maxItems'])))
    if 'minItems' in schema and len(value) < schema['minItems']:
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %d: %s in body should have at '
                     'least %d items' % (len(value), shown, schema['minItems'])))
    list_type = schema.get('x-kubernetes-list-type')
    if schema.get('uniqueItems') or list_type == 'set':
        seen = []
        for i, v in enumerate(value):
            if v in seen:
                errs.append(('%s[%d]' % (path, i), 'FieldValueDuplicate',
                             'Duplicate value: %s' % _fmt(v)))
            seen.append(v)
    if list_type == 'map':
        keys = schema.get('x-kubernetes-list-map-keys') or []
        seen = []
        for i, v in enumerate(value):
            k = tuple((v or {}).get(key) for key in keys) if isinstance(v, dict) else None
            if k in seen:
                errs.append(('%s[%d]' % (path, i), 'FieldValueDuplicate', 'Duplicate value: %s'
                             % _fmt({key: (v or {}).get(key) for key in keys})))
            seen.append(k)
    if isinstance(schema.get('items'), dict):
        for i, v in enumerate(value):
            _validate(schema['items'], v, '%s[%d]' % (path, i), errs)


def _object(schema, value, path, shown, errs):
    for req in schema.get('required') or []:
        if req not in value:
            errs.append((_join(path, req), 'FieldValueRequired', 'Required value'))
    if 'maxProperties' in schema and len(value) > schema['maxProperties']:
        errs.append((shown, 'FieldValueTooMany', 'Too many: %d: must have at most %d items'
                     % (len(value), schema['maxProperties'])))
    if 'minProperties' in schema and len(value) < schema['minProperties']:
        errs.append((shown, 'FieldValueInvalid', 'Invalid value: %d: %s in body should have at '
                     'least %d properties' % (len(value), shown, schema['minProperties'])))
    props = schema.get('properties') or {}
    addl = schema.get('additionalProperties')
    for k, v in value.items():
        if k in props:
            _validate(props[k], v, _join(path, k), errs)
        elif isinstance(addl, dict):
            _validate(addl, v, _join(path, k), errs)


# ---- the schema itself -----------------------------------------------------------------

_STRUCTURAL_KEYS = {'type', 'properties', 'additionalProperties', 'items', 'required',
                    'description', 'default', 'nullable', 'enum', 'format', 'maximum', 'minimum',
                    'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf', 'maxLength',
                    'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems',
                    'maxProperties', 'minProperties', 'allOf', 'anyOf', 'oneOf', 'not', 'title',
                    'example', 'externalDocs', 'x-kubernetes-int-or-string',
                    'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
                    'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
                    'x-kubernetes-map-type', 'x-kubernetes-validations'}


def structural_errors(schema, path='spec.versions[].schema.openAPIV3Schema'):
    """Reasons a CRD's schema is not structural (the apiextensions rules the fixture checks:
    known keywords only, a type on every node unless int-or-string / preserve-unknown-fields,
    properties and additionalProperties not both set)."""
    errs = []
    if not isinstance(schema, dict):
        return ['%s: must be an object' % path]
    for k in schema:
        if k not in _STRUCTURAL_KEYS:
            errs.append('%s.%s: Forbidden: unsupported keyword' % (path, k))
    if 'type' not in schema and not schema.get('x-kubernetes-int-or-string') \
            and not schema.get('x-kubernetes-preserve-unknown-fields'):
        errs.append('%s.type: Required value: must not be empty for specified object fields' % path)
    if 'properties' in schema and isinstance(schema.get('additionalProperties'), dict):
        errs.append('%s.additionalProperties: Forbidden: additionalProperties and properties '
                    'are mutual exclusive' % path)
    for k, sub in (schema.get('properties') or {}).items():
        errs += structural_errors(sub, '%s.properties[%s]' % (path, k))
    if isinstance(schema.get('items'), dict):
        errs += structural_errors(schema['items'], path + '.items')
    if isinstance(schema.get('additionalProperties'), dict):
        errs += structural_errors(schema['additionalProperties'], path + '.additionalProperties')
    return errs
