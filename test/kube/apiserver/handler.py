"""The HTTP side of the API server: request routing (discovery, OpenAPI, health, resource
paths), content negotiation (JSON, Table, PartialObjectMetadata, aggregated discovery),
authentication and authorization, the fault injections and request log of the control
port, and JSON / chunked watch responses."""
import http.server
import json
import time
import urllib.parse

from . import auth, discovery, errors, openapi, tables
from .errors import ApiError
from .selectors import parse_bool
from .watch import Stream, watch_events

JSON = 'application/json'
TABLE_PARAMS = ('table', 'meta.k8s.io', 'v1')


def parse_accept(header):
    """[(type, params)] in the client's order (q-values are not used by Go clients)."""
    out = []
    for part in (header or '*/*').split(','):
        bits = [b.strip() for b in part.split(';')]
        params = {}
        for b in bits[1:]:
            if '=' in b:
                k, v = b.split('=', 1)
                params[k.strip().lower()] = v.strip()
        out.append((bits[0].lower(), params))
    return out


def choose(accept, allow_table=False, allow_partial=False, allow_aggregated=False):
    """('json'|'table'|'partial'|'aggregated', media) or raise 406."""
    for mt, p in parse_accept(accept):
        if mt not in ('application/json', 'application/*', '*/*', 'application/yaml'):
            continue
        as_ = p.get('as')
        if as_ is None:
            return 'json', JSON
        if as_ == 'Table' and p.get('g') == 'meta.k8s.io' and p.get('v') in ('v1', 'v1beta1') and allow_table:
            return 'table', 'application/json;as=Table;v=%s;g=meta.k8s.io' % p['v']
        if as_ in ('PartialObjectMetadata', 'PartialObjectMetadataList') and allow_partial:
            return 'partial', 'application/json;as=%s;v=v1;g=meta.k8s.io' % as_
        if as_ == 'APIGroupDiscoveryList' and p.get('g') == 'apidiscovery.k8s.io' and \
                p.get('v') == 'v2' and allow_aggregated:
            return 'aggregated', discovery.AGGREGATED_V2
    raise errors.not_acceptable(['application/json', 'application/yaml'])


