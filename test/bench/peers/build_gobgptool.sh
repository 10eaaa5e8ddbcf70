#!/usr/bin/env bash
# Builds gobgptool (gRPC client that loads routes into gobgpd) against Debian's gobgp 3.10
# sources, offline but for one `apt-get download`. Needs scripts/install-bench-deps.sh.
# Usage: build_gobgptool.sh OUTDIR
set -euo pipefail
out=${1:?usage: build_gobgptool.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
gopath="$out/gopath"
mkdir -p "$gopath/src/github.com/osrg/gobgp"
ln -sfn /usr/share/gocode/src/github.com/osrg/gobgp "$gopath/src/github.com/osrg/gobgp/v3"
# gRPC for Go needs github.com/golang/protobuf 1.5, whose Debian package conflicts with
# the 1.3 the etcd datastore's build needs (golang-etcd-server-dev): unpack it here,
# ahead of /usr/share/gocode, instead of installing it.
pb="$out/protobuf-1.5"
if [ ! -d "$pb/usr/share/gocode/src/github.com/golang/protobuf" ]; then
  rm -rf "$pb" && mkdir -p "$pb/deb"
  (cd "$pb/deb" && apt-get download -q golang-github-golang-protobuf-1-5-dev)
  dpkg-deb -x "$pb"/deb/*.deb "$pb"
fi
cd "$here/gobgptool"
GO111MODULE=off GOPATH="$gopath:$pb/usr/share/gocode:/usr/share/gocode" GOCACHE="$out/gocache" \
  go build -o "$out/gobgptool" main.go
echo "$out/gobgptool"
