"""The Kubernetes API server fixture (test/kube) in a namespace of its own on the rack's
segment, for the e2e rack on the Kubernetes datastore (test_kube_rack.py).

    kapi namespace: 192.0.2.31 on one veth into the ToR's bridge
    API: https://192.0.2.31:6443     control port: http://127.0.0.1:CPORT in that namespace

The nodes reach the API over the segment, as they would reach a cluster's API server; the
server certificate names 192.0.2.31 (the fixture adds the address it listens on to its
SANs), so they verify it against the fixture's CA like any client. The port is fixed
because the namespace is this run's own. This process calls the API and the control port
from one thread inside the namespace (netns.Namespace.thread()), so a call costs no
subprocess. The state directory (certificates, kubeconfigs, ready.json) lives in the
fabric's temp dir and goes with it."""
import importlib.util
import os
import shutil
import signal
import subprocess
import sys

import netns

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'kube'))
from harness import ROOT, Client, KubeFixture  # noqa: E402  (test/kube/harness.py)

ADDR, PORT = '192.0.2.31', 6443
CRDS = os.path.join(ROOT, 'deploy', 'crds')


def missing_reason():
    """Why the fixture cannot run here, or None."""
    if shutil.which('openssl') is None:
        return 'openssl missing (the API server fixture makes its certificates with it)'
    if importlib.util.find_spec('yaml') is None:
        return 'python3-yaml missing (the API server fixture reads the CRDs with it)'
    return None


class ApiServer(KubeFixture):
    def __init__(self, topo, bridge_ns, bridge, workdir, prefixlen):
        super().__init__(os.path.join(workdir, 'kube-api'), crds=[CRDS],
                         extra_args=['--host', ADDR, '--port', str(PORT)])
        self.ns = topo.add_ns('kapi')
        inner, outer = 'b%sk0' % topo.id, 'b%skt' % topo.id
        self.ns.run(['ip', 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer, 'netns', bridge_ns.name])
        self.ns.run(['ip', 'addr', 'add', '%s/%d' % (ADDR, prefixlen), 'dev', inner])
        self.ns.run(['ip', 'link', 'set', inner, 'up'])
        bridge_ns.run(['ip', 'link', 'set', outer, 'master', bridge, 'up'])
        self.inside = self.ns.thread()
        self.admin = None

    def spawn(self, args):
        return self.ns.popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def start(self, timeout=30):
        super().start(timeout)
        self.admin = Client(self)
        return self

    def control(self, method, path, body=None):
        return self.inside.submit(super().control, method, path, body).result()

    def call(self, method, path, body=None, **kw):
        """An API request as the admin: (status, headers, body)."""
        return self.inside.submit(self.admin.call, method, path, body, **kw).result()

    def ok(self, method, path, body=None, **kw):
        """An API request as the admin that must succeed; its body."""
        status, _, out = self.call(method, path, body, **kw)
        if status >= 300:
            raise AssertionError('%s %s: %d %s' % (method, path, status, out))
        return out

    def user(self, name, groups=()):
        """Registers a user (a ServiceAccount's name, say); its credential files."""
        return self.control('POST', '/users', {'name': name, 'groups': list(groups)})

    def down(self):
        """The API port closed with every connection (clients see connection refused)."""
        self.control('POST', '/api-down')

    def up(self):
        self.control('POST', '/api-up')

    def log_tail(self, n=20):
        try:
            with open(self.state_dir + '.log', errors='replace') as f:
                lines = f.read().splitlines()
        except OSError:
            return ''
        return '--- kube-api.log (last %d of %d lines)\n%s' % (min(n, len(lines)), len(lines), '\n'.join(lines[-n:]))

    def stop(self):
        if self.proc is not None:
            netns.stop_process(self.proc, sig=signal.SIGTERM, grace=5.0)
            self.proc = None
            self.log.close()
        self.inside.shutdown(wait=False)
