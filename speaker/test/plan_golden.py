#!/usr/bin/python3
"""Golden test of `bgplb plan --node`: what each example node would announce and withhold.
usage: plan_golden.py BGPLB SOURCE_ROOT; BGPLB_UPDATE_GOLDEN=1 rewrites the golden files."""
import difflib
import os
import subprocess
import sys

CASES = [  # (golden file, example directory, node)
    ('quickstart-node1.json', 'examples/quickstart', 'node1'),
    ('quickstart-node2.json', 'examples/quickstart', 'node2'),
    ('metallb-n1.json', 'examples/metallb', 'n1'),
    ('calico-n1.json', 'examples/calico', 'n1'),
    ('calico-peers-rack1-host1.json', 'examples/calico-peers', 'rack1-host1'),
    ('calico-peers-rack2-host1.json', 'examples/calico-peers', 'rack2-host1'),
]


def main():
    bgplb, root = sys.argv[1], sys.argv[2]
    here = os.path.join(root, 'speaker', 'test', 'golden')
    update = os.environ.get('BGPLB_UPDATE_GOLDEN') == '1'
    failed = 0
    for golden, example, node in CASES:
        r = subprocess.run([bgplb, 'plan', '-f', os.path.join(root, example), '--node', node],
                           capture_output=True, text=True)
        got = r.stdout + ('exit %d\n' % r.returncode)
        path = os.path.join(here, golden)
        if update:
            with open(path, 'w') as f:
                f.write(got)
            continue
        with open(path) as f:
            want = f.read()
        if got != want:
            failed += 1
            sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), path, 'bgplb plan'))
    print('%d of %d cases differ' % (failed, len(CASES)) if failed else 'all %d cases match' % len(CASES))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
