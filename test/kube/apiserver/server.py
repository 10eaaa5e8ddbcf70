"""Assembly of the fixture: state shared by the API and control ports, the HTTPS server
(TLS 1.2+, client certificates optional and verified against the fixture's CA, HTTP/1.1),
the credentials and kubeconfigs it writes into its state directory, and taking the API
port down and up again (an API outage)."""
import json
import os
import re
import secrets
import socket
import socketserver
import ssl
import threading
import http.server

from . import auth, certs, errors
from .handler import Handler
from .registry import Registry
from .rest import Api
from .selectors import parse_bool
from .storage import Storage


class Options:
    def __init__(self, **kw):
        self.bookmark_interval = 60.0       # seconds between BOOKMARK events (kube: ~1 min)
        self.watch_timeout_seconds = 1800.0  # longest watch (kube: 30-60 min)
        self.list_wait_seconds = 3.0        # a too-new resourceVersion waits this long, then 504
        self.verbose = False
        for k, v in kw.items():
            setattr(self, k, v)


class Fault:
    def __init__(self, spec):
        self.status = int(spec.get('status', 429))
        self.count = int(spec.get('count', 1))
        self.retry_after = spec.get('retryAfter', 1 if self.status == 429 else None)
        self.method = spec.get('method')
        self.path = re.compile(spec['path']) if spec.get('path') else None
        self.watch = spec.get('watch')
        self.message = spec.get('message')

    def matches(self, method, path, query):
        if self.method and self.method.upper() != method:
            return False
        if self.path and not self.path.search(path):
            return False
        if self.watch is not None and bool(parse_bool(query.get('watch'))) != bool(self.watch):
            return False
        return True

    def error(self):
        if self.status == 429:
            return errors.too_many_requests(int(self.retry_after))
        reasons = {500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout', 409: 'Conflict',
                   410: 'Expired', 403: 'Forbidden', 401: 'Unauthorized'}
        e = errors.ApiError(self.status, reasons.get(self.status, 'Unknown'),
                            self.message or 'injected failure (HTTP %d)' % self.status)
        if self.retry_after is not None:
            e.headers['Retry-After'] = str(self.retry_after)
            e.details = {'retryAfterSeconds': int(self.retry_after)}
        return e


class State:
    def __init__(self, options, state_dir):
        self.options = options
        self.state_dir = state_dir
        self.storage = Storage()
        self.registry = Registry()
        self.authn = auth.Authenticator()
        self.api = Api(self.storage, self.registry, options)
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.log_base = 0            # index of log[0] in the whole request history
        self.address = ''

    def take_fault(self, method, path, query):
        with self.lock:
            for f in self.faults:
                if f.count > 0 and f.matches(method, path, query):
                    f.count -= 1
                    return f.error()
        return None

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > 20000:
                drop = len(self.log) - 20000
                del self.log[:drop]
                self.log_base += drop

    # ---- credentials -------------------------------------------------------------

    def add_user(self, name, groups=(), rules=(), token=None, cert=True):
        """Register a user; writes its token, client certificate and kubeconfigs. Returns
        the file paths and the token."""
        token = token or secrets.token_hex(24)
        self.authn.add(auth.User(name, groups, rules, token))
        stem = name.replace(':', '_').replace('/', '_')
        out = {'name': name, 'token': token}
        token_file = os.path.join(self.state_dir, 'token-%s' % stem)
        with open(token_file, 'w') as f:
            f.write(token)
        out['tokenFile'] = token_file
        if cert:
            key, crt = certs.make_client(self.state_dir, name, groups)
            out['cert'], out['key'] = crt, key
            out['kubeconfig'] = self._kubeconfig('kubeconfig-%s' % stem, name,
                                                 {'client-certificate': crt, 'client-key': key})
        out['kubeconfigToken'] = self._kubeconfig('kubeconfig-%s-token' % stem, name, {'token': token})
        return out

    def _kubeconfig(self, filename, user, credentials):
        path = os.path.join(self.state_dir, filename)
        doc = {'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'fixture',
               'clusters': [{'name': 'fixture', 'cluster': {
                   'server': 'https://' + self.address,
                   'certificate-authority': os.path.join(self.state_dir, 'ca.crt')}}],
               'users': [{'name': user, 'user': credentials}],
               'contexts': [{'name': 'fixture', 'context': {'cluster': 'fixture', 'user': user,
                                                             'namespace': 'default'}}],
               'preferences': {}}
        with open(path, 'w') as f:
            json.dump(doc, f, indent=1)        # JSON is YAML: every client reads it
        return path


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """HTTPS with the TLS handshake in the connection's thread, not the accept loop."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state, context):
        self.state = state
        self.context = context
        self.connections = set()
        self.conn_lock = threading.Lock()
        family = socket.AF_INET6 if ':' in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self.conn_lock:
            self.connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with self.conn_lock:
                self.connections.discard(tls)

    def drop_connections(self):
        with self.conn_lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def tls_context(state_dir):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(state_dir, 'server.crt'), os.path.join(state_dir, 'server.key'))
    ctx.load_verify_locations(os.path.join(state_dir, 'ca.crt'))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(['http/1.1'])
    return ctx


class ApiPort:
    """The HTTPS listener; down() closes it and every connection, up() reopens the port."""

    def __init__(self, state, host, port):
        self.state = state
        self.host = host
        self.context = tls_context(state.state_dir)
        self.server = None
        self.thread = None
        self.port = port
        self.up()

    def up(self):
        if self.server is not None:
            return
        self.server = TLSServer((self.host, self.port), self.state, self.context)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       kwargs={'poll_interval': 0.1})
        self.thread.start()

    def down(self):
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server.drop_connections()
        self.server = None
