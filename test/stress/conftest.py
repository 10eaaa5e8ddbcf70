"""Fixtures for the stress suite (test/stress/README.md): the bed's helpers live in
test/integration (namespaces, gobgpd); $BGPLB_BIN names the `bgplb` binary under test."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
sys.path.insert(0, HERE)

import netns  # noqa: E402
from bed import problem  # noqa: E402


def pytest_configure(config):
    netns.prepare_pytest_run('bgplbst')
    if problem() is None:
        os.environ['BGPLB_BIN'] = netns.snapshot_binary(os.environ['BGPLB_BIN'])


@pytest.fixture
def bgplb():
    why = problem()
    if why:
        pytest.skip(why)
    return os.environ['BGPLB_BIN']
