#!/usr/bin/env python3
"""Prints 'tests: N passed, N failed, N skipped' from a meson testlog.json.

Counts the individual test cases where meson parsed them (GoogleTest's own results
are in the test's stdout summary line), otherwise one per meson test.
"""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        out = t.get("stdout") or ""
        # GoogleTest: "[  PASSED  ] 131 tests." / "[  FAILED  ] 2 tests, listed below:"
        g_pass = re.search(r"\[  PASSED  \] (\d+) tests?", out)
        g_fail = re.search(r"\[  FAILED  \] (\d+) tests?, listed below", out)
        g_skip = re.search(r"\[  SKIPPED \] (\d+) tests?", out)
        # Our Python suites end with "N passed, N failed[, N skipped]".
        p = re.findall(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", out, re.M)
        # pytest: "89 passed, 2 skipped in 195.20s (0:03:15)", possibly inside "=== ... ===".
        py = re.findall(r"^=* ?((?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed)(?:, )?)+) in [\d.]+s", out, re.M)
        if py and not (g_pass or g_fail):
            counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (\w+)", py[-1]))
            p = [(str(counts.get("passed", 0)),
                  str(counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)),
                  str(counts.get("skipped", 0)))]
        if g_pass or g_fail:
            passed += int(g_pass.group(1)) if g_pass else 0
            failed += int(g_fail.group(1)) if g_fail else 0
            skipped += int(g_skip.group(1)) if g_skip else 0
            if result not in ("OK", "SKIP", "EXPECTEDFAIL") and not g_fail:
                failed += 1
        elif p:
            a, b, c = p[-1]
            passed += int(a)
            failed += int(b)
            skipped += int(c or 0)
            if result not in ("OK", "SKIP", "EXPECTEDFAIL") and int(b) == 0:
                failed += 1
        elif result == "OK":
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
