"""Comparing a command's output with its golden file, or rewriting the file
(BGPLB_UPDATE_GOLDEN=1), for the golden tests of bgplbctl's own views."""

import difflib
import os
import sys

UPDATE = os.environ.get('BGPLB_UPDATE_GOLDEN') == '1'


def check(path, actual, root):
    """1 if `actual` differs from the file at `path` (the diff printed), else 0; with
    BGPLB_UPDATE_GOLDEN=1 the file is rewritten and 0 returned. `root` shortens names."""
    if UPDATE:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(actual)
        print('updated ' + os.path.relpath(path, root))
        return 0
    try:
        with open(path, encoding='utf-8') as f:
            expected = f.read()
    except FileNotFoundError:
        expected = ''
    if actual == expected:
        return 0
    sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), path, 'actual'))
    return 1


def summary(failures):
    """The exit status, after saying how to regenerate."""
    if failures:
        print('%d golden file(s) differ; BGPLB_UPDATE_GOLDEN=1 regenerates them' % failures)
    return 1 if failures else 0
