#!/usr/bin/env python3
"""Meson's entry point for the stress suite: exits 77 (meson's "skipped") with the
reason when not root or when gobgpd or pytest is missing, else runs pytest on
test/stress. $BGPLB_BIN names the bgplb binary. Extra arguments go to pytest."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
sys.path.insert(0, HERE)
import bed  # noqa: E402
import run_pytest  # noqa: E402


def main():
    why = bed.problem()
    if why:
        print('SKIP stress tests: %s' % why, flush=True)
        return 77
    py = run_pytest.python_with_pytest()
    if py is None:
        print('SKIP stress tests: pytest is not installed (Debian python3-pytest)', flush=True)
        return 77
    return run_pytest.run_suite(py, 'test/stress', {})


if __name__ == '__main__':
    sys.exit(main())
