"""The end-to-end rack for the dataplane: a client, a router (the ToR), two nodes with
the module attached to their uplinks, and pods behind each node wired the way Calico's
CNI wires them (a veth per pod, a /32 route on the node, proxy ARP for the pod's
169.254.1.1 gateway).

    cl [c0 192.168.0.2] -- [r0 .0.1] rt [r1 192.168.1.254] -- [u1 192.168.1.1] n1 -- p1a 10.1.1.2
                                         [r2 192.168.2.254] -- [u2 192.168.2.1] n2 -- p2a 10.1.2.2
                                                                                    -- p2b 10.1.2.3
    IPv6 alongside: fd10::/64 client side, fd11::/64 and fd12::/64 to the nodes, pods fd01:1::2 ...

The router holds the route to the service addresses (what BGP would install); the tests
move it between the nodes. Every namespace name carries a per-run suffix; everything
this module creates is removed by Rack.close(), also after a failure."""
import ctypes
import json
import os
import secrets
import socket
import subprocess
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

PODS = {  # pod -> (node, IPv4, IPv6)
    'p1a': ('n1', '10.1.1.2', 'fd01:1::2'),
    'p2a': ('n2', '10.1.2.2', 'fd01:2::2'),
    'p2b': ('n2', '10.1.2.3', 'fd01:2::3'),
}
NODES = {  # node -> (uplink, IPv4, router side IPv4, IPv6, router side IPv6)
    'n1': ('u1', '192.168.1.1', '192.168.1.254', 'fd11::1', 'fd11::fe'),
    'n2': ('u2', '192.168.2.1', '192.168.2.254', 'fd12::1', 'fd12::fe'),
}
CLIENT4, CLIENT6 = '192.168.0.2', 'fd10::2'


def run(argv, check=True, timeout=60):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(argv), r.returncode, (r.stderr or r.stdout).strip()))
    return r


