#!/usr/bin/env bash
# Installs deploy/ into a real cluster and runs the fixture's scenarios against it:
# kubectl apply/get/patch/watch/delete, the official Python client (pagination, watch with
# bookmarks, status patch, 410 handling), every example manifest validated by the real API
# server's CRD schemas (CEL rules included), and the RBAC of deploy/rbac.yaml checked with
# `kubectl auth can-i --as`.
#
# usage: scripts/kube-check.sh [--kind | --k3s | --current] [--keep]
#   --kind     create a throwaway kind cluster "bgplb-check" (needs kind + docker/podman)
#   --k3s      use k3s's kubeconfig (/etc/rancher/k3s/k3s.yaml; k3s must be running)
#   --current  use the current kubectl context as it is (default when neither is found)
#   --keep     leave what was installed (and the kind cluster) in place
# Without an option it picks kind if `kind` is installed, else k3s if its kubeconfig
# exists, else the current context. It never touches a context it did not pick.
#
# This script cannot run on the development machines (no cluster there); it is written
# from kind's and k3s's documentation and runs the same tests as `meson test --suite kube`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=""; keep=0
for a in "$@"; do
  case "$a" in
    --kind) mode=kind ;; --k3s) mode=k3s ;; --current) mode=current ;; --keep) keep=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
if [ -z "$mode" ]; then
  if command -v kind >/dev/null; then mode=kind
  elif [ -r /etc/rancher/k3s/k3s.yaml ]; then mode=k3s
  else mode=current; fi
fi

work=$(mktemp -d)
created_ns=""
cleanup() {
  if [ "$keep" = 0 ]; then
    kubectl delete --ignore-not-found -f "$here/deploy/speaker.yaml" -f "$here/deploy/controller.yaml" \
      -f "$here/deploy/rbac.yaml" >/dev/null 2>&1 || true
    for ns in $created_ns; do kubectl delete --ignore-not-found namespace "$ns" >/dev/null 2>&1 || true; done
    if [ "$mode" = kind ]; then kind delete cluster --name bgplb-check >/dev/null 2>&1 || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$mode" in
  kind)
    # kind writes the new cluster's credentials to the kubeconfig it is given.
    export KUBECONFIG="$work/kubeconfig"
    kind create cluster --name bgplb-check --wait 120s
    ;;
  k3s)
    export KUBECONFIG=/etc/rancher/k3s/k3s.yaml ;;
  current)
    echo "kube-check: using context $(kubectl config current-context)" ;;
esac
kubectl version

echo "== install deploy/"
kubectl apply -f "$here/deploy/crds"
kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=bgplb
kubectl apply -f "$here/deploy/namespace.yaml" -f "$here/deploy/rbac.yaml"
# The workloads are applied with server-side dry run: the image bgplb:latest is not in the
# cluster unless you loaded it (kind load docker-image bgplb:latest --name bgplb-check).
kubectl apply --dry-run=server -f "$here/deploy/controller.yaml" -f "$here/deploy/speaker.yaml"

echo "== examples/ validated by the cluster's CRD schemas"
for ns in shop infra demo; do   # the examples' namespaces; only those created here are removed
  if ! kubectl get namespace "$ns" >/dev/null 2>&1; then kubectl create namespace "$ns"; created_ns="$created_ns $ns"; fi
done
for d in "$here"/examples/*/; do
  kubectl apply --dry-run=server -f "$d"
done

echo "== RBAC of deploy/rbac.yaml"
sa=system:serviceaccount:metallb-system
check() {  # expect verb resource [namespace] as
  local want=$1 as=$2; shift 2
  got=$(kubectl auth can-i --as "$sa:$as" "$@" || true)
  if [ "$got" != "$want" ]; then echo "FAIL: $as can-i $* = $got, want $want"; exit 1; fi
}
check yes bgplb-speaker list ipaddresspools.metallb.io -A
check yes bgplb-speaker watch endpointslices.discovery.k8s.io -A
check yes bgplb-speaker get secrets -n metallb-system
check no  bgplb-speaker get secrets -n default
check no  bgplb-speaker patch services/status -A
check yes bgplb-controller patch services/status -A
check yes bgplb-controller update leases.coordination.k8s.io/bgplb-controller -n metallb-system
check no  bgplb-controller get secrets -n metallb-system
check yes bgplb-controller create configmaps -n metallb-system
check yes bgplb-controller update configmaps/bgplb-ledger -n metallb-system
check no  bgplb-controller get configmaps/other -n metallb-system
echo "RBAC as expected"

echo "== kubectl and the Python client (test/kube's scenarios, against this cluster)"
if python3 -c 'import pytest, yaml, kubernetes' 2>/dev/null; then
  BGPLB_KUBECONFIG="${KUBECONFIG:-$HOME/.kube/config}" python3 -m pytest -q -p no:cacheprovider \
    "$here/test/kube/test_cluster_scenarios.py"
else
  echo "skipped: python3 with pytest, yaml and kubernetes is needed"
fi
echo "kube-check: all checks passed"
