#!/usr/bin/env bash
# The README's first Quick start command. On a fresh Debian 12 machine, as root:
# installs what is missing (scripts/install-deps.sh), builds into build/, then shows bgplb
# announcing two services to a top-of-rack router and serving their traffic, everything
# inside network namespaces that exist only while the demo runs:
#
#                client 203.0.113.10 -- tor: FRR (zebra + bgpd), AS 64500, 192.0.2.1 on a bridge
#                                         |                                   |
#   node1: bgplb run --node node1, 192.0.2.11   node2: bgplb run --node node2, 192.0.2.12
#     pods web-local-1 10.244.1.10                pods web-local-2 10.244.2.10
#          web-cluster-1 10.244.1.20                   web-cluster-2 10.244.2.20
#
# Both nodes read the same copy of examples/quickstart/ (pool, peer, advertisement, nodes,
# a Local and a Cluster service with their EndpointSlices). Each node's eBPF dataplane (XDP
# on its uplink, generic mode on these veths) hands the client's TCP and UDP traffic to the pods, small web servers
# (scripts/demo_traffic.py) that answer with their name and the client address they saw:
# the client's own address at every pod, pods on both nodes answering, connections that
# cross to the other node's pod through the tunnel, and a connection that outlives a
# rolling restart of bgplb and the removal of its pod's endpoint. The script checks every
# expectation, prints PASS or FAIL for each, removes everything it created (also on
# failure and Ctrl-C) and exits 0 only when every expectation held. Two runs can go at once:
# every namespace and interface name carries this run's pid and a random suffix.
#
# With --etcd the nodes share a local 3-member etcd cluster instead of the manifest
# directory and state directory: the manifests go in with `bgplbctl apply`, the nodes run
# `bgplb run --datastore etcd://...`, one leads through etcd's election (lease TTL 3 s), and
# on the way the leading node is killed with SIGKILL: the other must take over within the
# lease TTL, keep every address, and the killed node must come back standing by
# (docs/etcd.md).
#
# Usage: scripts/quickstart.sh [--etcd]
#
# Environment:
#   BGPLB_BUILD_DIR=DIR   build directory (default: build)
#   BGPLB_SKIP_DEPS=1     do not run scripts/install-deps.sh
#   BGPLB_SKIP_BUILD=1    do not run meson/ninja; use what DIR holds
#   BGPLB_KEEP_TMP=1      keep the temp dir (router configs, bgplb logs and state)
#   BGPLB_TIMEOUT=SECONDS how long to wait for each expectation (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
use_etcd=
for arg in "$@"; do
  case $arg in
    --etcd) use_etcd=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument '$arg' (usage: scripts/quickstart.sh [--etcd])" >&2; exit 2 ;;
  esac
done
build=${BGPLB_BUILD_DIR:-build}
timeout=${BGPLB_TIMEOUT:-20}

