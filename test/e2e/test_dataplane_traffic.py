"""Real traffic through the product: bgplb-speaker programs its eBPF dataplane on three
nodes from the manifests, the ToR (FRR, then BIRD) routes the service addresses by BGP
with ECMP, and a client behind the ToR talks TCP and UDP to pods behind the nodes.

    client 203.0.113.10 (.11)  -- tor (bridge 192.0.2.1, fd00:e2e::1; ECMP hashed on ports)
           fd00:203::10                |            |            |
                                     node1        node2        node3 (no pod)
                                     pod1         pod2

The rack is dual-stack (fabric.Fabric.ipv6): every node has an IPv4 and an IPv6 session
with the ToR and both InternalIPs, each pod an IPv4 and an IPv6 address, and two IPv6
single-stack Services take their addresses from the pool's IPv6 range.

Pods are wired as Calico's CNI wires them (a veth per pod, a /32 route on the node, proxy
ARP for 169.254.1.1) and answer every TCP line and UDP datagram on 8080 with their name
and the client address they saw (dataplane/test/e2e/pod_server.py). The speakers enter
their node's network namespace only (nsenter), so their pins live in the host's BPF
filesystem, under a pin root of this run's own, and outlive a restart.

FRR runs the module in XDP, BIRD in tc. A veth hands the frames an XDP program sends back
out (XDP_TX: the tunnel to another node) to its peer only when the peer runs XDP too
(Linux 6.18 veth_xdp_flush; a NIC needs nothing of the sort), so in XDP the ToR's bridge
ports run the module with no service, which passes everything (dataplane_tool, as
dataplane/test/e2e does).

Checked: the client's address at the pod in both policies and both families, backends on both nodes, a node
without a pod forwarding through the tunnel with replies leaving the backend's node
(FRR), ClientIP affinity, loadBalancerSourceRanges, a terminating then removed backend
keeping its connection, a connection kept while the ToR moves it between nodes and across
a kill -9 of every speaker (the BGPPeer enables graceful restart, so the ToR keeps the
routes meanwhile), and `bgplb-speaker dataplane detach` leaving nothing.
"""
import contextlib
import json
import os
import re
import shutil
import subprocess

import pytest

import fabric
import manifests
import netns
import routers

HERE = os.path.dirname(os.path.abspath(__file__))
DATAPLANE_E2E = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'dataplane', 'test', 'e2e')
import sys  # noqa: E402
sys.path.insert(0, DATAPLANE_E2E)
from rack import Conn, socket_in_netns, udp_ask  # noqa: E402

CLIENT, OTHER_CLIENT, CLIENT_GW = '203.0.113.10', '203.0.113.11', '203.0.113.1'
CLIENT6, CLIENT6_GW = 'fd00:203::10', 'fd00:203::1'
PODS = {'pod1': ('node1', '10.244.1.21'), 'pod2': ('node2', '10.244.2.21')}
PODS6 = {'pod1': 'fd00:244:1::21', 'pod2': 'fd00:244:2::21'}
POD_GW6 = 'fe80::1'     # Calico's pods route IPv6 through a fixed link-local the node answers for
LOCAL, CLUSTER, STICKY, RANGED = 'web-local', 'web-cluster', 'web-sticky', 'web-ranged'
LOCAL6, CLUSTER6 = 'web6-local', 'web6-cluster'
KINDS = (('frr', 'xdp'), ('bird', 'tc'))
TOR_TOOL = os.path.abspath(os.path.join(os.environ.get('BGPLB_BUILD_DIR', 'build'), 'dataplane/test/dataplane_tool'))
PIN_PREFIX = '/sys/fs/bpf/bgplbe2e-'   # + pid-id: a run's pins (its nodes', and the ToR's with -tor)
TRIES = 24              # connections per check: all on one pod by chance has odds 2^-23


