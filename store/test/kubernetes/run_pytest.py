#!/usr/bin/env python3
"""Meson's entry point for the Kubernetes datastore against the API server fixture
(test/kube): kube_probe (given in BGPLB_KUBE_PROBE) lists, watches, writes and campaigns
through it. Exits 77 (meson's "skipped") with the reason when something is missing; needs
no root. Extra arguments go to pytest.

Knobs (environment): BGPLB_KUBE_COLD_SERVICES (cold-start size through the API, default
200: the fixture's Service creation copies every Service; cold_start.py measures 10,000),
BGPLB_KUBE_DOWN_SECONDS (the API outage, default 3; 60 by hand),
BGPLB_KUBE_LEASE_DEFAULTS=1 (client-go's 15/10/2 s Lease timing instead of 6/4/1)."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def python_with(modules):
    for py in (sys.executable, '/usr/bin/python3', shutil.which('python3')):
        if py and subprocess.run([py, '-c', 'import ' + ', '.join(modules)], capture_output=True).returncode == 0:
            return py
    return None


def main():
    probe = os.environ.get('BGPLB_KUBE_PROBE', '')
    if not probe or not os.access(probe, os.X_OK):
        print('SKIP kubernetes datastore tests: BGPLB_KUBE_PROBE does not name the built kube_probe', flush=True)
        return 77
    if shutil.which('openssl') is None:
        print('SKIP kubernetes datastore tests: openssl is missing (scripts/install-deps.sh installs it)', flush=True)
        return 77
    py = python_with(['pytest', 'yaml'])
    if py is None:
        print('SKIP kubernetes datastore tests: no python3 with pytest and yaml (Debian python3-pytest, '
              'python3-yaml)', flush=True)
        return 77
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    argv = [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', HERE] + sys.argv[1:]
    return subprocess.call(argv, cwd=ROOT, env=env)


if __name__ == '__main__':
    sys.exit(main())
