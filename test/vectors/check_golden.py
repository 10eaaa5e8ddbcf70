#!/usr/bin/env python3
"""Golden files for what `bgplbctl` shows people: decode output and help texts.

usage: check_golden.py BGPLBCTL GOLDEN_DIR

For each GOLDEN_DIR/NAME.hex (hex messages for `bgplbctl decode` on standard input; a
line `# args: ...` gives its options), standard output must equal NAME.jsonl byte for
byte, and the exit status must be 1 exactly when some line is an error or carries
"rfc7606". `bgplbctl --help` and `bgplbctl decode --help` must equal help.txt and
decode_help.txt, with exit status 0.

With BGPLB_UPDATE_GOLDEN=1 in the environment the files are rewritten instead; review
the diff like code.
"""

import difflib
import json
import os
import shlex
import subprocess
import sys


def options_of(hex_path):
    args = []
    with open(hex_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# args:"):
                args += shlex.split(line[len("# args:"):])
    return args


def compare(path, actual, update, failures):
    if update:
        with open(path, "w", encoding="utf-8") as f:
            f.write(actual)
        print("updated " + os.path.basename(path))
        return
    try:
        with open(path, encoding="utf-8") as f:
            expected = f.read()
    except FileNotFoundError:
        failures.append("%s is missing (run with BGPLB_UPDATE_GOLDEN=1)" % path)
        return
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                    "golden/" + os.path.basename(path), "bgplbctl", lineterm="")
        failures.append("%s differs:\n%s" % (os.path.basename(path), "\n".join(diff)))


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bgplbctl, folder = argv[1], argv[2]
    update = os.environ.get("BGPLB_UPDATE_GOLDEN") == "1"
    failures = []

    for name in sorted(os.listdir(folder)):
        if not name.endswith(".hex"):
            continue
        hex_path = os.path.join(folder, name)
        with open(hex_path, "rb") as f:
            proc = subprocess.run([bgplbctl, "decode", *options_of(hex_path)], stdin=f,
                                  capture_output=True, timeout=60)
        out = proc.stdout.decode("utf-8")
        malformed = any(o["type"] == "error" or "rfc7606" in o
                        for o in map(json.loads, out.splitlines()))
        if proc.returncode != (1 if malformed else 0) or proc.stderr:
            failures.append("%s: exit status %d, stderr %r" % (
                name, proc.returncode, proc.stderr.decode()))
        compare(os.path.join(folder, name[:-len(".hex")] + ".jsonl"), out, update, failures)

    for args, golden in ((["--help"], "help.txt"), (["decode", "--help"], "decode_help.txt")):
        proc = subprocess.run([bgplbctl, *args], capture_output=True, timeout=60)
        if proc.returncode != 0:
            failures.append("bgplbctl %s: exit status %d" % (" ".join(args), proc.returncode))
        compare(os.path.join(folder, golden), proc.stdout.decode("utf-8"), update, failures)

    for f in failures:
        print("FAIL " + f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