class Rack:
    def __init__(self, tool, mode):
        self.tool = tool
        self.mode = mode
        self.tag = 'dpe%s' % secrets.token_hex(3)
        self.namespaces = []
        self.servers = []
        self.pin_roots = {n: '/sys/fs/bpf/bgplb-e2e-%s-%s' % (self.tag, n) for n in list(NODES) + ['rt']}

    # ---- building ------------------------------------------------------------------

    def ns(self, short):
        return '%s-%s' % (self.tag, short)

    def ip(self, short, *args):
        return run(['ip', 'netns', 'exec', self.ns(short)] + list(args))

    def add_ns(self, short):
        run(['ip', 'netns', 'add', self.ns(short)])
        self.namespaces.append(self.ns(short))
        self.ip(short, 'ip', 'link', 'set', 'lo', 'up')
        for knob in ('net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
                     'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'):
            self.ip(short, 'sysctl', '-qw', knob)

    def veth(self, a, a_if, b, b_if):
        run(['ip', 'link', 'add', a_if, 'netns', self.ns(a), 'type', 'veth', 'peer', 'name', b_if, 'netns', self.ns(b)])
        self.ip(a, 'ip', 'link', 'set', a_if, 'up')
        self.ip(b, 'ip', 'link', 'set', b_if, 'up')

    def offloads(self, short, dev, *settings):
        self.ip(short, 'ethtool', '-K', dev, *settings)

    def build(self):
        for short in ('cl', 'rt', 'n1', 'n2', 'p1a', 'p2a', 'p2b'):
            self.add_ns(short)
        self.veth('cl', 'c0', 'rt', 'r0')
        # frames off a real wire carry whole checksums: no checksum offload client side
        self.offloads('cl', 'c0', 'tx', 'off', 'tso', 'off', 'gso', 'off')
        self.ip('cl', 'ip', 'addr', 'add', CLIENT4 + '/24', 'dev', 'c0')
        self.ip('cl', 'ip', 'addr', 'add', CLIENT6 + '/64', 'dev', 'c0', 'nodad')
        self.ip('cl', 'ip', 'route', 'add', 'default', 'via', '192.168.0.1')
        self.ip('cl', 'ip', '-6', 'route', 'add', 'default', 'via', 'fd10::1')
        self.ip('rt', 'ip', 'addr', 'add', '192.168.0.1/24', 'dev', 'r0')
        self.ip('rt', 'ip', 'addr', 'add', 'fd10::1/64', 'dev', 'r0', 'nodad')
        for node, (up, v4, rv4, v6, rv6) in NODES.items():
            r_if = 'r' + node[1]
            self.veth('rt', r_if, node, up)
            self.offloads('rt', r_if, 'tx', 'off', 'tso', 'off', 'gso', 'off')
            self.offloads(node, up, 'gro', 'off')
            self.ip('rt', 'ip', 'addr', 'add', rv4 + '/24', 'dev', r_if)
            self.ip('rt', 'ip', 'addr', 'add', rv6 + '/64', 'dev', r_if, 'nodad')
            self.ip(node, 'ip', 'addr', 'add', v4 + '/24', 'dev', up)
            self.ip(node, 'ip', 'addr', 'add', v6 + '/64', 'dev', up, 'nodad')
            self.ip(node, 'ip', 'route', 'add', 'default', 'via', rv4)
            self.ip(node, 'ip', '-6', 'route', 'add', 'default', 'via', rv6)
        for pod, (node, v4, v6) in PODS.items():
            host_if = 'veth' + pod
            self.veth(node, host_if, pod, 'eth0')
            self.ip(node, 'sysctl', '-qw', 'net.ipv4.conf.%s.proxy_arp=1' % host_if)
            self.ip(node, 'ip', 'route', 'add', v4 + '/32', 'dev', host_if)
            self.ip(node, 'ip', '-6', 'route', 'add', v6 + '/128', 'dev', host_if)
            self.ip(pod, 'ip', 'addr', 'add', v4 + '/32', 'dev', 'eth0')
            self.ip(pod, 'ip', 'addr', 'add', v6 + '/128', 'dev', 'eth0', 'nodad')
            self.ip(pod, 'ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link')
            self.ip(pod, 'ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0')
            self.ip(pod, 'ip', '-6', 'route', 'add', 'fe80::1', 'dev', 'eth0')
            self.ip(pod, 'ip', '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0')
            # the node answers for the pod's gateways (Calico: proxy ARP, a fixed link-local)
            self.ip(node, 'ip', '-6', 'addr', 'add', 'fe80::1/64', 'dev', host_if, 'nodad')
            self.start_server(pod)
        for node in NODES:
            self.dataplane(node, 'attach', '--mode', self.mode, '--iface', NODES[node][0])
        if self.mode == 'xdp':
            # A veth hands XDP_TX frames to its peer's NAPI, and flushes them only when
            # the peer runs an XDP program (Linux 6.18 veth_xdp_flush); a NIC needs
            # nothing. The router side runs ours with no services: it passes everything.
            self.dataplane('rt', 'attach', '--mode', 'xdp', '--iface', 'r1', '--iface', 'r2')

    def start_server(self, pod):
        here = os.path.dirname(os.path.abspath(__file__))
        p = subprocess.Popen(['ip', 'netns', 'exec', self.ns(pod), 'python3', '-u', os.path.join(here, 'pod_server.py'), pod],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.servers.append(p)
        line = p.stdout.readline()
        if 'ready' not in line:
            raise RuntimeError('pod server %s: %s' % (pod, line))

    def close(self):
        for node in self.pin_roots:
            self.dataplane(node, 'uninstall', check=False)
        for p in self.servers:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in reversed(self.namespaces):
            run(['ip', 'netns', 'del', ns], check=False)
        self.namespaces = []

    # ---- the module ----------------------------------------------------------------

    def dataplane(self, node, command, *args, check=True):
        argv = [self.tool, command, '--netns', self.ns(node), '--pin-root', self.pin_roots[node]] + list(args)
        r = run(argv, check=check, timeout=120)
        return r.stdout

    def program(self, node, services):
        """Applies the desired state `services` (dicts as dataplane_tool reads them) on a node."""
        up, v4, _, v6, _ = NODES[node]
        state = {'node_v4': v4, 'node_v6': v6, 'maglev_size': 65537,
                 'tunnel_peers': [n[1] for k, n in NODES.items() if k != node] + [n[3] for k, n in NODES.items() if k != node],
                 'services': services}
        path = '/tmp/%s-%s-state.json' % (self.tag, node)
        with open(path, 'w') as f:
            json.dump(state, f)
        try:
            report = json.loads(self.dataplane(node, 'apply', '--state', path))
        finally:
            os.unlink(path)
        if report['skipped']:
            raise RuntimeError('skipped: %s' % report['skipped'])
        return report

    def counters(self, node):
        return json.loads(self.dataplane(node, 'counters'))

    def route_vips(self, node, prefix4='198.51.100.0/24', prefix6='2001:db8:100::/64'):
        """The router sends the service addresses to `node` (a BGP next-hop change)."""
        _, v4, _, v6, _ = NODES[node]
        self.ip('rt', 'ip', 'route', 'replace', prefix4, 'via', v4)
        self.ip('rt', 'ip', '-6', 'route', 'replace', prefix6, 'via', v6)

    # ---- the client ----------------------------------------------------------------

    def client_socket(self, family, kind):
        """A socket created inside the client's namespace."""
        return socket_in_netns(self.ns('cl'), family, kind)


def socket_in_netns(name, family, kind, timeout=3):
    """A socket made inside network namespace `name` (setns on a helper thread; the socket
    stays in the namespace it was made in), with a timeout."""
    out = {}

    def make():
        fd = os.open('/var/run/netns/' + name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                out['err'] = OSError(ctypes.get_errno(), 'setns')
                return
        finally:
            os.close(fd)
        out['sock'] = socket.socket(family, kind)

    t = threading.Thread(target=make)
    t.start()
    t.join()
    if 'err' in out:
        raise out['err']
    s = out['sock']
    s.settimeout(timeout)
    return s


class Conn:
    """A TCP connection from the client that asks "who are you" on demand."""

    def __init__(self, rack, addr, port=80, src=None):
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self.sock = rack.client_socket(fam, socket.SOCK_STREAM)
        if src:
            self.sock.bind((src, 0))
        try:
            self.sock.connect((addr, port))
        except OSError:
            self.sock.close()
            raise
        self.buf = b''

    def ask(self):
        self.sock.sendall(b'who\n')
        deadline = time.time() + 3
        while b'\n' not in self.buf:
            if time.time() > deadline:
                raise TimeoutError('no answer')
            chunk = self.sock.recv(256)
            if not chunk:
                raise ConnectionError('closed by the peer')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        name, seen = line.decode().split()
        return name, seen

    def close(self):
        self.sock.close()


def udp_ask(rack, addr, port=53):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = rack.client_socket(fam, socket.SOCK_DGRAM)
    try:
        for _ in range(3):
            s.sendto(b'who\n', (addr, port))
            try:
                data, peer = s.recvfrom(256)
            except socket.timeout:
                continue
            name, seen = data.decode().split()
            return name, seen, peer[0]
        raise TimeoutError('no UDP answer from %s' % addr)
    finally:
        s.close()