def parse_resource_path(parts):
    """parts after /api/v1 or /apis/g/v -> (namespace, plural, name, sub, watch)."""
    watch = False
    if parts and parts[0] == 'watch':
        watch, parts = True, parts[1:]
    ns = None
    if len(parts) >= 3 and parts[0] == 'namespaces':
        ns, parts = parts[1], parts[2:]
    elif len(parts) in (2, 3) and parts[0] == 'namespaces':
        # /namespaces/NAME[/status]: the Namespace object itself
        return None, 'namespaces', parts[1], parts[2] if len(parts) == 3 else '', watch
    if not parts or len(parts) > 3:
        return None
    return ns, parts[0], parts[1] if len(parts) > 1 else '', parts[2] if len(parts) > 2 else '', watch


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'bgplb-kube-fixture'
    # TCP_NODELAY, as Go's net/http (kube-apiserver) sets on every connection: with Nagle,
    # a response's body waits behind its headers for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):      # quiet: the control port has the request log
        if self.server.state.options.verbose:
            super().log_message(fmt, *args)

    # http.server dispatch
    def do_GET(self):
        self._handle('GET')

    def do_POST(self):
        self._handle('POST')

    def do_PUT(self):
        self._handle('PUT')

    def do_PATCH(self):
        self._handle('PATCH')

    def do_DELETE(self):
        self._handle('DELETE')

    # ---- plumbing ----------------------------------------------------------------

    def _body(self):
        n = int(self.headers.get('Content-Length') or 0)
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            data = b''
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        return self.rfile.read(n) if n else b''

    def _send(self, code, body, content_type=JSON, headers=None):
        data = json.dumps(body, separators=(',', ':')).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Cache-Control', 'no-cache, private')
        for k, v in (headers or {}).items():
            if isinstance(v, list):
                for one in v:
                    self.send_header(k, one)
            else:
                self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.log_entry['status'] = code

    def _error(self, e):
        self._send(e.code, e.status(), headers=e.headers)

    def _user(self):
        state = self.server.state
        authz = self.headers.get('Authorization', '')
        if authz.startswith('Bearer '):
            user = state.authn.from_token(authz[7:].strip())
            if user is None:
                raise errors.unauthorized()
            return user
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        user = state.authn.from_certificate(cert)
        if user is None:
            raise errors.unauthorized()
        return user

    def _handle(self, method):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        self.log_entry = {'time': time.time(), 'method': method, 'path': url.path, 'query': query,
                          'content_type': self.headers.get('Content-Type', ''),
                          'accept': self.headers.get('Accept', ''), 'user': None, 'status': None,
                          'user_agent': self.headers.get('User-Agent', ''), 'client': self.client_address[0]}
        try:
            body = self._body() if method in ('POST', 'PUT', 'PATCH', 'DELETE') else b''
            if body:
                try:
                    self.log_entry['body'] = json.loads(body)
                except ValueError:
                    self.log_entry['body'] = body.decode('utf-8', 'replace')
            user = self._user()
            self.log_entry['user'] = user.name
            fault = state.take_fault(method, url.path, query)
            if fault is not None:
                raise fault
            self._route(method, url.path.rstrip('/') or '/', query, body, user)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            state.record(self.log_entry)

    def _route(self, method, path, query, body, user):
        state = self.server.state
        parts = [p for p in path.split('/') if p]
        is_resource = parts and ((parts[0] == 'api' and len(parts) >= 3) or
                                 (parts[0] == 'apis' and len(parts) >= 4))
        if not is_resource:
            if not auth.authorize_path(state.storage, user, method.lower(), path):
                raise ApiError(403, 'Forbidden', 'forbidden: User "%s" cannot %s path "%s"'
                               % (user.name, method.lower(), path), {})
            return self._non_resource(method, path, parts)
        if parts[0] == 'api':
            group, version, rest = '', parts[1], parts[2:]
        else:
            group, version, rest = parts[1], parts[2], parts[3:]
        parsed = parse_resource_path(rest)
        if parsed is None:
            raise errors.resource_not_found()
        namespace, plural, name, sub, watch = parsed
        rt = state.registry.lookup(group, version, plural)
        if rt is None or (namespace is not None and not rt.namespaced):
            raise errors.resource_not_found()
        if sub and (sub not in rt.subresources or not name):
            raise errors.resource_not_found()
        if rt.namespaced and name and namespace is None:
            raise errors.resource_not_found()
        ns = namespace or ''
        if parse_bool(query.get('watch')):
            watch = True
        verb = {'GET': 'watch' if watch else ('get' if name else 'list'),
                'POST': 'create', 'PUT': 'update', 'PATCH': 'patch',
                'DELETE': 'delete' if name else 'deletecollection'}[method]
        if method == 'POST' and name:
            raise errors.method_not_allowed()
        if not name and method in ('PUT', 'PATCH'):
            raise errors.method_not_allowed()
        if verb not in rt.verbs and not sub:
            raise errors.method_not_allowed()
        if not auth.authorize(state.storage, user, verb, group, rt.plural, sub, ns, name):
            raise errors.forbidden(user.name, verb, rt.plural, group, ns, name, sub)
        self._serve_resource(verb, rt, version, ns, name, sub, query, body)

    def _non_resource(self, method, path, parts):
        state = self.server.state
        if method != 'GET':
            raise errors.method_not_allowed()
        reg = state.registry
        if path in ('/healthz', '/readyz', '/livez'):
            return self._send(200, b'ok', 'text/plain; charset=utf-8')
        if path == '/version':
            return self._send(200, discovery.VERSION)
        if path in ('/api', '/apis'):
            mode, media = choose(self.headers.get('Accept'), allow_aggregated=True)
            if mode == 'aggregated':
                return self._send(200, discovery.aggregated(reg, path == '/api'), media)
            if path == '/api':
                return self._send(200, discovery.api_versions(state.address))
            return self._send(200, discovery.api_group_list(reg))
        if parts[0] == 'apis' and len(parts) == 2:
            doc = discovery.api_group(reg, parts[1])
            if doc is None:
                raise errors.resource_not_found()
            return self._send(200, doc)
        if parts[0] in ('api', 'apis') and len(parts) in (2, 3):
            group, version = ('', parts[1]) if parts[0] == 'api' else (parts[1], parts[2])
            doc = discovery.resource_list(reg, group, version)
            if doc is None:
                raise errors.resource_not_found()
            return self._send(200, doc)
        if path == '/openapi/v3':
            return self._send(200, openapi.v3_index(reg))
        if path.startswith('/openapi/v3/'):
            sub = path[len('/openapi/v3/'):].split('/')
            gv = ('', sub[1]) if sub[0] == 'api' and len(sub) == 2 else \
                (sub[1], sub[2]) if sub[0] == 'apis' and len(sub) == 3 else None
            doc = openapi.gv_document(reg, *gv) if gv else None
            if doc is None:
                raise errors.resource_not_found()
            return self._send(200, doc, headers={'Cache-Control': 'public, immutable'})
        if path == '/openapi/v2':
            if any(mt == openapi.V2_PROTOBUF for mt, _p in parse_accept(self.headers.get('Accept'))):
                return self._send(200, openapi.V2_PROTOBUF_BODY, openapi.V2_PROTOBUF_REPLY)
            choose(self.headers.get('Accept'))
            return self._send(200, openapi.v2_document())
        self._send(404, b'404 page not found\n', 'text/plain; charset=utf-8')

    # ---- resources ---------------------------------------------------------------

    def _warn(self, warnings):
        warnings = ([self.deprecation] if self.deprecation else []) + list(warnings)
        return {'Warning': ['299 - "%s"' % w.replace('"', '\\"') for w in warnings]} if warnings else {}

    def _serve_resource(self, verb, rt, version, ns, name, sub, query, body):
        api = self.server.state.api
        self.deprecation = rt.deprecated.get(version)
        accept = self.headers.get('Accept')
        reads = verb in ('get', 'list', 'watch')
        mode, media = choose(accept, allow_table=reads, allow_partial=reads) if reads else choose(accept)
        if verb == 'watch':
            return self._watch(rt, version, ns, query, mode, media)
        if verb == 'get':
            obj = api.get(rt, version, ns, name)
            return self._send(200, self._shape(rt, version, obj, mode, query, single=True), media,
                              self._warn([]))
        if verb == 'list':
            lst = api.list(rt, version, ns, query)
            return self._send(200, self._shape(rt, version, lst, mode, query), media, self._warn([]))
        ctype = (self.headers.get('Content-Type') or JSON).split(';')[0].strip().lower()
        if verb == 'patch':
            obj, warnings = api.patch(rt, version, ns, name, ctype, body, query, sub)
            return self._send(200, obj, headers=self._warn(warnings))
        payload = self._decode(body, ctype) if body else None
        if verb == 'create':
            if payload is None:
                raise errors.bad_request('the body of the request was empty')
            obj, warnings = api.create(rt, version, ns, payload, query)
            return self._send(201, obj, headers=self._warn(warnings))
        if verb == 'update':
            obj, warnings = api.update(rt, version, ns, name, payload, query, sub)
            return self._send(200, obj, headers=self._warn(warnings))
        if verb == 'delete':
            result = api.delete(rt, version, ns, name, payload, query)
            return self._send(200, result, headers=self._warn([]))
        if verb == 'deletecollection':
            return self._send(200, api.delete_collection(rt, version, ns, payload, query))

    def _decode(self, body, ctype):
        if ctype in ('application/json', '*/*', ''):
            try:
                return json.loads(body)
            except ValueError as e:
                raise errors.bad_request('couldn\'t get version/kind; json parse error: %s' % e)
        if ctype in ('application/yaml', 'application/x-yaml'):
            import yaml
            return yaml.safe_load(body)
        raise errors.unsupported_media_type(['application/json', 'application/yaml'])

    def _shape(self, rt, version, obj, mode, query, single=False):
        if mode == 'json':
            return obj
        items = [obj] if single else obj['items']
        meta = {'resourceVersion': obj['metadata'].get('resourceVersion', '')}
        if not single:
            meta = obj['metadata']
        if mode == 'table':
            return tables.table(rt, version, items, meta, query.get('includeObject', 'Metadata'))
        partial = [{'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1',
                    'metadata': o['metadata']} for o in items]
        if single:
            return partial[0]
        return {'kind': 'PartialObjectMetadataList', 'apiVersion': 'meta.k8s.io/v1',
                'metadata': meta, 'items': partial}

    def _watch(self, rt, version, ns, query, mode, media):
        state = self.server.state
        stream = Stream()
        events = watch_events(state.api, rt, version, ns, query, stream, state.options)
        next(events)                    # ('start', None), or ApiError before any header is written
        self.send_response(200)
        self.send_header('Content-Type', media)
        self.send_header('Transfer-Encoding', 'chunked')
        self.send_header('Cache-Control', 'no-cache, private')
        self.end_headers()
        self.log_entry['status'] = 200
        self.log_entry['watch'] = True
        self.close_connection = True
        try:
            kind, value = next(events)
            while True:
                if kind == 'end':
                    return self._end_stream(value)
                ev = value
                if mode != 'json' and ev['type'] in ('ADDED', 'MODIFIED', 'DELETED'):
                    ev = {'type': ev['type'], 'object': self._shape(rt, version, ev['object'], mode, query,
                                                                    single=True)}
                self._chunk((json.dumps(ev, separators=(',', ':')) + '\n').encode())
                kind, value = next(events)
        except (BrokenPipeError, ConnectionResetError, OSError):
            return
        finally:
            events.close()

    def _chunk(self, data):
        self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
        self.wfile.flush()

    def _end_stream(self, how):
        if how == 'partial':        # half an event, then the connection goes
            self._chunk(b'{"type":"MODIFIED","object":{"kind":')
        if how == 'clean':
            self.wfile.write(b'0\r\n\r\n')
            self.wfile.flush()
            return
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass
