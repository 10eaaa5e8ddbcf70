"""Authentication (client certificates signed by the fixture's CA: CN is the user, O the
groups; bearer tokens from the users table) and RBAC authorization: a user in
`system:masters` may do anything; everyone else gets what the rules configured for them
(the allow-list, RBAC PolicyRule shape plus an optional `namespaces` list) and what the
RBAC objects stored in the server (ClusterRole/Role + bindings) grant, like the RBAC
authorizer. Discovery, version, OpenAPI and health paths are open to every authenticated
user (system:discovery / system:public-info-viewer)."""
import threading

PUBLIC_PATHS = ('/api', '/apis', '/version', '/openapi', '/healthz', '/readyz', '/livez')


class User:
    def __init__(self, name, groups=(), rules=(), token=None):
        self.name = name
        self.groups = list(groups)
        self.rules = [dict(r) for r in rules]
        self.token = token

    def all_groups(self):
        return self.groups + ['system:authenticated']


class Authenticator:
    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}        # name -> User
        self.tokens = {}       # token -> name

    def add(self, user):
        with self.lock:
            old = self.users.get(user.name)
            if old and old.token:
                self.tokens.pop(old.token, None)
            self.users[user.name] = user
            if user.token:
                self.tokens[user.token] = user.name

    def from_certificate(self, peercert):
        """The user a verified client certificate names (None when there is none)."""
        if not peercert:
            return None
        cn, orgs = None, []
        for rdn in peercert.get('subject', ()):
            for k, v in rdn:
                if k == 'commonName':
                    cn = v
                elif k == 'organizationName':
                    orgs.append(v)
        if cn is None:
            return None
        with self.lock:
            known = self.users.get(cn)
        return User(cn, orgs, known.rules if known else ())

    def from_token(self, token):
        with self.lock:
            name = self.tokens.get(token)
            return self.users.get(name) if name else None


def _rule_allows(rule, verb, group, resource, subresource, namespace, name, path=None):
    if path is not None:
        urls = rule.get('nonResourceURLs') or []
        return any(u == '*' or u == path or (u.endswith('*') and path.startswith(u[:-1])) for u in urls) \
            and ('*' in rule.get('verbs', []) or verb in rule.get('verbs', []))
    verbs = rule.get('verbs') or []
    if '*' not in verbs and verb not in verbs:
        return False
    groups = rule.get('apiGroups') or []
    if '*' not in groups and group not in groups:
        return False
    wanted = resource + ('/' + subresource if subresource else '')
    resources = rule.get('resources') or []
    if not any(r == '*' or r == wanted or (subresource and r == '*/' + subresource) for r in resources):
        return False
    names = rule.get('resourceNames') or []
    if names and name not in names:
        return False
    namespaces = rule.get('namespaces')
    if namespaces is not None and namespace not in namespaces and '*' not in namespaces:
        return False
    return True


def _subject_matches(subject, user):
    kind = subject.get('kind')
    if kind == 'User':
        return subject.get('name') == user.name
    if kind == 'Group':
        return subject.get('name') in user.all_groups()
    if kind == 'ServiceAccount':
        return user.name == 'system:serviceaccount:%s:%s' % (subject.get('namespace', ''), subject.get('name'))
    return False


def rbac_rules(storage, user, namespace):
    """PolicyRules the stored RBAC objects grant `user`, cluster-wide and in `namespace`."""
    def role(kind, ns, name):
        if kind == 'ClusterRole':
            obj = storage.get(('rbac.authorization.k8s.io/clusterroles', '', name))
        else:
            obj = storage.get(('rbac.authorization.k8s.io/roles', ns, name))
        return (obj or {}).get('rules') or []
    rules = []
    for _k, b in storage.list(('rbac.authorization.k8s.io/clusterrolebindings',)):
        if any(_subject_matches(s, user) for s in b.get('subjects') or []):
            ref = b.get('roleRef') or {}
            rules += role(ref.get('kind'), '', ref.get('name'))
    if namespace:
        for _k, b in storage.list(('rbac.authorization.k8s.io/rolebindings', namespace)):
            if any(_subject_matches(s, user) for s in b.get('subjects') or []):
                ref = b.get('roleRef') or {}
                rules += role(ref.get('kind'), namespace, ref.get('name'))
    return rules


def authorize(storage, user, verb, group, resource, subresource, namespace, name):
    if 'system:masters' in user.groups:
        return True
    for rule in user.rules + rbac_rules(storage, user, namespace):
        if _rule_allows(rule, verb, group, resource, subresource, namespace, name):
            return True
    return False


def authorize_path(storage, user, verb, path):
    if 'system:masters' in user.groups:
        return True
    if any(path == p or path.startswith(p + '/') for p in PUBLIC_PATHS):
        return True
    return any(_rule_allows(r, verb, None, None, None, None, None, path)
               for r in user.rules + rbac_rules(storage, user, None))