def cluster():
    E, S = manifests.Endpoint, manifests.Service
    both = [E(node, addr) for node, addr in PODS.values()]
    both6 = [E(node, PODS6[pod]) for pod, (node, _) in PODS.items()]
    return manifests.Cluster(
        tor_address=fabric.TOR_ADDR, tor_address6=fabric.TOR_ADDR6, my_asn=fabric.MY_ASN, tor_asn=fabric.TOR_ASN,
        nodes=[manifests.Node(n, a, address6=fabric.NODES6[n]) for n, a in fabric.NODES],
        services={
            LOCAL: S(LOCAL, 'Local', '10.96.0.20', list(both), udp=True),
            CLUSTER: S(CLUSTER, 'Cluster', '10.96.0.21', list(both), udp=True),
            STICKY: S(STICKY, 'Cluster', '10.96.0.22', list(both), affinity_seconds=600),
            RANGED: S(RANGED, 'Cluster', '10.96.0.23', list(both), source_ranges=[CLIENT + '/32']),
            LOCAL6: S(LOCAL6, 'Local', 'fd00:96::20', list(both6), udp=True),
            CLUSTER6: S(CLUSTER6, 'Cluster', 'fd00:96::21', list(both6), udp=True),
        },
        pool_addresses=['198.51.100.0/28', '2001:db8:e2e::/124'], pool_labels={'e2e.bgplb.io/announce': 'yes'},
        advert_pool_selector={'e2e.bgplb.io/announce': 'yes'}, graceful_restart=True)


