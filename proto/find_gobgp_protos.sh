#!/bin/sh
# Prints the folder that holds GoBGP's API protos (gobgp.proto, attribute.proto,
# capability.proto), as installed by Debian's golang-github-osrg-gobgp-dev.
set -eu
f=$(dpkg -L golang-github-osrg-gobgp-dev 2>/dev/null | grep '/api/gobgp\.proto$' | head -n 1 || true)
if [ -z "$f" ]; then
  echo "golang-github-osrg-gobgp-dev is not installed (scripts/install-deps.sh)" >&2
  exit 1
fi
dirname "$f"
