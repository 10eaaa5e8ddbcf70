#!/usr/bin/env python3
"""Meson's entry point for the interop suite: checks what the suite needs and exits 77
(meson's "skipped") with the reason when something is missing, else runs
`python3 -m pytest -q test/integration` from the source root and returns its exit code.

Needs: root, iproute2, gobgpd + gobgp, bird + birdc, FRR (zebra, bgpd, vtysh), an
interpreter with pytest (Debian's python3-pytest lives under /usr/bin/python3, which may not
be the first python3 on PATH), and $BGPLB_ANNOUNCER naming a built bgp_announcer (or
"gobgpd" for the harness self-test). Extra arguments go to pytest."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import announcer  # noqa: E402
import routers  # noqa: E402

SKIP = 77


def skip(why):
    print('SKIP interop tests: %s' % why, flush=True)
    sys.exit(SKIP)


def python_with_pytest():
    for py in (sys.executable, '/usr/bin/python3', shutil.which('python3')):
        if py and subprocess.run([py, '-c', 'import pytest'], capture_output=True).returncode == 0:
            return py
    return None


def main():
    if os.geteuid() != 0:
        skip('needs root (network namespaces, veth, TCP MD5)')
    if not shutil.which('ip') or subprocess.run(['ip', 'netns', 'list'], capture_output=True).returncode != 0:
        skip('iproute2 with network namespace support is missing')
    missing = [b for r in routers.ROUTERS.values() for b in r.missing_binaries()]
    if missing:
        skip('router binaries missing: %s (scripts/install-deps.sh installs them)' % ', '.join(missing))
    kind, why = announcer.announcer_setting()
    if kind is None:
        skip(why)
    py = python_with_pytest()
    if py is None:
        skip('pytest is not installed (Debian python3-pytest)')
    print('interop tests: announcer %s (%s), %s' % (kind, os.environ['BGPLB_ANNOUNCER'], py), flush=True)
    return run_suite(py, 'test/integration', {})


def run_suite(py, folder, extra_env):
    """pytest on `folder` (relative to the source root) with the script's own arguments."""
    root = os.path.dirname(os.path.dirname(HERE))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1', **extra_env)
    argv = [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', folder] + sys.argv[1:]
    p = subprocess.Popen(argv, cwd=root, env=env)
    try:
        return p.wait()
    except KeyboardInterrupt:
        p.wait()
        raise


if __name__ == '__main__':
    sys.exit(main())
