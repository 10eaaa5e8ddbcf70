"""pytest fixtures: one API server fixture process per test module (`kube`), removed at the
end; `admin`, harness.Client with the admin credentials (calls the API directly over TLS)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import Client, KubeFixture, ROOT  # noqa: E402  (Client: tests import it from here)

CRDS = os.path.join(ROOT, 'deploy', 'crds')


@pytest.fixture(scope='module')
def kube(tmp_path_factory):
    fx = KubeFixture(tmp_path_factory.mktemp('kube') / 'state',
                     crds=[CRDS] if os.path.isdir(CRDS) else [])
    fx.start()
    yield fx
    fx.stop()


@pytest.fixture(scope='module')
def admin(kube):
    return Client(kube)
