#!/usr/bin/env python3
"""Golden files for `bgplbctl pools`.

usage: pools_golden.py BGPLBCTL GOLDEN_DIR

Each GOLDEN_DIR/CASE/ holds a state directory `state/` (as the controller writes it) and
the expected output: table.txt for `bgplbctl pools --state CASE/state`, json.txt for the
same with -j; each file starts with a line `# exit N` and then has standard output
followed by standard error. With BGPLB_UPDATE_GOLDEN=1 the files are rewritten instead;
review the diff like code.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "test"))
import golden_files  # noqa: E402


def run(bgplbctl, case_dir, extra):
    state = os.path.join(case_dir, "state")
    p = subprocess.run([bgplbctl, "pools", "--state", state] + extra, capture_output=True, text=True, check=False)
    # The state path is the caller's; golden files name it relative to the case.
    err = p.stderr.replace(case_dir + os.sep, "")
    return "# exit %d\n%s%s" % (p.returncode, p.stdout, err)


def main():
    bgplbctl, golden = sys.argv[1], sys.argv[2]
    failures = 0
    for case in sorted(os.listdir(golden)):
        case_dir = os.path.join(golden, case)
        for name, extra in (("table.txt", []), ("json.txt", ["-j"])):
            failures += golden_files.check(os.path.join(case_dir, name), run(bgplbctl, case_dir, extra), golden)
    return golden_files.summary(failures)


if __name__ == "__main__":
    sys.exit(main())