# ---------------------------------------------------------------- output helpers
if [ -t 1 ]; then
  bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' dim=$'\e[2m' reset=$'\e[0m'
else
  bold='' green='' red='' dim='' reset=''
fi
stepno=0
step() { stepno=$((stepno + 1)); printf '\n%s==> %d. %s%s\n' "$bold" "$stepno" "$*" "$reset"; }
say() { printf '    %s\n' "$*"; }
shown() { printf '%s    $ %s%s\n' "$dim" "$*" "$reset"; }
indent() { sed 's/^/      /'; }
die() { printf '%squickstart: %s%s\n' "$red" "$*" "$reset" >&2; exit 1; }

passed=0 failed=0
pass() { passed=$((passed + 1)); printf '    %sPASS%s %s\n' "$green" "$reset" "$*"; }
fail() { failed=$((failed + 1)); printf '    %sFAIL%s %s\n' "$red" "$reset" "$*"; }

[ "$(id -u)" -eq 0 ] || die "run as root (it creates network namespaces)"

# ---------------------------------------------------------------- dependencies and build
if [ -z "${BGPLB_SKIP_DEPS:-}" ]; then
  step "Installing missing Debian packages (scripts/install-deps.sh)"
  bash scripts/install-deps.sh | indent
fi
if [ -z "${BGPLB_SKIP_BUILD:-}" ]; then
  step "Building bgplb into $build/ (meson + ninja; minutes on a fresh machine)"
  build_log=$(mktemp /tmp/bgplb-quickstart-build-XXXXXX.log)
  if [ ! -f "$build/build.ninja" ]; then
    shown "meson setup $build"
    meson setup "$build" >"$build_log" 2>&1 || { tail -n 40 "$build_log"; die "meson setup failed (log: $build_log)"; }
  fi
  shown "ninja -C $build"
  ninja -C "$build" >>"$build_log" 2>&1 || { tail -n 40 "$build_log"; die "the build failed (log: $build_log)"; }
  tail -n 1 "$build_log" | indent
  rm -f "$build_log"
fi

# The bgplb binary that carries the speaker: `bgplb run` with --node.
bgplb=
for cand in "$build/speaker/cmd/bgplb" "$build/cmd/bgplb" "$build/controller/cmd/bgplb" "$build/controller/bgplb"; do
  if [ -x "$cand" ] && "$cand" run --help 2>&1 | grep -q -- '--node'; then bgplb=$(realpath "$cand"); break; fi
done
[ -n "$bgplb" ] || die "no bgplb with the speaker (\`bgplb run --node\`) in $build/; build it first"
for b in /usr/lib/frr/zebra /usr/lib/frr/bgpd vtysh ip python3 nsenter ethtool ${use_etcd:+etcd etcdctl}; do
  command -v "$b" >/dev/null || die "$b is missing (scripts/install-deps.sh installs it)"
done
bgplbctl=
if [ -n "$use_etcd" ]; then
  [ -x "$build/cli/bgplbctl" ] || die "no bgplbctl in $build/cli/; build it first"
  bgplbctl=$(realpath "$build/cli/bgplbctl")
fi

# ---------------------------------------------------------------- names and cleanup
rand=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
tag=bgplbqs-$$-$rand
ns_tor=$tag-tor ns_n1=$tag-node1 ns_n2=$tag-node2 ns_etcd=$tag-etcd ns_cl=$tag-client
# Interface names (at most 15 characters): q<rand><role>.
if_br=q${rand}br if_n1=q${rand}n1 if_n2=q${rand}n2 if_t1=q${rand}t1 if_t2=q${rand}t2 if_e=q${rand}e0 if_te=q${rand}te
if_c=q${rand}c0 if_tc=q${rand}tc
# The pods: name, node, address (examples/quickstart/endpoints-*.yaml).
pods=(web-local-1:1:10.244.1.10 web-local-2:2:10.244.2.10 web-cluster-1:1:10.244.1.20 web-cluster-2:2:10.244.2.20)
# bgplb pins its eBPF maps here (one directory per node), in the host's BPF filesystem, so
# a restarted bgplb finds them: the nodes run it with `nsenter --net`, which keeps the
# host's mounts (`ip netns exec` would give it a /sys, and so a bpffs, of its own).
pin_root=/sys/fs/bpf/bgplbqs-$$-$rand
# The nodes' uplinks are veths. A veth hands the frames an XDP program sends back out
# (XDP_TX: the tunnel to the other node) to its peer only when the peer runs XDP as well,
# which the ToR's bridge ports do not; generic XDP sends them through the stack. On a NIC
# bgplb's default (native XDP) needs nothing of the sort.
dataplane_args=(--dataplane-pin-root "$pin_root" --dataplane-xdp-generic)
tmp=
namespaces=()
pids=()     # started daemons (started with `ip netns exec ... &`, which execs: $! is the daemon)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "${cleaning:-}" ] && return
  cleaning=1
  step "Cleaning up"
  local i p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}
    kill -TERM "$p" 2>/dev/null || continue
  done
  # bgplb drains its sessions (RFC 8326 graceful shutdown) before it exits.
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  # The dataplane stays attached when bgplb stops (it keeps forwarding); remove it.
  if [ -d "$pin_root" ]; then
    for n in 1 2; do
      ns_var=ns_n$n
      nsenter --net="/var/run/netns/${!ns_var}" "$bgplb" dataplane detach --node "node$n" \
        --dataplane-pin-root "$pin_root" >/dev/null 2>&1 || true
    done
    rm -rf "$pin_root"
  fi
  # Anything still running inside our namespaces was started by this run.
  for n in "${namespaces[@]}"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  if [ -n "$tmp" ]; then
    if [ -n "${BGPLB_KEEP_TMP:-}" ]; then
      # Renamed so that the next run does not take it for what a killed run left behind.
      mv "$tmp" "${tmp/bgplb-quickstart-/bgplb-quickstart-kept-}" && say "kept ${tmp/bgplb-quickstart-/bgplb-quickstart-kept-}"
    else
      rm -rf "$tmp"
    fi
  fi
  say "stopped ${#pids[@]} processes, removed ${#namespaces[@]} namespaces"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What a run killed with SIGKILL left behind: namespaces and temp dirs named after a pid
# that no longer runs this script.
for n in $(ip netns list | awk '{print $1}'); do
  if [[ $n =~ ^bgplbqs-([0-9]+)-[0-9a-f]{6}- ]] && ! grep -qs quickstart "/proc/${BASH_REMATCH[1]}/cmdline"; then
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null && echo "quickstart: removed namespace $n left by a run that died"
  fi
done
for d in /tmp/bgplb-quickstart-* /sys/fs/bpf/bgplbqs-*; do
  [[ $d =~ ^(/tmp/bgplb-quickstart-|/sys/fs/bpf/bgplbqs-)([0-9]+)- ]] || continue
  grep -qs quickstart "/proc/${BASH_REMATCH[2]}/cmdline" || rm -rf "$d"
done

tmp=$(mktemp -d "/tmp/bgplb-quickstart-$$-XXXXXX")
chmod 755 "$tmp"

# ---------------------------------------------------------------- helpers for the checks
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
vty() { in_ns "$ns_tor" vtysh --vty_socket "$tmp/frr" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# fib MODE IP WANT SECONDS: watch the next hops of IP/32 in the router's kernel FIB
# (`ip -j route`, every 10 ms). MODE until: exit 0 as soon as they equal WANT (sorted,
# comma-separated; "" = no route); MODE stays: exit 0 if they equal WANT throughout. Prints
# the elapsed milliseconds and the next hops last seen.
fib() {
  python3 - "$ns_tor" "$@" <<'PY'
import json, os, subprocess, sys, time
ns, mode, ip, want, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
def hops():
    out = subprocess.run(["ip", "-n", ns, "-j", "-4", "route", "show", ip + "/32"],
                         capture_output=True, text=True).stdout
    found = set()
    for r in json.loads(out or "[]"):
        found.update(h["gateway"] for h in [r] + r.get("nexthops", []) if h.get("gateway"))
    return ",".join(sorted(found))
t0 = int(os.environ.get("SINCE_NS") or time.time_ns())   # the change, when the caller made one
while True:
    got, ms = hops(), (time.time_ns() - t0) // 1000000
    if mode == "until" and got == want:
        sys.exit(print(ms, got))
    if mode == "stays" and got != want:
        print(ms, got)
        sys.exit(1)
    if ms > seconds * 1000:
        print(ms, got)
        sys.exit(0 if mode == "stays" else 1)
    time.sleep(0.01)
PY
}

# BGP state the router has for neighbor $1 ("" when unknown).
bgp_state() {
  vty -d bgpd -c "show bgp ipv4 unicast summary json" 2>/dev/null | python3 -c '
import json, sys
try:
    peers = json.loads(sys.stdin.read()).get("peers", {})
except ValueError:
    peers = {}
print(peers.get(sys.argv[1], {}).get("state", ""))' "$1"
}

# wait_until SECONDS CMD...: poll CMD every 50 ms; the elapsed milliseconds in $waited.
wait_until() {
  local limit=$1 t0
  shift
  t0=$(now_ms)
  while true; do
    if "$@"; then waited=$(($(now_ms) - t0)); return 0; fi
    if [ $(($(now_ms) - t0)) -gt $((limit * 1000)) ]; then waited=$(($(now_ms) - t0)); return 1; fi
    sleep 0.05
  done
}
established() { [ "$(bgp_state "$1")" = "Established" ]; }
alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done; }

# expect_fib IP EXPECTED DESCRIPTION: PASS when the FIB comes to hold exactly EXPECTED;
# the time is counted from $since_ns (the change) when set.
expect_fib() {
  local r
  if r=$(SINCE_NS=${since_ns:-} fib until "$1" "$2" "$timeout"); then
    pass "$3 (seen after ${r%% *} ms)"
  else
    fail "$3: the router's FIB has next hops '${r#* }' for $1 after ${timeout}s, want '$2'"
  fi
}

# expect_fib_stays IP EXPECTED SECONDS DESCRIPTION: PASS when the FIB holds EXPECTED throughout.
expect_fib_stays() {
  local r
  if r=$(fib stays "$1" "$2" "$3"); then
    pass "$4 (unchanged for ${3}s)"
  else
    fail "$4: after ${r%% *} ms the router's FIB has next hops '${r#* }' for $1, want '$2'"
  fi
}

show_logs() {
  local f
  for f in "$tmp"/node1.log "$tmp"/node2.log "$tmp"/frr/bgpd.log "$tmp"/etcd-m*.log; do
    [ -f "$f" ] || continue
    say "--- last lines of $(basename "$f")"
    tail -n 15 "$f" | indent
  done
}

# ---------------------------------------------------------------- the demo
step "Creating network namespaces: a ToR router and two nodes on one segment"
for n in "$ns_tor" "$ns_n1" "$ns_n2"; do
  namespaces+=("$n")
  ip netns add "$n"
  ip -n "$n" link set lo up
done
ip -n "$ns_tor" link add "$if_br" type bridge
ip -n "$ns_tor" addr add 192.0.2.1/24 dev "$if_br"
ip -n "$ns_tor" link set "$if_br" up
i=0
for pair in "$ns_n1:$if_n1:$if_t1:192.0.2.11" "$ns_n2:$if_n2:$if_t2:192.0.2.12"; do
  IFS=: read -r n nif tif addr <<<"$pair"
  i=$((i + 1))
  ip -n "$n" link add "$nif" type veth peer name "$tif" netns "$ns_tor"
  ip -n "$n" addr add "$addr/24" dev "$nif"
  ip -n "$n" link set "$nif" up
  ip -n "$ns_tor" link set "$tif" master "$if_br" up
done
# The ToR routes (ECMP hashed on ports, so one client's connections spread over the
# nodes); the nodes route replies to clients through it.
in_ns "$ns_tor" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
for n in "$ns_n1" "$ns_n2"; do
  in_ns "$n" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$n" route add default via 192.0.2.1
done
say "tor    $ns_tor    bridge $if_br 192.0.2.1/24"
say "node1  $ns_n1  $if_n1 192.0.2.11/24"
say "node2  $ns_n2  $if_n2 192.0.2.12/24"

namespaces+=("$ns_cl")
ip netns add "$ns_cl"
ip -n "$ns_cl" link set lo up
ip -n "$ns_cl" link add "$if_c" type veth peer name "$if_tc" netns "$ns_tor"
ip -n "$ns_cl" addr add 203.0.113.10/24 dev "$if_c"
ip -n "$ns_cl" link set "$if_c" up
ip -n "$ns_cl" route add default via 203.0.113.1
ip -n "$ns_tor" addr add 203.0.113.1/24 dev "$if_tc"
ip -n "$ns_tor" link set "$if_tc" up
say "client $ns_cl $if_c 203.0.113.10/24, behind the ToR (203.0.113.1)"

# Pods, wired to their node as Calico's CNI wires them: a veth, a /32 route on the node,
# and the node answering ARP for the pod's gateway 169.254.1.1.
k=0
for pod in "${pods[@]}"; do
  IFS=: read -r name node addr <<<"$pod"
  k=$((k + 1))
  pns=$tag-$name nns=$tag-node$node pif=q${rand}p$k
  namespaces+=("$pns")
  ip netns add "$pns"
  ip -n "$pns" link set lo up
  ip -n "$nns" link add "$pif" type veth peer name eth0 netns "$pns"
  ip -n "$nns" link set "$pif" up
  in_ns "$nns" sysctl -qw "net.ipv4.conf.$pif.proxy_arp=1"
  ip -n "$nns" route add "$addr/32" dev "$pif"
  ip -n "$pns" addr add "$addr/32" dev eth0
  ip -n "$pns" link set eth0 up
  ip -n "$pns" route add 169.254.1.1 dev eth0 scope link
  ip -n "$pns" route add default via 169.254.1.1 dev eth0
  ip netns exec "$pns" python3 -u "$src/scripts/demo_traffic.py" serve "$name" >"$tmp/pod-$name.log" 2>&1 &
  pids+=($!)
  say "pod    $pns on node$node, $addr, web server on :8080 (TCP and UDP)"
done
if [ -n "$use_etcd" ]; then
  namespaces+=("$ns_etcd")
  ip netns add "$ns_etcd"
  ip -n "$ns_etcd" link set lo up
  ip -n "$ns_etcd" link add "$if_e" type veth peer name "$if_te" netns "$ns_tor"
  for k in 1 2 3; do ip -n "$ns_etcd" addr add "192.0.2.2$k/24" dev "$if_e"; done
  ip -n "$ns_etcd" link set "$if_e" up
  ip -n "$ns_tor" link set "$if_te" master "$if_br" up
  say "etcd   $ns_etcd   $if_e 192.0.2.21-23/24 (three members, one host here)"
fi

step "Starting FRR on the ToR: AS 64500, both nodes as eBGP neighbors, ECMP over up to 8 paths"
mkdir -p "$tmp/frr"
chown frr:frr "$tmp/frr"
cat >"$tmp/frr/zebra.conf" <<EOF
hostname tor
log file $tmp/frr/zebra.log informational
EOF
cat >"$tmp/frr/bgpd.conf" <<EOF
frr defaults traditional
hostname tor
log file $tmp/frr/bgpd.log informational
log timestamp precision 3
router bgp 64500
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 ! equal-cost paths from different AS numbers count as multipath too
 bgp bestpath as-path multipath-relax
 neighbor nodes peer-group
 neighbor nodes remote-as 64512
 neighbor nodes timers 3 9
 neighbor nodes timers connect 1
 neighbor 192.0.2.11 peer-group nodes
 neighbor 192.0.2.12 peer-group nodes
 address-family ipv4 unicast
  neighbor nodes activate
  maximum-paths 8
 exit-address-family
EOF
chmod 644 "$tmp/frr/zebra.conf" "$tmp/frr/bgpd.conf"
sed 's/^/      /' "$tmp/frr/bgpd.conf" | grep -v -e 'log ' -e '^ *!'
frr_common=(--vty_socket "$tmp/frr" -P 0 -z "$tmp/frr/zserv.api")
ip netns exec "$ns_tor" /usr/lib/frr/zebra -f "$tmp/frr/zebra.conf" -i "$tmp/frr/zebra.pid" "${frr_common[@]}" \
  >"$tmp/frr/zebra.out" 2>&1 &
pids+=($!)
wait_until 20 test -S "$tmp/frr/zserv.api" || die "zebra did not start: $(cat "$tmp/frr/zebra.out")"
ip netns exec "$ns_tor" /usr/lib/frr/bgpd -f "$tmp/frr/bgpd.conf" -i "$tmp/frr/bgpd.pid" "${frr_common[@]}" \
  >"$tmp/frr/bgpd.out" 2>&1 &
pids+=($!)
wait_until 20 eval 'vty -d bgpd -c "show bgp summary" >/dev/null 2>&1' ||
  die "bgpd did not start: $(cat "$tmp/frr/bgpd.out")"
say "zebra and bgpd are up (configs and logs in $tmp/frr)"

etcd_uri=
if [ -n "$use_etcd" ]; then
  step "Starting a 3-member etcd cluster (etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p'))"
  initial=m1=http://192.0.2.21:2380,m2=http://192.0.2.22:2380,m3=http://192.0.2.23:2380
  for k in 1 2 3; do
    a=192.0.2.2$k
    ip netns exec "$ns_etcd" etcd --name "m$k" --data-dir "$tmp/etcd/m$k" \
      --listen-client-urls "http://$a:2379" --advertise-client-urls "http://$a:2379" \
      --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "$tag" \
      --logger zap --log-level warn >"$tmp/etcd-m$k.log" 2>&1 &
    pids+=($!)
  done
  etcd_endpoints=192.0.2.21:2379,192.0.2.22:2379,192.0.2.23:2379
  # A short lease for the demo: a killed leader is replaced within 3 s (default 10 s).
  etcd_uri="etcd://$etcd_endpoints/bgplb?lease-ttl=3s"
  etcdctl_() { ETCDCTL_API=3 in_ns "$ns_etcd" etcdctl --endpoints "$etcd_endpoints" --command-timeout 3s "$@"; }
  # The operator's commands run where etcd is reachable: here, its own namespace.
  bgplbctl_() { in_ns "$ns_etcd" "$bgplbctl" "$@"; }
  wait_until "$timeout" eval 'etcdctl_ endpoint health >/dev/null 2>&1' ||
    die "etcd did not become healthy: $(tail -n 5 "$tmp"/etcd-m*.log)"
  etcdctl_ endpoint status -w table | indent
  say "datastore: $etcd_uri (data in $tmp/etcd)"
fi

if [ -n "$use_etcd" ]; then
  step "Copying examples/quickstart/ to a temp dir: the manifests to store in etcd"
else
  step "Copying examples/quickstart/ to a temp dir: the datastore both nodes read"
fi
cp -r "$src/examples/quickstart" "$tmp/manifests"
rm -f "$tmp/manifests/README.md"
for f in "$tmp"/manifests/*.yaml; do say "$(basename "$f")"; done
shown "bgplb plan -f $tmp/manifests -o table"
plan=$("$bgplb" plan -f "$tmp/manifests" -o json) || { "$bgplb" plan -f "$tmp/manifests" -o table | indent; die "bgplb plan reports configuration errors"; }
"$bgplb" plan -f "$tmp/manifests" -o table | indent
service_ip() {
  python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["services"]:
    if (s["namespace"], s["name"]) == ("demo", sys.argv[2]) and s["ips"]:
        print(s["ips"][0])' "$plan" "$1"
}
ip_local=$(service_ip web-local)
ip_cluster=$(service_ip web-cluster)
{ [ -n "$ip_local" ] && [ -n "$ip_cluster" ]; } || die "bgplb plan allocated no address to the demo services"
say "demo/web-local   (externalTrafficPolicy Local)   -> $ip_local   endpoints on node1 and node2"
say "demo/web-cluster (externalTrafficPolicy Cluster) -> $ip_cluster   endpoints on node1 and node2"

if [ -n "$use_etcd" ]; then
  step "Storing the manifests in etcd (one key per object, validated first)"
  shown "bgplbctl apply -f $tmp/manifests --datastore $etcd_uri"
  if bgplbctl_ apply -f "$tmp/manifests" --datastore "$etcd_uri" 2>&1 | indent; then
    pass "bgplbctl apply stored every object"
  else
    fail "bgplbctl apply refused the manifests"
  fi
  shown "bgplbctl get services -n demo --datastore $etcd_uri"
  bgplbctl_ get services -n demo --datastore "$etcd_uri" 2>&1 | indent || true
fi

# The ledger in etcd as "namespace/name ip" lines, sorted.
etcd_ledger() {
  etcdctl_ get --prefix /bgplb/v1/ledger/services/ --print-value-only 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        e = json.loads(line)
        for ip in e["ips"]:
            print("%s/%s %s" % (e["namespace"], e["name"], ip))' | sort
}

declare -A node_pid
# start_node N: bgplb run on node N, in the background, its log appended to nodeN.log.
start_node() {
  local n=$1 ns_var=ns_n$1
  local in_node=(nsenter --net="/var/run/netns/${!ns_var}")
  if [ -n "$use_etcd" ]; then
    shown "nsenter --net=/var/run/netns/${!ns_var} bgplb run --datastore '$etcd_uri' --node node$n --shutdown-drain 1 ${dataplane_args[*]}"
    "${in_node[@]}" "$bgplb" run --datastore "$etcd_uri" --node "node$n" --shutdown-drain 1 \
      "${dataplane_args[@]}" >>"$tmp/node$n.log" 2>&1 &
  else
    shown "nsenter --net=/var/run/netns/${!ns_var} bgplb run -f $tmp/manifests --state $tmp/state --node node$n --shutdown-drain 1 ${dataplane_args[*]}"
    "${in_node[@]}" "$bgplb" run -f "$tmp/manifests" --state "$tmp/state" --node "node$n" \
      --shutdown-drain 1 "${dataplane_args[@]}" >>"$tmp/node$n.log" 2>&1 &
  fi
  pids+=($!)
  node_pid[$n]=$!
}
# The last leader event of node N's log: yes, no or "" (none yet).
leading() { grep -o 'event=leader leading=[a-z]*' "$tmp/node$1.log" 2>/dev/null | tail -n 1 | cut -d= -f3; }
one_leads() { [ "$(leading 1)$(leading 2)" = yesno ] || [ "$(leading 1)$(leading 2)" = noyes ]; }

if [ -n "$use_etcd" ]; then
  step "Starting bgplb on each node: both campaign in etcd, one controller allocates"
  for n in 1 2; do start_node "$n"; done
  if wait_until "$timeout" one_leads; then
    leader=1
    [ "$(leading 1)" = yes ] || leader=2
    other=$((3 - leader))
    pass "exactly one controller: node$leader leads, node$other stands by ($(grep -o 'reason="not leading[^"]*' "$tmp/node$other.log" | tail -n 1 | cut -c9-))"
  else
    fail "the nodes did not elect one controller (node1: '$(leading 1)', node2: '$(leading 2)')"
  fi
else
  step "Starting bgplb on each node: one state directory for the rack, one controller allocating"
  mkdir -p "$tmp/state"
  for n in 1 2; do start_node "$n"; done
  say "node1 allocates (the first Node by name); node2 stands by and announces from node1's ledger"
  if wait_until "$timeout" grep -q 'event=leader leading=no' "$tmp/node2.log" && grep -q 'event=leader leading=yes' "$tmp/node1.log"; then
    pass "exactly one controller: node1 leads, node2 stands by ($(grep -o 'reason="standing by[^"]*' "$tmp/node2.log" | head -n 1 | cut -c9-))"
  else
    fail "the nodes did not elect node1's controller alone"
  fi
fi

step "Waiting for the BGP sessions at the ToR"
for pair in node1:192.0.2.11 node2:192.0.2.12; do
  if wait_until "$timeout" established "${pair#*:}"; then
    pass "session from ${pair%%:*} (${pair#*:}) Established at the ToR (after ${waited} ms)"
  else
    fail "session from ${pair%%:*} (${pair#*:}) not Established after ${timeout}s (state '$(bgp_state "${pair#*:}")')"
  fi
done
shown 'vtysh -c "show bgp ipv4 unicast summary"'
vty -d bgpd -c "show bgp ipv4 unicast summary" | sed -n '/^Neighbor/,/^$/p' | indent

step "The ToR learns both service addresses from both nodes and installs ECMP routes"
expect_fib "$ip_local" 192.0.2.11,192.0.2.12 "web-local $ip_local via node1 and node2 (both have a ready endpoint)"
expect_fib "$ip_cluster" 192.0.2.11,192.0.2.12 "web-cluster $ip_cluster via node1 and node2 (Cluster: every node announces)"
shown 'vtysh -c "show ip route"'
vty -d zebra -c "show ip route" | sed -n '/^[A-Z>*]/p;/^ *\*/p;/^ *via/p' | grep -v '^Codes' | indent
if [ -n "$use_etcd" ]; then
  shown "etcdctl get --prefix /bgplb/v1/ledger/services/ --print-value-only"
  ledger=$(etcd_ledger)
  printf '%s\n' "$ledger" | indent
  if [ "$ledger" = "$(printf 'demo/web-cluster %s\ndemo/web-local %s' "$ip_cluster" "$ip_local" | sort)" ]; then
    pass "the ledger in etcd holds the addresses bgplb plan computed"
  else
    fail "the ledger in etcd differs from bgplb plan's allocation"
  fi
fi
shown "ip route        (the ToR's kernel FIB)"
ip -n "$ns_tor" route | indent

# ---------------------------------------------------------------- traffic
# client ARGS...: scripts/demo_traffic.py in the client's namespace.
client() { in_ns "$ns_cl" python3 "$src/scripts/demo_traffic.py" "$@"; }
# node_metric N SERIES: the value of SERIES (name{labels}) on node N's /metrics, 0 when absent.
node_metric() {
  local ns_var=ns_n$1
  in_ns "${!ns_var}" python3 - "$2" <<'PY'
import re, sys, urllib.request
try:
    text = urllib.request.urlopen("http://127.0.0.1:7472/metrics", timeout=3).read().decode()
except OSError:
    text = ""
m = re.search(r"^%s (\S+)$" % re.escape(sys.argv[1]), text, re.M)
print(int(float(m.group(1))) if m else 0)
PY
}
# events NAME: the dataplane event counter NAME summed over both nodes.
events() {
  echo $(($(node_metric 1 "bgplb_dataplane_events_total{event=\"$1\"}") + $(node_metric 2 "bgplb_dataplane_events_total{event=\"$1\"}")))
}
# check_answers WHAT WANT_PODS ANSWERS: the pods that answered and the client address they saw.
check_answers() {
  local what=$1 want=$2 answers=$3 got seen tally
  got=$(awk '{print $1}' <<<"$answers" | sort -u | paste -sd' ')
  seen=$(awk '{print $2}' <<<"$answers" | sort -u | paste -sd' ')
  tally=$(awk '{print $1}' <<<"$answers" | sort | uniq -c | awk '{printf "%s%s %d", sep, $2, $1; sep=", "}')
  if [ "$got" = "$want" ]; then
    pass "$what: answered by pods on both nodes ($tally)"
  else
    fail "$what: answered by '${got:-nobody}', want '$want'"
  fi
  if [ "$seen" = 203.0.113.10 ]; then
    pass "$what: every pod saw the client's own address, 203.0.113.10"
  else
    fail "$what: the pods saw '${seen:-nothing}', not the client's 203.0.113.10"
  fi
}
# replace_manifest FILE: FILE.new (a dot-file, which the datastore skips) replaces FILE at once.
replace_manifest() {
  local f=$1
  mv "$(dirname "$f")/.$(basename "$f").new" "$f"
  if [ -n "$use_etcd" ]; then
    shown "bgplbctl apply -f $f --datastore $etcd_uri"
    bgplbctl_ apply -f "$f" --datastore "$etcd_uri" 2>&1 | indent || fail "bgplbctl apply refused $f"
  fi
}
# stop_node N: SIGTERM (bgplb drains its sessions and exits) and wait for the exit.
stop_node() {
  local old=${node_pid[$1]} i
  kill -TERM "$old"
  wait "$old" 2>/dev/null || true
  for i in "${!pids[@]}"; do [ "${pids[i]}" = "$old" ] && unset 'pids[i]'; done
  pids=("${pids[@]}")
}

step "A client behind the ToR connects to both services: each node's eBPF dataplane hands the connection to a pod"
say "the ToR spreads connections over node1 and node2 (ECMP, hashed on ports); the dataplane (XDP on each"
say "node's uplink) picks a pod: web-local only its own node's (Local), web-cluster either (Cluster, Maglev)"
if wait_until "$timeout" eval 'client ask "$ip_local" 1 >/dev/null 2>&1 && client ask "$ip_cluster" 1 >/dev/null 2>&1'; then
  pass "both services answer through the dataplane (first answers after ${waited} ms)"
else
  fail "no answer from web-local or web-cluster after ${timeout}s: $(client ask "$ip_local" 1 2>&1 | tail -n 1)"
fi
fwd0=$(events fwd_remote) decap0=$(events decap)
for svc in web-local:"$ip_local" web-cluster:"$ip_cluster"; do
  name=${svc%%:*} ip=${svc#*:}
  shown "demo_traffic.py ask $ip 20          (in the client's namespace: 20 HTTP requests, a new connection each)"
  answers=$(client ask "$ip" 20 2>&1) || fail "$name: a request failed: $(tail -n 1 <<<"$answers")"
  head -n 4 <<<"$answers" | indent
  check_answers "$name $ip, 20 TCP connections" "$name-1 $name-2" "$answers"
done
fwd=$(($(events fwd_remote) - fwd0)) decap=$(($(events decap) - decap0))
if [ "$fwd" -gt 0 ] && [ "$decap" -gt 0 ]; then
  pass "web-cluster: $fwd packets went through the tunnel to the other node's pod, which decapsulated $decap; its replies left from there with the service address (direct server return: no SNAT, no detour)"
else
  fail "web-cluster: no connection crossed to the other node's pod (tunnelled $fwd, decapsulated $decap)"
fi
for svc in web-local:"$ip_local" web-cluster:"$ip_cluster"; do
  name=${svc%%:*} ip=${svc#*:}
  shown "demo_traffic.py ask $ip 20 --udp    (20 UDP exchanges, a new source port each)"
  answers=$(client ask "$ip" 20 --udp 2>&1) || fail "$name: a UDP exchange failed: $(tail -n 1 <<<"$answers")"
  check_answers "$name $ip, 20 UDP exchanges" "$name-1 $name-2" "$answers"
done

step "One established connection outlives a rolling restart of bgplb and the removal of its pod's endpoint"
coproc HELD { in_ns "$ns_cl" python3 -u "$src/scripts/demo_traffic.py" hold "$ip_cluster" 2>&1; }
pids+=("$HELD_PID")
held_in=${HELD[1]} held_out=${HELD[0]}
read -r -t 5 held_answer <&"$held_out" || held_answer="no connection"
say "a connection to web-cluster $ip_cluster: $held_answer"
# held_ask: one request on the held connection; its answer in $held_answer.
held_ask() { echo ask >&"$held_in"; read -r -t 5 held_answer <&"$held_out" || held_answer="error: no answer within 5 s"; }
held_ask
held_pod=${held_answer%% *}
say "answered by $held_pod"
# held_check WHEN: the held connection must still be answered by $held_pod.
held_check() {
  held_ask
  if [ "${held_answer%% *}" = "$held_pod" ]; then
    pass "$1: the same connection is still answered by $held_pod"
  else
    fail "$1: the held connection got '$held_answer', want $held_pod"
  fi
}
for n in 1 2; do
  shown "kill -TERM <bgplb on node$n>"
  stop_node "$n"
  expect_fib "$ip_cluster" "192.0.2.1$((3 - n))" "bgplb on node$n stopped: the ToR sends all of web-cluster to node$((3 - n))"
  held_check "while node$n is away (node$((3 - n)) builds the same Maglev row)"
  start_node "$n"
  wait_until "$timeout" established "192.0.2.1$n" || fail "node$n's session did not come back"
  expect_fib "$ip_cluster" 192.0.2.11,192.0.2.12 "bgplb on node$n started again: web-cluster via node1 and node2"
  held_check "after node$n's restart"
done
held_addr=10.244.${held_pod##*-}.20
other_pod=web-cluster-$((3 - ${held_pod##*-}))
slice_c=$tmp/manifests/endpoints-web-cluster.yaml
python3 - "$slice_c" "$held_addr" >"$tmp/manifests/.endpoints-web-cluster.yaml.new" <<'PY'
import sys
text, addr = open(sys.argv[1]).read(), sys.argv[2]
head, _, items = text.partition("endpoints:\n")
keep = [e for e in items.split("- addresses:")[1:] if addr not in e]
print(head + "endpoints:\n" + "".join("- addresses:" + e for e in keep), end="")
PY
say "removing $held_pod's endpoint ($held_addr) from web-cluster's EndpointSlice"
diff -u "$slice_c" "$tmp/manifests/.endpoints-web-cluster.yaml.new" | tail -n +3 | grep '^[-+]' | indent || true
t0=$(now_ms)
replace_manifest "$slice_c"
if wait_until "$timeout" eval '[ "$(client ask "$ip_cluster" 10 2>/dev/null | awk "{print \$1}" | sort -u)" = "$other_pod" ]'; then
  pass "new connections go to $other_pod only ($(($(now_ms) - t0)) ms after the edit)"
else
  fail "new connections still reach $held_pod ${timeout}s after its endpoint was removed"
fi
held_ask
if [ "${held_answer%% *}" = "$held_pod" ]; then
  pass "the held connection is still answered by $held_pod: an established flow keeps its backend"
else
  fail "after the endpoint's removal the held connection got '$held_answer', want $held_pod"
fi

step "Removing web-local's endpoint on node2 (an atomic rewrite of its EndpointSlice)"
slice=$tmp/manifests/endpoints-web-local.yaml
cat >"$tmp/manifests/.endpoints-web-local.yaml.new" <<'EOF'
# Endpoints of demo/web-local: node2's pod is gone; only node1 has one.
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-local-x7k2p
  namespace: demo
  labels: {kubernetes.io/service-name: web-local}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: echo, port: 8080, protocol: UDP}
endpoints:
- addresses: [10.244.1.10]
  nodeName: node1
  conditions: {ready: true, serving: true, terminating: false}
EOF
diff -u "$slice" "$tmp/manifests/.endpoints-web-local.yaml.new" | tail -n +3 | grep '^[-+]' | indent || true
# The datastore skips dot-files, so it only ever sees the old file or the new one.
log_mark=$(wc -l <"$tmp/node2.log")
since_ns=$(date +%s%N)
replace_manifest "$slice"
expect_fib "$ip_local" 192.0.2.11 "web-local $ip_local now via node1 only: node2 withdrew it"
since_ns=
expect_fib_stays "$ip_cluster" 192.0.2.11,192.0.2.12 1 "web-cluster $ip_cluster still via node1 and node2"
shown 'vtysh -c "show ip route bgp"'
vty -d zebra -c "show ip route bgp" | sed -n '/^B/p;/^ *\*/p;/^ *via/p' | indent
shown "ip route        (the ToR's kernel FIB)"
ip -n "$ns_tor" route | indent

step "Why node2 withholds web-local: bgplb plan --node node2"
shown "bgplb plan -f $tmp/manifests --node node2 -o json"
withheld=$("$bgplb" plan -f "$tmp/manifests" --node node2 -o json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    sys.exit(0)
for w in d.get("withheld", []):
    svc = w.get("service") or "%s/%s" % (w.get("namespace"), w.get("name"))
    print("%s %s: %s" % (svc, w.get("ip"), w.get("reason")))' || true)
if grep -q "web-local" <<<"$withheld"; then
  printf '%s\n' "$withheld" | indent
  pass "bgplb plan says why node2 does not announce web-local"
else
  fail "bgplb plan --node node2 lists no withheld web-local (got: ${withheld:-nothing})"
fi
say "node2's log since the edit (route and withheld-service events):"
tail -n +$((log_mark + 1)) "$tmp/node2.log" | grep -e 'event=route_' -e 'event=service_withheld' | head -n 6 | indent || true

if [ -n "$use_etcd" ]; then
  # The rolling restart above may have moved the lead.
  leader=1
  [ "$(leading 1)" = yes ] || leader=2
  other=$((3 - leader))
  step "Killing the leading controller: kill -9 of bgplb on node$leader"
  ledger_before=$(etcd_ledger)
  survivor=$other
  survivor_addr=192.0.2.1$survivor
  shown "kill -9 ${node_pid[$leader]}"
  t0=$(now_ms)
  kill -KILL "${node_pid[$leader]}"
  wait "${node_pid[$leader]}" 2>/dev/null || true
  for i in "${!pids[@]}"; do [ "${pids[i]}" = "${node_pid[$leader]}" ] && unset 'pids[i]'; done
  pids=("${pids[@]}")
  # The killed process's lease expires within its TTL (3 s); etcd deletes its election
  # key, and the survivor, which watches that key, leads.
  if wait_until 8 eval '[ "$(leading $survivor)" = yes ]'; then
    pass "node$survivor leads $(($(now_ms) - t0)) ms after the kill (lease TTL 3000 ms)"
  else
    fail "node$survivor does not lead 8 s after the leader was killed"
  fi
  if [ "$(etcd_ledger)" = "$ledger_before" ]; then
    pass "the ledger in etcd is unchanged: no address moved"
  else
    fail "the ledger changed across the failover: $(etcd_ledger | tr '\n' ' ')"
  fi
  expect_fib "$ip_cluster" "$survivor_addr" "web-cluster $ip_cluster via node$survivor only (node$leader's session went with it)"
  if [ "$survivor" = 1 ]; then
    expect_fib "$ip_local" 192.0.2.11 "web-local $ip_local still via node1"
  else
    expect_fib "$ip_local" "" "web-local $ip_local withdrawn: its only endpoint is on node1"
  fi

  step "Restarting bgplb on node$leader: it campaigns again and stands by"
  start_node "$leader"
  if wait_until "$timeout" eval '[ "$(leading $leader)" = no ]' && [ "$(leading $survivor)" = yes ]; then
    pass "node$leader stands by ($(grep -o 'reason="not leading[^"]*' "$tmp/node$leader.log" | tail -n 1 | cut -c9-))"
  else
    fail "node$leader did not stand by after its restart (node$leader: '$(leading $leader)', node$survivor: '$(leading $survivor)')"
  fi
  expect_fib "$ip_cluster" 192.0.2.11,192.0.2.12 "web-cluster $ip_cluster via node1 and node2 again"
  expect_fib "$ip_local" 192.0.2.11 "web-local $ip_local via node1 again"
  if [ "$(etcd_ledger)" = "$ledger_before" ]; then
    pass "the ledger in etcd is still unchanged"
  else
    fail "the ledger changed after the restart: $(etcd_ledger | tr '\n' ' ')"
  fi
fi

step "What node1 reports on its metrics endpoint (127.0.0.1:7472 in its namespace)"
shown "GET http://127.0.0.1:7472/metrics   (from node1's namespace; MetalLB's metric names)"
in_ns "$ns_n1" python3 -c '
import sys, urllib.request
try:
    text = urllib.request.urlopen("http://127.0.0.1:7472/metrics", timeout=3).read().decode()
except OSError as e:
    sys.exit("metrics not reachable: %s" % e)
for line in text.splitlines():
    if line.startswith(("metallb_bgp_session_up", "metallb_speaker_announced", "metallb_bgp_announced_prefixes_total")):
        print(line)' 2>&1 | indent || true

if alive; then
  pass "bgplb on both nodes and FRR ran throughout"
else
  fail "a process exited early"
fi
[ "$failed" -eq 0 ] || show_logs

printf '\n%s%d expectations: %d passed, %d failed%s\n' "$bold" $((passed + failed)) "$passed" "$failed" "$reset"
[ "$failed" -eq 0 ]
