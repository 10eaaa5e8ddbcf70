#!/usr/bin/env python3
"""Meson's entry for the BFD interop suite: exits 77 (skipped) with the reason when not
root, iproute2, FRR's bfdd, BIRD 2 or pytest is missing, else runs pytest on
bfd/test/interop. $BGPLB_BFD_PROBE names the built bfd_probe. Extra arguments go to pytest."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'test', 'integration'))

import run_pytest  # noqa: E402  (test/integration's launcher)
import peers  # noqa: E402


def main():
    if os.geteuid() != 0:
        run_pytest.skip('needs root (network namespaces, veth)')
    missing = peers.FrrBfd.missing_binaries() + peers.BirdBfd.missing_binaries()
    if missing:
        run_pytest.skip('BFD peers missing: %s (scripts/install-deps.sh installs them)' % ', '.join(missing))
    path = os.environ.get('BGPLB_BFD_PROBE')
    if not path or not os.access(path, os.X_OK):
        run_pytest.skip('$BGPLB_BFD_PROBE does not name a built bfd_probe')
    py = run_pytest.python_with_pytest()
    if py is None:
        run_pytest.skip('pytest is not installed (Debian python3-pytest)')
    return run_pytest.run_suite(py, 'bfd/test/interop', {})


if __name__ == '__main__':
    sys.exit(main())