class TrafficFabric(fabric.Fabric):
    host_mounts = True      # pins in the host's bpffs: they outlive a speaker
    ipv6 = True

    def __init__(self, kind, hook, speaker_bin, controller_bin):
        super().__init__(kind, speaker_bin, controller_bin)
        self.hook = hook
        self.pin_root = '%s%d-%s' % (PIN_PREFIX, os.getpid(), self.topo.id)
        self.pods = []
        try:
            self._wire()
        except BaseException:
            self.close()
            raise

    def dataplane_args(self, name):
        return ['--dataplane', self.hook, '--dataplane-pin-root', self.pin_root]

    def _wire(self):
        t = self.topo
        self.client_ns = t.add_ns('cl')
        for ns in [self.tor_ns, self.client_ns] + list(self.node_ns.values()):
            for knob in ('net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
                         'net.ipv6.conf.all.forwarding=1'):
                ns.run(['sysctl', '-qw', knob])
        self.hash_on_ports(True)
        inner, outer = 'b%scl' % t.id, 'b%stc' % t.id
        self.client_ns.run(['ip', 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer, 'netns', self.tor_ns.name])
        for a in (CLIENT, OTHER_CLIENT):
            self.client_ns.run(['ip', 'addr', 'add', a + '/24', 'dev', inner])
        self.client_ns.run(['ip', 'addr', 'add', CLIENT6 + '/64', 'dev', inner, 'nodad'])
        self.client_ns.run(['ip', 'link', 'set', inner, 'up'])
        self.client_ns.run(['ip', 'route', 'add', 'default', 'via', CLIENT_GW])
        self.client_ns.run(['ip', '-6', 'route', 'add', 'default', 'via', CLIENT6_GW])
        # frames off a real wire carry whole checksums
        self.client_ns.run(['ethtool', '-K', inner, 'tx', 'off', 'tso', 'off', 'gso', 'off'])
        self.tor_ns.run(['ip', 'addr', 'add', CLIENT_GW + '/24', 'dev', outer])
        self.tor_ns.run(['ip', 'addr', 'add', CLIENT6_GW + '/64', 'dev', outer, 'nodad'])
        self.tor_ns.run(['ip', 'link', 'set', outer, 'up'])
        tor_ports = ['b%st%d' % (t.id, k) for k in range(1, len(fabric.NODES) + 1)]
        for name, _ in fabric.NODES:
            self.node_ns[name].run(['ip', 'route', 'add', 'default', 'via', fabric.TOR_ADDR])
            self.node_ns[name].run(['ip', '-6', 'route', 'add', 'default', 'via', fabric.TOR_ADDR6])
        for port in tor_ports:
            self.tor_ns.run(['ethtool', '-K', port, 'tx', 'off', 'tso', 'off', 'gso', 'off'])
        if self.hook == 'xdp':
            self.tor_tool('attach', '--mode', 'xdp', *[a for p in tor_ports for a in ('--iface', p)])
        for pod, (node, addr) in PODS.items():
            ns, host_if = t.add_ns(pod), 'b%s%s' % (t.id, pod[-1] + 'p')
            self.node_ns[node].run(['ip', 'link', 'add', host_if, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name])
            self.node_ns[node].run(['ip', 'link', 'set', host_if, 'up'])
            self.node_ns[node].run(['sysctl', '-qw', 'net.ipv4.conf.%s.proxy_arp=1' % host_if])
            self.node_ns[node].run(['ip', 'route', 'add', addr + '/32', 'dev', host_if])
            self.node_ns[node].run(['ip', '-6', 'route', 'add', PODS6[pod] + '/128', 'dev', host_if])
            self.node_ns[node].run(['ip', '-6', 'addr', 'add', POD_GW6 + '/64', 'dev', host_if, 'nodad'])
            ns.run(['ip', 'addr', 'add', addr + '/32', 'dev', 'eth0'])
            ns.run(['ip', 'addr', 'add', PODS6[pod] + '/128', 'dev', 'eth0', 'nodad'])
            ns.run(['ip', 'link', 'set', 'eth0', 'up'])
            ns.run(['ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link'])
            ns.run(['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'])
            ns.run(['ip', '-6', 'route', 'add', POD_GW6, 'dev', 'eth0'])
            ns.run(['ip', '-6', 'route', 'add', 'default', 'via', POD_GW6, 'dev', 'eth0'])
            p = ns.popen(['python3', '-u', os.path.join(DATAPLANE_E2E, 'pod_server.py'), pod],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.pods.append(p)
            line = p.stdout.readline()
            assert 'ready' in line, 'pod server %s: %s' % (pod, line)

    def tor_tool(self, *args, check=True):
        """dataplane_tool in the ToR's namespace, on pins of its own."""
        return netns.run([TOR_TOOL, args[0], '--netns', self.tor_ns.name, '--pin-root', self.pin_root + '-tor'] + list(args[1:]),
                         check=check, timeout=60)

    def hash_on_ports(self, on):
        """The ToR's ECMP hash: on the 5-tuple (connections spread over the nodes) or on the
        addresses only (one client's connections to one address take one node)."""
        for family in ('ipv4', 'ipv6'):
            self.tor_ns.run(['sysctl', '-qw', 'net.%s.fib_multipath_hash_policy=%d' % (family, 1 if on else 0)])

    # ---- the client --------------------------------------------------------------
    def client_socket(self, family, kind):
        return socket_in_netns(self.client_ns.name, family, kind)

    def answers(self, ip, n=TRIES, src=None):
        """n new TCP connections to ip:80: [(pod, client address the pod saw)]."""
        out = []
        for _ in range(n):
            c = Conn(self, ip, src=src)
            try:
                out.append(c.ask())
            finally:
                c.close()
        return out

    def udp_answers(self, ip, n=TRIES):
        """n UDP exchanges with ip:80, each from a new source port: [(pod, client seen)]."""
        out = []
        for _ in range(n):
            pod, seen, source = udp_ask(self, ip, port=80)
            assert source == ip, 'the UDP answer came from %s, not the service address %s' % (source, ip)
            out.append((pod, seen))
        return out

    # ---- the nodes' dataplane ----------------------------------------------------
    def metric(self, name, metric, label):
        """The value of `metric{label}` on node `name`'s /metrics (0 when absent)."""
        text = self.speaker_get(name, '/metrics', check=True)
        m = re.search(r'^%s\{%s\} (\S+)$' % (re.escape(metric), re.escape(label)), text, re.M)
        return float(m.group(1)) if m else 0.0

    def events(self, name, event):
        return self.metric(name, 'bgplb_dataplane_events_total', 'event="%s"' % event)

    def wait_programmed(self, ip, pods, what):
        """Until new connections to ip reach exactly `pods` (TRIES in a row)."""
        want = set(pods)
        last = {}

        def ok():
            try:
                got = self.answers(ip)
            except OSError as e:    # not programmed yet: ICMP unreachable, or no answer
                last['got'] = 'nothing (%s)' % e
                return False
            last['got'] = sorted({p for p, _ in got})
            return set(last['got']) == want
        routers.wait_for(ok, fabric.CHANGE_TIMEOUT, lambda: '%s %s: new connections reach %s, want %s' % (
            self.kind, what, last.get('got'), sorted(want)), interval=0.2)

    def wait_backends(self, want, what):
        """Until every node programs web-cluster's TCP service with exactly the backend
        addresses `want` (each node's /v1/dataplane)."""
        def programmed(name):
            for svc in json.loads(self.speaker_get(name, '/v1/dataplane') or '{}').get('services', []):
                if svc['name'].startswith('e2e/%s:http/' % CLUSTER):
                    return {b['address'].split(':')[0] for b in svc['backends']}
            return None
        routers.wait_for(lambda: all(programmed(n) == set(want) for n, _ in fabric.NODES), fabric.CHANGE_TIMEOUT,
                         lambda: '%s %s: web-cluster backends %s, want %s' % (
                             self.kind, what, {n: programmed(n) for n, _ in fabric.NODES}, sorted(want)))

    def attached(self, name):
        """What of the module is left on node `name`'s uplink: XDP, tc filters."""
        ns, ifname = self.node_ns[name], self.node_if[name]
        left = []
        link = json.loads(ns.run(['ip', '-j', '-d', 'link', 'show', 'dev', ifname]).stdout)[0]
        if link.get('xdp'):
            left.append('xdp')
        for d in ('ingress', 'egress'):
            if ns.run(['tc', 'filter', 'show', 'dev', ifname, d], check=False).stdout.strip():
                left.append('tc ' + d)
        return left

    def detach(self, name):
        return self.node_ns[name].run([self.speaker_bin, 'dataplane', 'detach', '--node', name,
                                       '--dataplane-pin-root', self.pin_root], check=False, host_mounts=True)

    def close(self):
        try:
            # the speakers first (a running one would attach again), then the module, while
            # the node namespaces still exist
            for name in list(self.speakers):
                self.stop_speaker(name)
            if os.path.isdir(self.pin_root):
                for name, _ in fabric.NODES:
                    self.detach(name)
            for p in self.pods:
                netns.stop_process(p, grace=1.0)
            if os.path.isdir(self.pin_root + '-tor'):
                self.tor_tool('uninstall', check=False)
        finally:
            shutil.rmtree(self.pin_root, ignore_errors=True)
            shutil.rmtree(self.pin_root + '-tor', ignore_errors=True)
            super().close()


def remove_stale_pins():
    """Pins a killed run left: their programs went with its namespaces, the maps stay."""
    parent, stem = os.path.dirname(PIN_PREFIX), os.path.basename(PIN_PREFIX)
    for d in os.listdir(parent) if os.path.isdir(parent) else ():
        m = re.match(re.escape(stem) + r'(\d+)-', d)
        if m and not os.path.exists('/proc/%s' % m.group(1)):
            shutil.rmtree(os.path.join(parent, d), ignore_errors=True)
            print('removed %s, left by a run that died' % os.path.join(parent, d))


@pytest.fixture(scope='module', params=KINDS, ids=['%s-%s' % k for k in KINDS])
def rack(request):
    kind, hook = request.param
    why = fabric.problem(kind)
    if not why and hook == 'xdp' and not os.access(TOR_TOOL, os.X_OK):
        why = 'dataplane_tool is not built (%s)' % TOR_TOOL
    if why:
        pytest.skip(why)
    remove_stale_pins()
    speaker, controller = fabric.binaries()
    f = TrafficFabric(kind, hook, netns.snapshot_binary(speaker), netns.snapshot_binary(controller))
    fabric.ACTIVE.append(f)
    try:
        f.start(cluster())
        f.wait_sessions()
        f.ip = {s: f.service_ip(s) for s in (LOCAL, CLUSTER, STICKY, RANGED, LOCAL6, CLUSTER6)}
        for s in (CLUSTER, STICKY, RANGED, CLUSTER6):
            f.wait_hops(f.ip[s], {'node1', 'node2', 'node3'}, what='start')
        for s in (LOCAL, LOCAL6):
            f.wait_hops(f.ip[s], {'node1', 'node2'}, what='start')
        f.wait_programmed(f.ip[CLUSTER], PODS, 'start')
        yield f
    finally:
        fabric.ACTIVE.remove(f)
        f.close()


def frr_only(rack):
    if rack.kind != 'frr':
        pytest.skip('run once, with the FRR rack (XDP)')


@pytest.mark.parametrize('family', (4, 6))
def test_client_address_reaches_pods_on_both_nodes(rack, family):
    """Both policies, TCP and UDP; over IPv6 node3 (no pod) reaches the Cluster service's
    pods through the tunnel too, its outer header IPv6 (the nodes' IPv6 InternalIP)."""
    client, services = (CLIENT, (LOCAL, CLUSTER)) if family == 4 else (CLIENT6, (LOCAL6, CLUSTER6))
    tunnelled = rack.events('node3', 'fwd_remote')
    for svc in services:
        got = rack.answers(rack.ip[svc])
        assert {p for p, _ in got} == set(PODS), '%s: answers came from %s only' % (svc, sorted({p for p, _ in got}))
        assert {c for _, c in got} == {client}, '%s: the pods saw %s, not the client' % (svc, sorted({c for _, c in got}))
        got = rack.udp_answers(rack.ip[svc])
        assert {p for p, _ in got} == set(PODS), '%s UDP: answers came from %s only' % (svc, sorted({p for p, _ in got}))
        assert {c for _, c in got} == {client}, '%s UDP: the pods saw %s' % (svc, sorted({c for _, c in got}))
    assert rack.events('node3', 'fwd_remote') > tunnelled, 'node3 tunnelled none of the Cluster service\'s flows'


def test_a_node_without_pods_tunnels_and_replies_skip_it(rack):
    """node3 announces the Cluster service but runs no pod: what the ToR sends it goes
    through the tunnel to a pod's node, and the replies leave from there."""
    frr_only(rack)
    before = {n: {e: rack.events(n, e) for e in ('fwd_remote', 'decap', 'revnat')} for n, _ in fabric.NODES}
    got = rack.answers(rack.ip[CLUSTER], n=2 * TRIES)
    assert {c for _, c in got} == {CLIENT}
    after = {n: {e: rack.events(n, e) for e in ('fwd_remote', 'decap', 'revnat')} for n, _ in fabric.NODES}
    delta = {n: {e: after[n][e] - before[n][e] for e in after[n]} for n in after}
    assert delta['node3']['fwd_remote'] > 0, 'node3 forwarded nothing through the tunnel: %r' % delta
    assert delta['node3']['revnat'] == 0, 'replies passed node3: %r' % delta
    assert delta['node1']['decap'] + delta['node2']['decap'] > 0, 'no pod node decapsulated: %r' % delta
    assert delta['node1']['revnat'] > 0 and delta['node2']['revnat'] > 0, 'replies did not leave both pod nodes: %r' % delta


def test_client_ip_affinity(rack):
    frr_only(rack)
    rack.hash_on_ports(False)   # one node sees all the client's connections to an address
    try:
        sticky = {p for p, _ in rack.answers(rack.ip[STICKY])}
        spread = {p for p, _ in rack.answers(rack.ip[CLUSTER])}
    finally:
        rack.hash_on_ports(True)
    assert len(sticky) == 1, 'sessionAffinity ClientIP: the client reached %s' % sorted(sticky)
    assert spread == set(PODS), 'without affinity the same connections should spread: %s' % sorted(spread)


def test_source_ranges(rack):
    frr_only(rack)
    assert {c for _, c in rack.answers(rack.ip[RANGED], n=4)} == {CLIENT}
    drops = sum(rack.metric(n, 'bgplb_dataplane_drops_total', 'reason="source_range"') for n, _ in fabric.NODES)
    with pytest.raises(OSError):
        Conn(rack, rack.ip[RANGED], src=OTHER_CLIENT)
    after = sum(rack.metric(n, 'bgplb_dataplane_drops_total', 'reason="source_range"') for n, _ in fabric.NODES)
    assert after > drops, 'the refused client was not counted as a source_range drop'


@contextlib.contextmanager
def held_connection(rack):
    """One connection to the Cluster service and the pod it reached; the baseline is
    written back afterwards."""
    conn = Conn(rack, rack.ip[CLUSTER])
    try:
        yield conn, conn.ask()[0]
    finally:
        conn.close()
        rack.apply(cluster())
        rack.wait_programmed(rack.ip[CLUSTER], PODS, 'restored')


def _set_endpoint(rack, pod, **cond):
    node, addr = PODS[pod]

    def edit(c):
        for e in c.services[CLUSTER].endpoints:
            if e.address == addr:
                for k, v in cond.items():
                    setattr(e, k, v)
        if not cond:
            c.services[CLUSTER].endpoints = [e for e in c.services[CLUSTER].endpoints if e.address != addr]
    rack.edit(edit)


def test_terminating_then_removed_backend_keeps_its_connection(rack):
    frr_only(rack)
    with held_connection(rack) as (conn, pod):
        other = next(p for p in PODS if p != pod)
        _set_endpoint(rack, pod, ready=False, serving=True, terminating=True)
        rack.wait_programmed(rack.ip[CLUSTER], {other}, 'terminating %s' % pod)
        assert conn.ask()[0] == pod, 'the terminating backend lost its connection'
        _set_endpoint(rack, pod)
        rack.wait_backends({PODS[other][1]}, 'removed %s' % pod)
        rack.wait_programmed(rack.ip[CLUSTER], {other}, 'removed %s' % pod)
        assert conn.ask()[0] == pod, 'the removed backend lost its connection'


def test_connection_kept_while_the_tor_moves_it(rack):
    """Each node in turn leaves ECMP (the exclusion label): the connection's packets
    reach another node, whose Maglev row is the same, so the same pod answers."""
    frr_only(rack)
    conns = [Conn(rack, rack.ip[CLUSTER]) for _ in range(6)]
    try:
        pods = [c.ask()[0] for c in conns]
        for name, _ in fabric.NODES:
            rack.edit(lambda c: c.node(name).labels.update({manifests.EXCLUDE_LABEL: ''}))
            rack.wait_hops(rack.ip[CLUSTER], {n for n, _ in fabric.NODES} - {name}, what='%s excluded' % name)
            assert [c.ask()[0] for c in conns] == pods, 'a connection changed pod with %s out of ECMP' % name
            rack.edit(lambda c: c.node(name).labels.pop(manifests.EXCLUDE_LABEL))
            rack.wait_hops(rack.ip[CLUSTER], {n for n, _ in fabric.NODES}, what='%s back' % name)
            assert [c.ask()[0] for c in conns] == pods, 'a connection changed pod with %s back in ECMP' % name
    finally:
        for c in conns:
            c.close()


def test_connection_kept_across_a_backend_removal_and_a_speaker_crash(rack):
    """The connection's backend leaves the service, then every speaker is killed with
    SIGKILL and started again: the ToR keeps the routes (graceful restart), the new
    processes take over the pinned maps, and the connection stays on its backend."""
    frr_only(rack)
    with held_connection(rack) as (conn, pod):
        other = next(p for p in PODS if p != pod)
        _set_endpoint(rack, pod)
        rack.wait_backends({PODS[other][1]}, 'removed %s' % pod)
        for name, _ in fabric.NODES:
            netns.stop_process(rack.speakers.pop(name), sig=9, grace=2.0)
            assert conn.ask()[0] == pod, 'the connection moved with %s down' % name
            rack.start_speaker(name)
        rack.wait_sessions()
        rack.wait_backends({PODS[other][1]}, 'after the restarts')
        rack.wait_programmed(rack.ip[CLUSTER], {other}, 'after the restarts')
        assert conn.ask()[0] == pod, 'the connection lost its backend across the restarts'


def test_detach_leaves_nothing(rack):
    """Last: the speakers stop (the module stays and keeps forwarding), then detach."""
    for name in list(rack.speakers):
        rack.stop_speaker(name)
    assert all(rack.attached(n) for n, _ in fabric.NODES), 'a stopped speaker took its module with it'
    for name, _ in fabric.NODES:
        r = rack.detach(name)
        assert r.returncode == 0, 'detach on %s: %s' % (name, r.stderr)
        assert rack.attached(name) == [], '%s keeps %s after detach' % (name, rack.attached(name))
    left = os.listdir(rack.pin_root) if os.path.isdir(rack.pin_root) else []
    assert left == [], 'pins left under %s: %s' % (rack.pin_root, left)
