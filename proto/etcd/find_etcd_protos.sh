#!/bin/sh
# Prints the three protoc include roots the etcd v3 API protos need, one per line, as
# Debian installs them: the etcd sources (rpc.proto imports "etcd/mvcc/mvccpb/kv.proto",
# so the root is the folder holding etcd/), gogoproto (golang-github-gogo-protobuf-dev)
# and google/api (golang-github-grpc-ecosystem-grpc-gateway-dev's googleapis copy).
set -eu
root_of() {  # package, path suffix of a file it ships, levels to strip
  f=$(dpkg -L "$1" 2>/dev/null | grep "$2\$" | head -n 1 || true)
  if [ -z "$f" ]; then
    echo "$1 is not installed (scripts/install-deps.sh)" >&2
    exit 1
  fi
  echo "${f%"$2"}"
}
# go.etcd.io/etcd/mvcc/... is imported as etcd/mvcc/...: the root is go.etcd.io.
root_of golang-etcd-server-dev /etcd/etcdserver/etcdserverpb/rpc.proto
root_of golang-github-gogo-protobuf-dev /gogoproto/gogo.proto
root_of golang-github-grpc-ecosystem-grpc-gateway-dev /google/api/annotations.proto
