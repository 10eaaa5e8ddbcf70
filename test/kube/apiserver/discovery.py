"""Discovery documents: /version, the legacy /api, /apis, /apis/<group>, /<gv> resource
lists, and aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl
1.30+ asks for in its Accept header."""
import hashlib

VERSION = {'major': '1', 'minor': '32', 'gitVersion': 'v1.32.0-bgplb-fixture',
           'gitCommit': '0000000000000000000000000000000000000000', 'gitTreeState': 'clean',
           'buildDate': '2024-12-11T00:00:00Z', 'goVersion': 'go1.23.4', 'compiler': 'gc',
           'platform': 'linux/amd64'}

AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'
STATUS_VERBS = ['get', 'patch', 'update']


def _storage_hash(rt):
    return hashlib.sha256(('%s/%s/%s' % (rt.group, rt.storage_version, rt.kind)).encode()).hexdigest()[:11]


def api_versions(server_address):
    return {'kind': 'APIVersions', 'versions': ['v1'],
            'serverAddressByClientCIDRs': [{'clientCIDR': '0.0.0.0/0', 'serverAddress': server_address}]}


def _group_entry(group, versions, preferred):
    gv = lambda v: '%s/%s' % (group, v)     # noqa: E731
    return {'name': group, 'versions': [{'groupVersion': gv(v), 'version': v} for v in versions],
            'preferredVersion': {'groupVersion': gv(preferred), 'version': preferred}}


def api_group_list(registry):
    return {'kind': 'APIGroupList', 'apiVersion': 'v1',
            'groups': [_group_entry(g, vs, p) for g, vs, p in registry.groups() if g]}


def api_group(registry, group):
    for g, vs, p in registry.groups():
        if g == group and g:
            return dict(_group_entry(g, vs, p), kind='APIGroup', apiVersion='v1')
    return None


def resource_list(registry, group, version):
    rts = registry.in_group_version(group, version)
    if not rts:
        return None
    resources = []
    for rt in rts:
        entry = {'name': rt.plural, 'singularName': rt.singular, 'namespaced': rt.namespaced,
                 'kind': rt.kind, 'verbs': rt.verbs, 'storageVersionHash': _storage_hash(rt)}
        if rt.short_names:
            entry['shortNames'] = rt.short_names
        if rt.categories:
            entry['categories'] = rt.categories
        resources.append(entry)
        for sub in rt.subresources:
            resources.append({'name': '%s/%s' % (rt.plural, sub), 'singularName': '',
                              'namespaced': rt.namespaced, 'kind': rt.kind, 'verbs': STATUS_VERBS})
    return {'kind': 'APIResourceList', 'apiVersion': 'v1',
            'groupVersion': version if not group else '%s/%s' % (group, version), 'resources': resources}


def _aggregated_resource(rt, version):
    entry = {'resource': rt.plural,
             'responseKind': {'group': rt.group, 'version': version, 'kind': rt.kind},
             'scope': 'Namespaced' if rt.namespaced else 'Cluster',
             'singularResource': rt.singular, 'verbs': rt.verbs}
    if rt.short_names:
        entry['shortNames'] = rt.short_names
    if rt.categories:
        entry['categories'] = rt.categories
    if rt.subresources:
        entry['subresources'] = [{'subresource': s, 'responseKind': {'group': rt.group, 'version': version,
                                                                    'kind': rt.kind},
                                  'verbs': STATUS_VERBS} for s in rt.subresources]
    return entry


def aggregated(registry, core):
    """APIGroupDiscoveryList for /api (core=True) or /apis."""
    items = []
    for g, versions, _p in registry.groups():
        if (g == '') != core:
            continue
        vitems = []
        for v in versions:
            vitems.append({'version': v, 'freshness': 'Current',
                           'resources': [_aggregated_resource(rt, v) for rt in registry.in_group_version(g, v)]})
        items.append({'metadata': {'name': g, 'creationTimestamp': None}, 'versions': vitems})
    return {'kind': 'APIGroupDiscoveryList', 'apiVersion': 'apidiscovery.k8s.io/v2',
            'metadata': {}, 'items': items}
