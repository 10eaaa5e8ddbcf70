"""What resources the server serves: the built-in table (the kinds bgplb and its manifests
use) and the resources each established CustomResourceDefinition adds, one ResourceType per
(group, resource) with every served version."""
import threading


class ResourceType:
    def __init__(self, group, versions, kind, plural, namespaced, short_names=(), singular=None,
                 subresources=(), categories=(), generation=False, unconditional_update=True,
                 storage_version=None, storage_name=None, list_kind=None, verbs=None,
                 schemas=None, columns=None, crd=None, strategic_merge=True, deprecated=None):
        self.group = group
        self.versions = list(versions)               # served, preferred first
        self.kind = kind
        self.plural = plural
        self.singular = singular or kind.lower()
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.subresources = list(subresources)       # 'status'
        self.categories = list(categories)
        self.generation = generation                 # metadata.generation tracks spec changes
        self.unconditional_update = unconditional_update   # PUT without resourceVersion allowed
        self.storage_version = storage_version or self.versions[0]
        self.storage_name = storage_name or (group, plural)    # shared storage (events)
        self.list_kind = list_kind or kind + 'List'
        self.verbs = verbs or ['create', 'delete', 'deletecollection', 'get', 'list', 'patch',
                               'update', 'watch']
        self.schemas = schemas or {}                 # version -> openAPIV3Schema (CRDs)
        self.columns = columns or {}                 # version -> additionalPrinterColumns
        self.crd = crd                               # the CRD's name for custom resources
        self.strategic_merge = strategic_merge       # built-ins only; CRs refuse it
        self.deprecated = deprecated or {}           # version -> Warning header text

    def api_version(self, version):
        return version if not self.group else '%s/%s' % (self.group, version)

    @property
    def has_status(self):
        return 'status' in self.subresources


def _b(group, versions, kind, plural, namespaced, short=(), **kw):
    return ResourceType(group, versions, kind, plural, namespaced, short, **kw)


ALL = ['all']
BUILTINS = [
    _b('', ['v1'], 'Namespace', 'namespaces', False, ['ns'], subresources=['status'],
       verbs=['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    _b('', ['v1'], 'Service', 'services', True, ['svc'], subresources=['status'], categories=ALL,
       verbs=['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
    _b('', ['v1'], 'Node', 'nodes', False, ['no'], subresources=['status']),
    _b('', ['v1'], 'Secret', 'secrets', True),
    _b('', ['v1'], 'ConfigMap', 'configmaps', True, ['cm']),
    _b('', ['v1'], 'ServiceAccount', 'serviceaccounts', True, ['sa']),
    _b('', ['v1'], 'Event', 'events', True, ['ev'], storage_name=('', 'events')),
    _b('discovery.k8s.io', ['v1'], 'EndpointSlice', 'endpointslices', True, generation=True),
    _b('events.k8s.io', ['v1'], 'Event', 'events', True, ['ev'], storage_name=('', 'events')),
    _b('coordination.k8s.io', ['v1'], 'Lease', 'leases', True),
    _b('apps', ['v1'], 'Deployment', 'deployments', True, ['deploy'], subresources=['status'],
       categories=ALL, generation=True),
    _b('apps', ['v1'], 'DaemonSet', 'daemonsets', True, ['ds'], subresources=['status'],
       categories=ALL, generation=True),
    _b('rbac.authorization.k8s.io', ['v1'], 'ClusterRole', 'clusterroles', False),
    _b('rbac.authorization.k8s.io', ['v1'], 'ClusterRoleBinding', 'clusterrolebindings', False),
    _b('rbac.authorization.k8s.io', ['v1'], 'Role', 'roles', True),
    _b('rbac.authorization.k8s.io', ['v1'], 'RoleBinding', 'rolebindings', True),
    _b('apiextensions.k8s.io', ['v1'], 'CustomResourceDefinition', 'customresourcedefinitions',
       False, ['crd', 'crds'], subresources=['status'], categories=['api-extensions'],
       generation=True),
]


def from_crd(crd):
    """The ResourceType a CustomResourceDefinition (apiextensions.k8s.io/v1) defines, or None
    when it serves no version."""
    spec = crd.get('spec', {})
    names = spec.get('names', {})
    served = [v for v in spec.get('versions', []) if v.get('served')]
    if not served:
        return None
    storage = next((v['name'] for v in spec.get('versions', []) if v.get('storage')), served[0]['name'])
    # Discovery lists versions by kube-aware version priority (v1 > v1beta2 > v1beta1 > v1alpha1).
    ordered = sorted(served, key=lambda v: version_priority(v['name']))
    subresources = set()
    schemas, columns, deprecated = {}, {}, {}
    for v in served:
        if v.get('deprecated'):
            deprecated[v['name']] = v.get('deprecationWarning') or '%s/%s %s is deprecated' % (
                spec.get('group', ''), v['name'], names.get('kind', ''))
        if 'status' in (v.get('subresources') or {}):
            subresources.add('status')
        schemas[v['name']] = (v.get('schema') or {}).get('openAPIV3Schema') or {}
        columns[v['name']] = v.get('additionalPrinterColumns') or []
    return ResourceType(
        spec.get('group', ''), [v['name'] for v in ordered], names.get('kind', ''),
        names.get('plural', ''), spec.get('scope') == 'Namespaced',
        names.get('shortNames') or [], singular=names.get('singular') or names.get('kind', '').lower(),
        subresources=sorted(subresources), categories=names.get('categories') or [],
        generation=True, unconditional_update=False, storage_version=storage,
        list_kind=names.get('listKind'), schemas=schemas, columns=columns,
        crd=crd['metadata']['name'], strategic_merge=False, deprecated=deprecated)


def version_priority(name):
    """Sort key: GA versions first (highest major first), then beta, then alpha, then others
    alphabetically; what apimachinery's CompareKubeAwareVersionStrings orders."""
    import re
    m = re.fullmatch(r'v(\d+)(?:(alpha|beta)(\d+))?', name)
    if not m:
        return (3, 0, 0, name)
    major, tier, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, 'beta': 1, 'alpha': 2}[tier]
    return (rank, -major, -minor, name)


class Registry:
    """Thread-safe lookup of resource types by (group, version, plural) and by kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.builtin = list(BUILTINS)
        self.custom = {}     # crd name -> ResourceType

    def all(self):
        with self.lock:
            return self.builtin + list(self.custom.values())

    def set_crd(self, crd, established):
        name = crd['metadata']['name']
        with self.lock:
            rt = from_crd(crd) if established else None
            if rt is None:
                self.custom.pop(name, None)
            else:
                self.custom[name] = rt

    def remove_crd(self, name):
        with self.lock:
            self.custom.pop(name, None)

    def lookup(self, group, version, plural):
        for rt in self.all():
            if rt.group == group and rt.plural == plural and version in rt.versions:
                return rt
        return None

    def by_kind(self, group, version, kind):
        for rt in self.all():
            if rt.group == group and rt.kind == kind and version in rt.versions:
                return rt
        return None

    def groups(self):
        """[(group, [versions], preferred)] in discovery order: built-in groups first, then
        custom groups by name."""
        seen = {}
        order = []
        for rt in self.all():
            if rt.group not in seen:
                seen[rt.group] = []
                order.append(rt.group)
            for v in rt.versions:
                if v not in seen[rt.group]:
                    seen[rt.group].append(v)
        out = []
        for g in order:
            vs = sorted(seen[g], key=version_priority)
            out.append((g, vs, vs[0]))
        return out

    def in_group_version(self, group, version):
        return [rt for rt in self.all() if rt.group == group and version in rt.versions]
