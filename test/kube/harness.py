"""Start the fixture as a process and talk to it: what the pytest suites (and anyone else
in Python) use. `KubeFixture(tmpdir).start()` returns once ready.json is written; `.control`
calls the control port; `.kubectl(...)` runs the machine's kubectl with the admin
kubeconfig and a private discovery cache; `Client(fixture[, user])` calls the API over TLS
as a user. A subclass starts the process elsewhere by overriding `spawn` (the e2e rack runs
it in a network namespace)."""
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(HERE, 'kube_apiserver.py')


class KubeFixture:
    def __init__(self, state_dir, crds=(), seed=(), users=None, extra_args=()):
        self.state_dir = str(state_dir)
        self.crds, self.seed, self.users, self.extra_args = list(crds), list(seed), users, list(extra_args)
        self.proc = None
        self.info = None

    def start(self, timeout=30):
        args = [sys.executable, SERVER, '--state-dir', self.state_dir] + self.extra_args
        for c in self.crds:
            args += ['--crds', c]
        for s in self.seed:
            args += ['--seed', s]
        if self.users is not None:
            os.makedirs(self.state_dir, exist_ok=True)
            path = os.path.join(self.state_dir, 'users.json')
            with open(path, 'w') as f:
                json.dump(self.users, f)
            args += ['--users', path]
        self.log = open(os.path.join(self.state_dir + '.log'), 'w')
        self.proc = self.spawn(args)
        ready = os.path.join(self.state_dir, 'ready.json')
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('fixture did not start; see %s.log' % self.state_dir)
            time.sleep(0.05)
        with open(ready) as f:
            self.info = json.load(f)
        return self

    def spawn(self, args):
        """Starts the server process (its output into self.log)."""
        return subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return self.info['url']

    @property
    def kubeconfig(self):
        return self.info['admin']['kubeconfig']

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.info['control'] + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def requests(self, since=0):
        return self.control('GET', '/requests?since=%d' % since)

    def kubectl(self, *args, kubeconfig=None, check=True, input=None, timeout=60):
        cmd = ['kubectl', '--kubeconfig', kubeconfig or self.kubeconfig,
               '--cache-dir', os.path.join(self.state_dir, 'kubectl-cache')] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError('%s failed (%d):\n%s%s' % (' '.join(cmd), p.returncode, p.stdout, p.stderr))
        return p


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
