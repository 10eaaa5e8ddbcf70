#!/usr/bin/env bash
# Debian packages for the on-demand peer benchmark (test/bench/peers/): everything the
# build and tests need plus the Go toolchain for its gobgpd loader. Not needed by CI.
exec "$(dirname "$0")/install-deps.sh" --bench
