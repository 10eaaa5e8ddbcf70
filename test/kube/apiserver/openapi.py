"""OpenAPI documents, as far as clients need them: /openapi/v3 (the index of group-versions)
and /openapi/v3/<api|apis/group/version> with, for each resource, its schema (the CRD's
openAPIV3Schema for custom resources, an open object for built-ins) and the item path's
operations carrying x-kubernetes-group-version-kind and the `fieldValidation` query
parameter, which is what kubectl checks before it leaves validation to the server.
Built-in kinds do not list strategic-merge-patch in the PATCH request body, so kubectl
computes apply patches from its compiled-in types (the same patch a cluster would get).
/openapi/v2 is a document without definitions, in JSON or in protobuf (gnostic's
openapi_v2.Document with only `swagger: "2.0"`): kubectl asks for it to validate `List`
manifests on the client and skips kinds it finds no schema for, leaving those to the server."""
import hashlib
import json

_PARAM_FIELD_VALIDATION = {'name': 'fieldValidation', 'in': 'query', 'schema': {'type': 'string', 'uniqueItems': True},
                           'description': 'fieldValidation instructs the server on how to handle objects in '
                                          'the request containing unknown or duplicate fields.'}
_PARAM_DRY_RUN = {'name': 'dryRun', 'in': 'query', 'schema': {'type': 'string', 'uniqueItems': True}}
_PARAM_FIELD_MANAGER = {'name': 'fieldManager', 'in': 'query', 'schema': {'type': 'string', 'uniqueItems': True}}


def gv_path(group, version):
    return 'api/%s' % version if not group else 'apis/%s/%s' % (group, version)


def _schema_name(rt, version):
    rev = '.'.join(reversed(rt.group.split('.'))) if rt.group else 'io.k8s.api.core'
    return '%s.%s.%s' % (rev, version, rt.kind)


def gv_document(registry, group, version):
    rts = registry.in_group_version(group, version)
    if not rts:
        return None
    schemas, paths = {}, {}
    for rt in rts:
        name = _schema_name(rt, version)
        gvk = [{'group': rt.group, 'version': version, 'kind': rt.kind}]
        body = dict(rt.schemas.get(version) or {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True})
        body['x-kubernetes-group-version-kind'] = gvk
        schemas[name] = body
        ref = {'$ref': '#/components/schemas/' + name}
        content = lambda types: {t: {'schema': ref} for t in types}      # noqa: E731
        patch_types = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']
        prefix = '/' + gv_path(group, version) + ('/namespaces/{namespace}' if rt.namespaced else '')
        op = lambda verb, params, req=None: dict(                         # noqa: E731
            {'operationId': '%s%s' % (verb, rt.kind), 'parameters': params,
             'responses': {'200': {'description': 'OK', 'content': content(['application/json'])}},
             'x-kubernetes-action': verb, 'x-kubernetes-group-version-kind': gvk[0]},
            **({'requestBody': {'content': content(req)}} if req else {}))
        write_params = [_PARAM_DRY_RUN, _PARAM_FIELD_MANAGER, _PARAM_FIELD_VALIDATION]
        paths[prefix + '/' + rt.plural] = {
            'get': op('list', []), 'post': op('post', write_params, ['*/*'])}
        item = {'get': op('get', []), 'put': op('put', write_params, ['*/*']),
                'patch': op('patch', write_params + [{'name': 'force', 'in': 'query', 'schema': {'type': 'boolean'}}],
                            patch_types),
                'delete': op('delete', [_PARAM_DRY_RUN])}
        paths[prefix + '/' + rt.plural + '/{name}'] = item
        for sub in rt.subresources:
            paths[prefix + '/' + rt.plural + '/{name}/' + sub] = dict(item)
    return {'openapi': '3.0.0', 'info': {'title': 'Kubernetes', 'version': 'v1.32.0'},
            'paths': paths, 'components': {'schemas': schemas}}


def v3_index(registry):
    out = {}
    for g, versions, _p in registry.groups():
        for v in versions:
            doc = gv_document(registry, g, v)
            digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()
            out[gv_path(g, v)] = {'serverRelativeURL': '/openapi/v3/%s?hash=%s' % (gv_path(g, v), digest)}
    return {'paths': out}


V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'     # what clients ask for
V2_PROTOBUF_REPLY = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'  # what the server answers
# openapi_v2.Document{swagger: "2.0"}: field 1, wire type 2 (length-delimited), 3 bytes.
V2_PROTOBUF_BODY = b'\x0a\x032.0'


def v2_document():
    return {'swagger': '2.0', 'info': {'title': 'Kubernetes', 'version': 'v1.32.0'}, 'paths': {},
            'definitions': {}}
