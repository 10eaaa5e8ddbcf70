#!/usr/bin/env bash
# Builds gobgptool (gRPC client that loads routes into gobgpd) against Debian's gobgp 3.10
# sources, offline. Needs scripts/install-bench-deps.sh. Usage: build_gobgptool.sh OUTDIR
set -euo pipefail
out=${1:?usage: build_gobgptool.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
gopath="$out/gopath"
mkdir -p "$gopath/src/github.com/osrg/gobgp"
ln -sfn /usr/share/gocode/src/github.com/osrg/gobgp "$gopath/src/github.com/osrg/gobgp/v3"
cd "$here/gobgptool"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$out/gocache" \
  go build -o "$out/gobgptool" main.go
echo "$out/gobgptool"
