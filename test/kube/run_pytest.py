#!/usr/bin/env python3
"""Meson's entry point for the `kube` suite: the API server fixture's own tests, kubectl
and the official Python client against it, and the deploy/ and examples/ manifests
validated through it. Exits 77 (meson's "skipped") with the reason when something is
missing; needs no root. Extra arguments go to pytest."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NEEDS = ['pytest', 'yaml', 'kubernetes']


def python_with_modules():
    for py in (sys.executable, '/usr/bin/python3', shutil.which('python3')):
        if py and subprocess.run([py, '-c', 'import ' + ', '.join(NEEDS)], capture_output=True).returncode == 0:
            return py
    return None


def main():
    if shutil.which('openssl') is None:
        print('SKIP kube tests: openssl is missing (scripts/install-deps.sh installs it)', flush=True)
        return 77
    if shutil.which('kubectl') is None:
        print('SKIP kube tests: kubectl is missing (the kubectl tests need it)', flush=True)
        return 77
    py = python_with_modules()
    if py is None:
        print('SKIP kube tests: no python3 with pytest, yaml and kubernetes (Debian python3-pytest, '
              'python3-yaml, python3-kubernetes)', flush=True)
        return 77
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', HOME=os.environ.get('HOME', '/tmp'))
    argv = [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', 'test/kube'] + sys.argv[1:]
    return subprocess.call(argv, cwd=ROOT, env=env)


if __name__ == '__main__':
    sys.exit(main())
