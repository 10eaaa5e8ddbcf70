"""pytest fixtures for the Kubernetes datastore against the API server fixture
(test/kube): a fixture process per test (`kube`, with deploy/crds and MetalLB's
namespace), kube_probe processes (`probe`) removed at the end, admin REST calls
(`admin`)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'kube'))
sys.path.insert(0, HERE)
from harness import Client, KubeFixture  # noqa: E402  (Client: test_rbac.py imports it from here)
from probe import Probe  # noqa: E402

PROBE = os.environ.get('BGPLB_KUBE_PROBE', '')


@pytest.fixture
def kube(tmp_path):
    fx = KubeFixture(tmp_path / 'state', crds=[os.path.join(ROOT, 'deploy', 'crds')])
    fx.start()
    fx.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'metallb-system'}})
    yield fx
    fx.stop()


@pytest.fixture
def admin(kube):
    return Client(kube)


@pytest.fixture
def probe(tmp_path):
    started = []

    def start(uri, *args, name='probe'):
        p = Probe(PROBE, uri, args, log_dir=str(tmp_path), name=name + str(len(started)))
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
