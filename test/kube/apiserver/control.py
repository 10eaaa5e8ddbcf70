"""The test-control port: plain HTTP on 127.0.0.1, JSON in and out, no authentication (it
binds loopback only). Routes (test/kube/README.md documents them):

  GET    /state                       url, resourceVersion, compactedResourceVersion, watches
  POST   /objects                     seed an object or a List (status kept, no admission)
  DELETE /objects?apiVersion&kind&namespace&name
  GET    /objects?apiVersion&kind[&namespace]   stored objects of a kind (served version)
  POST   /compact        {"resourceVersion": N}?     forget history (410 Gone before it)
  POST   /drop-watches   {"afterEvents": N, "how": "abort"|"partial"|"clean"}
  POST   /bookmark                    every open watch with bookmarks sends one now
  POST   /faults         {"status", "count", "retryAfter", "method", "path", "watch", "message"}
  DELETE /faults
  GET    /requests?since=N            {"next", "items": [request log entries]}
  DELETE /requests
  POST   /users          {"name", "groups", "rules", "token", "cert"}   -> credentials
  POST   /config         {"bookmarkIntervalSeconds", "watchTimeoutSeconds", "listWaitSeconds"}
  POST   /api-down, /api-up           close / reopen the API port (an outage)
"""
import http.server
import json
import threading
import urllib.parse

from .errors import ApiError
from .server import Fault


class ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get('Content-Length') or 0)
        return json.loads(self.rfile.read(n)) if n else {}

    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_DELETE(self):
        self._dispatch('DELETE')

    def _dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        fx = self.server.fixture
        try:
            body = self._body() if method == 'POST' else {}
            route = (method, url.path.rstrip('/'))
            handler = ROUTES.get(route)
            if handler is None:
                return self._reply(404, {'error': 'no route %s %s' % route})
            self._reply(200, handler(fx, q, body))
        except ApiError as e:
            self._reply(e.code, e.status())
        except (ValueError, KeyError, TypeError) as e:
            self._reply(400, {'error': '%s: %s' % (type(e).__name__, e)})


def _state(fx, q, body):
    st = fx.state.storage
    with st.lock:
        return {'url': 'https://' + fx.state.address, 'resourceVersion': str(st.rv),
                'compactedResourceVersion': str(st.compacted_rv), 'watches': len(st.streams),
                'apiUp': fx.api_port.server is not None}


def _seed(fx, q, body):
    objs = body.get('items') if body.get('kind', '').endswith('List') and 'items' in body else [body]
    return {'items': [fx.state.api.seed(o) for o in objs]}


def _unseed(fx, q, body):
    return fx.state.api.unseed(q['apiVersion'], q['kind'], q.get('namespace', ''), q['name'])


def _objects(fx, q, body):
    group, _, version = q['apiVersion'].rpartition('/')
    rt = fx.state.registry.by_kind(group, version, q['kind'])
    if rt is None:
        raise KeyError('no resource serves %s %s' % (q['apiVersion'], q['kind']))
    return fx.state.api.list(rt, version, q.get('namespace', ''), {})


def _compact(fx, q, body):
    return {'compactedResourceVersion': str(fx.state.storage.compact(body.get('resourceVersion')))}


def _drop(fx, q, body):
    return {'streams': fx.state.storage.drop_watches(body.get('afterEvents', 0), body.get('how', 'abort'))}


def _bookmark(fx, q, body):
    st = fx.state.storage
    with st.lock:
        for s in st.streams:
            s.force_bookmark = True
        st.changed.notify_all()
        return {'streams': len(st.streams)}


def _add_fault(fx, q, body):
    with fx.state.lock:
        fx.state.faults.append(Fault(body))
        return {'faults': len(fx.state.faults)}


def _clear_faults(fx, q, body):
    with fx.state.lock:
        fx.state.faults = []
    return {}


def _requests(fx, q, body):
    since = int(q.get('since', 0))
    with fx.state.lock:
        base = fx.state.log_base
        items = fx.state.log[max(0, since - base):]
        return {'next': base + len(fx.state.log), 'items': items}


def _clear_requests(fx, q, body):
    with fx.state.lock:
        fx.state.log_base += len(fx.state.log)
        fx.state.log = []
    return {}


def _users(fx, q, body):
    return fx.state.add_user(body['name'], body.get('groups', []), body.get('rules', []),
                             body.get('token'), body.get('cert', True))


def _config(fx, q, body):
    o = fx.state.options
    names = {'bookmarkIntervalSeconds': 'bookmark_interval', 'watchTimeoutSeconds': 'watch_timeout_seconds',
             'listWaitSeconds': 'list_wait_seconds'}
    for k, attr in names.items():
        if k in body:
            setattr(o, attr, float(body[k]))
    return {k: getattr(o, attr) for k, attr in names.items()}


def _down(fx, q, body):
    fx.api_port.down()
    fx.state.storage.drop_watches(0, 'abort')
    return {'apiUp': False}


def _up(fx, q, body):
    fx.api_port.up()
    return {'apiUp': True}


ROUTES = {
    ('GET', '/state'): _state, ('POST', '/objects'): _seed, ('DELETE', '/objects'): _unseed,
    ('GET', '/objects'): _objects, ('POST', '/compact'): _compact, ('POST', '/drop-watches'): _drop,
    ('POST', '/bookmark'): _bookmark, ('POST', '/faults'): _add_fault, ('DELETE', '/faults'): _clear_faults,
    ('GET', '/requests'): _requests, ('DELETE', '/requests'): _clear_requests, ('POST', '/users'): _users,
    ('POST', '/config'): _config, ('POST', '/api-down'): _down, ('POST', '/api-up'): _up,
}


class ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fixture, port=0):
        self.fixture = fixture
        super().__init__(('127.0.0.1', port), ControlHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
