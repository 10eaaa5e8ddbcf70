#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole suite.
#   ./scripts/test.sh            (as root on Debian 12; uses build/)
# Environment: BUILD_DIR (default build), MESON_SETUP_ARGS (extra `meson setup` args).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  # shellcheck disable=SC2086
  meson setup "$build" ${MESON_SETUP_ARGS:-}
fi
ninja -C "$build"

status=0
meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" || status=$?

# A closing summary line in the plain form every CI reader understands.
python3 scripts/test_summary.py "$build/meson-logs/testlog.json"
exit "$status"
