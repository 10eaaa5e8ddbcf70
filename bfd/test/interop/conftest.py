"""Fixtures for the BFD interop suite: a bed (bed.py) per test, made by bed_factory and
removed after the test whatever happens (namespaces and processes come from
test/integration/netns.py); skips with the reason when something is missing."""
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bed import ROUTERS, Bed  # noqa: E402  (bed -> peers puts test/integration on sys.path)
import netns  # noqa: E402


def pytest_configure(config):
    netns.prepare_pytest_run()
    path = os.environ.get('BGPLB_BFD_PROBE')
    if path and os.access(path, os.X_OK):
        os.environ['BGPLB_BFD_PROBE'] = netns.snapshot_binary(path)


def environment_problem():
    if os.geteuid() != 0:
        return 'needs root (network namespaces, veth)'
    if not shutil.which('ip'):
        return 'iproute2 (ip) is not installed'
    path = os.environ.get('BGPLB_BFD_PROBE')
    if not path or not os.access(path, os.X_OK):
        return '$BGPLB_BFD_PROBE does not name a built bfd_probe'
    return None


def require(kind):
    why = environment_problem()
    if not why:
        missing = ROUTERS[kind].missing_binaries()
        if missing:
            why = '%s not installed (%s)' % (kind, ', '.join(missing))
    if why:
        pytest.skip(why)


_beds = []


@pytest.fixture
def bed_factory():
    made = []

    def make(kind, **kw):
        require(kind)
        b = Bed(kind, **kw)
        made.append(b)
        _beds.append(b)
        return b
    yield make
    for b in made:
        _beds.remove(b)
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for b in _beds:
            try:
                rep.sections.append(('logs of the %s bed' % b.kind, b.logs()))
            except Exception as e:      # never hide the real failure
                rep.sections.append(('logs', 'could not read logs: %r' % e))
