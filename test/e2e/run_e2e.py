#!/usr/bin/env python3
"""Meson's entry point for the e2e suite: checks what it needs and exits 77 (meson's
"skipped") with the reason when something is missing, else runs
`python3 -m pytest -q test/e2e` from the source root and returns its exit code.

Needs: root, iproute2 with netns, FRR (zebra, bgpd, vtysh), BIRD 2 (bird, birdc), an
interpreter with pytest (Debian's python3-pytest is under /usr/bin/python3, which may not be
the first python3 on PATH), and the bgplb-speaker and bgplb-controller binaries, found
through $BGPLB_SPEAKER / $BGPLB_CONTROLLER or under $BGPLB_BUILD_DIR. Extra arguments go
to pytest (e.g. `-k frr`)."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import fabric  # noqa: E402
import tor  # noqa: E402
from run_pytest import SKIP, python_with_pytest, run_suite  # noqa: E402  (test/integration's runner)


def skip(why):
    print('SKIP e2e tests: %s' % why, flush=True)
    sys.exit(SKIP)


def main():
    if os.geteuid() != 0:
        skip('needs root (network namespaces, veth, a bridge)')
    if not shutil.which('ip') or subprocess.run(['ip', 'netns', 'list'], capture_output=True).returncode != 0:
        skip('iproute2 with network namespace support is missing')
    missing = tor.missing_binaries()
    if missing:
        skip('router binaries missing: %s (scripts/install-deps.sh installs them)' % ', '.join(missing))
    speaker, controller = fabric.binaries()
    build = os.environ.get('BGPLB_BUILD_DIR', 'build')
    if not speaker:
        skip('bgplb-speaker is not built (looked in $BGPLB_SPEAKER and %s/speaker/cmd/)' % build)
    if not controller:
        skip('bgplb-controller is not built (looked in $BGPLB_CONTROLLER and %s/controller/cmd/)' % build)
    py = python_with_pytest()
    if py is None:
        skip('pytest is not installed (Debian python3-pytest)')
    print('e2e tests: %s, %s, %s' % (speaker, controller, py), flush=True)
    return run_suite(py, 'test/e2e', {'BGPLB_SPEAKER': speaker, 'BGPLB_CONTROLLER': controller})


if __name__ == '__main__':
    sys.exit(main())
