#!/usr/bin/env python3
"""Golden files for `bgplbctl pools`.

usage: pools_golden.py BGPLBCTL GOLDEN_DIR

Each GOLDEN_DIR/CASE/ holds a state directory `state/` (as the controller writes it) and
the expected output: table.txt for `bgplbctl pools --state CASE/state`, json.txt for the
same with -j; each file starts with a line `# exit N` and then has standard output
followed by standard error. With BGPLB_UPDATE_GOLDEN=1 the files are rewritten instead;
review the diff like code.
"""

import difflib
import os
import subprocess
import sys


def run(bgplbctl, case_dir, extra):
    state = os.path.join(case_dir, "state")
    p = subprocess.run([bgplbctl, "pools", "--state", state] + extra, capture_output=True, text=True, check=False)
    # The state path is the caller's; golden files name it relative to the case.
    err = p.stderr.replace(case_dir + os.sep, "")
    return "# exit %d\n%s%s" % (p.returncode, p.stdout, err)


def main():
    bgplbctl, golden = sys.argv[1], sys.argv[2]
    update = os.environ.get("BGPLB_UPDATE_GOLDEN") == "1"
    failures = 0
    for case in sorted(os.listdir(golden)):
        case_dir = os.path.join(golden, case)
        for name, extra in (("table.txt", []), ("json.txt", ["-j"])):
            path = os.path.join(case_dir, name)
            actual = run(bgplbctl, case_dir, extra)
            if update:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(actual)
                print("updated " + os.path.relpath(path, golden))
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    expected = f.read()
            except FileNotFoundError:
                expected = ""
            if actual != expected:
                failures += 1
                sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                           path, "actual"))
    if failures:
        print("%d golden file(s) differ; BGPLB_UPDATE_GOLDEN=1 regenerates them" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
