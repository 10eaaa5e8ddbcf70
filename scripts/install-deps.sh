#!/usr/bin/env bash
# Installs every Debian package that bgplb's build and tests need, by name.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing. Run as root (or with sudo) on Debian 12.
# usage: install-deps.sh [--bench]
set -euo pipefail

packages=(
  # toolchain and build
  build-essential g++ clang-14 clang lld-14 llvm-14 libclang-rt-14-dev
  meson ninja-build pkg-config git python3
  # libraries
  libboost1.81-all-dev libboost-json1.81-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev                    # absl::btree_map in controller/ (also pulled in by gRPC)
  libxxhash-dev                  # XXH3 digests of manifest files (store/)
  golang-github-osrg-gobgp-dev   # GoBGP API protos, compiled by proto/
  golang-etcd-server-dev golang-github-gogo-protobuf-dev golang-github-grpc-ecosystem-grpc-gateway-dev
                                 # etcd v3 API protos and their imports, compiled by proto/etcd/
  libfmt-dev libspdlog-dev libyaml-cpp-dev libyaml-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libbpf-dev
  libssl-dev                     # TLS to the Kubernetes API server (store/src/kubernetes)
  bpftool ethtool                # dataplane/: skeleton generation; the end-to-end test
  util-linux                     # setpriv and nsenter: the speaker's dataplane test (speaker/test/dataplane_daemon_test.py)
  # test oracles and tools
  tshark
  openssl                        # TLS certificates of the API compat test (api/test)
  # interop test peers and harness (test/integration/)
  gobgpd bird2 frr exabgp iproute2 tcpdump procps python3-pytest
  # Kubernetes API server fixture and its honesty tests (test/kube/); kubectl itself is
  # not Debian's (its kubernetes-client is 1.20): the tests use the kubectl on PATH
  openssl python3-yaml python3-kubernetes
  nftables                       # BFD failure detection: 100 % loss without sch_netem (bfd/test/interop)
  prometheus                     # promtool checks /metrics (speaker/test/daemon_test.py)
  # the etcd datastore's tests (store/test/etcd/): a real 3-member cluster, and etcdctl
  etcd-server etcd-client
)
# --bench: also what only the on-demand benchmarks need: the Go toolchain and the
# protobuf modules the peer benchmark's gobgpd loader is built with, offline
# (test/bench/peers/; github.com/golang/protobuf 1.5 itself is unpacked there, not
# installed: its package conflicts with the 1.3 that golang-etcd-server-dev needs);
# kube-proxy's two rule engines for the dataplane benchmark (test/bench/dataplane/);
# heaptrack for the daemon's heap profile (docs/memory.md).
if [ "${1:-}" = "--bench" ]; then
  packages+=(golang-go golang-google-protobuf-dev golang-github-google-go-cmp-dev iptables nftables heaptrack)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -q
# --no-remove: never take a package away to make room (a conflict is an error to read,
# not a silent loss of what the build needs).
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends --no-remove "${missing[@]}"
