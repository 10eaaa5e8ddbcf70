#!/usr/bin/env python3
"""Meson's entry point for the dataplane's end-to-end test: exits 77 (skipped) with the
reason when something it needs is missing, else runs pytest on this folder.

Needs: root, iproute2 with netns, ethtool, bpftool, a BPF filesystem on /sys/fs/bpf,
python3-pytest, and $DATAPLANE_TOOL naming the built dataplane_tool."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(why):
    print('SKIP dataplane end-to-end: %s' % why, flush=True)
    sys.exit(77)


def main():
    if os.geteuid() != 0:
        skip('needs root (network namespaces, BPF)')
    for tool in ('ip', 'ethtool', 'bpftool'):
        if not shutil.which(tool):
            skip('%s is missing (scripts/install-deps.sh installs it)' % tool)
    if not os.path.ismount('/sys/fs/bpf'):
        skip('no BPF filesystem on /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)')
    tool = os.environ.get('DATAPLANE_TOOL', '')
    if not os.access(tool, os.X_OK):
        skip('$DATAPLANE_TOOL is not an executable: %r' % tool)
    py = None
    for cand in (sys.executable, '/usr/bin/python3'):
        if cand and subprocess.run([cand, '-c', 'import pytest'], capture_output=True).returncode == 0:
            py = cand
            break
    if not py:
        skip('pytest is not installed (Debian python3-pytest)')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    return subprocess.call([py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', HERE] + sys.argv[1:], env=env)


if __name__ == '__main__':
    sys.exit(main())
