"""pytest fixtures: one API server fixture process per test module (`kube`), removed at the
end; helpers to call the API directly over TLS with the admin credentials."""
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import KubeFixture, ROOT  # noqa: E402

CRDS = os.path.join(ROOT, 'deploy', 'crds')


@pytest.fixture(scope='module')
def kube(tmp_path_factory):
    fx = KubeFixture(tmp_path_factory.mktemp('kube') / 'state',
                     crds=[CRDS] if os.path.isdir(CRDS) else [])
    fx.start()
    yield fx
    fx.stop()


class Client:
    """Raw HTTPS calls as a given user (admin by default): (status, headers, body)."""

    def __init__(self, fx, user=None):
        info = fx.info['admin'] if user is None else fx.info['users'][user] if isinstance(user, str) else user
        self.base = fx.url
        self.ctx = ssl.create_default_context(cafile=fx.info['ca'])
        if info.get('cert'):
            self.ctx.load_cert_chain(info['cert'], info['key'])
        self.token = None

    def call(self, method, path, body=None, content_type='application/json', accept='application/json',
             headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
        h = {'Accept': accept}
        if data is not None:
            h['Content-Type'] = content_type
        if self.token:
            h['Authorization'] = 'Bearer ' + self.token
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                raw = r.read()
                return r.status, r.headers, json.loads(raw) if raw[:1] in (b'{', b'[') else raw
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, e.headers, json.loads(raw) if raw[:1] == b'{' else raw

    def stream(self, path):
        """An open watch response: iterate .readline() for events."""
        req = urllib.request.Request(self.base + path, headers={'Accept': 'application/json'})
        return urllib.request.urlopen(req, context=self.ctx, timeout=30)


@pytest.fixture(scope='module')
def admin(kube):
    return Client(kube)
