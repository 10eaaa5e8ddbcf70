"""The BFD test bed: our bfd_probe in `node` (10.0.0.1, fd00::1), a real BFD speaker
(FRR bfdd or BIRD 2) in `tor` (10.0.0.2, fd00::2), one veth between them; for multihop
a `mid` namespace routes between node (10.0.0.0/30) and tor (10.0.1.0/30). Used by the
interop tests (conftest.py) and the failure-detection bench (test/bench/bfd)."""
import peers
import netns

ROUTERS = {'frr': peers.FrrBfd, 'bird': peers.BirdBfd}


def link_local(ns, ifname):
    """The fe80:: address of `ifname` (there at once: the namespaces do no DAD)."""
    def find():
        out = ns.run(['ip', '-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link']).stdout.split()
        return out[out.index('inet6') + 1].split('/')[0] if 'inet6' in out else None
    return peers.wait_for(find, 10, 'no link-local address on %s' % ifname, 0.05)


class Bed:
    """node <-> tor (single hop) or node <-> mid <-> tor (multihop)."""

    def __init__(self, kind, family='ipv4', multihop=False, tx=100, rx=100, mult=3, router_tx=None,
                 router_rx=None, router_mult=None, auth=None, probe_args=(), passive=False):
        self.kind, self.family = kind, family
        self.topo = netns.Topology('bgplb')
        self.node = self.topo.add_ns('node')
        self.tor = self.topo.add_ns('tor')
        self.probe = self.router = None
        try:
            if multihop:
                mid = self.topo.add_ns('mid')
                self.topo.link(self.node, mid)
                self.topo.link(mid, self.tor)
                mid.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
                mid.run(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'])
                self.node_addr = self.node.addr(family, 0)
                self.tor_addr = self.tor.addr(family, 1)
                if family == 'ipv4':
                    self.node.run(['ip', 'route', 'add', '10.0.1.0/30', 'via', mid.addr('ipv4', 0)])
                    self.tor.run(['ip', 'route', 'add', '10.0.0.0/30', 'via', mid.addr('ipv4', 1)])
                else:
                    self.node.run(['ip', '-6', 'route', 'add', 'fd00:0:0:1::/64', 'via', mid.addr('ipv6', 0)])
                    self.tor.run(['ip', '-6', 'route', 'add', 'fd00::/64', 'via', mid.addr('ipv6', 1)])
                node_if = tor_if = None
            else:
                self.topo.link(self.node, self.tor)
                node_if, tor_if = self.node.ifname(), self.tor.ifname()
                if family == 'ipv6-link-local':
                    self.node_addr, self.tor_addr = link_local(self.node, node_if), link_local(self.tor, tor_if)
                else:
                    self.node_addr, self.tor_addr = self.node.addr(family), self.tor.addr(family)
            self.bfd_peer = peers.BfdPeer(self.node_addr, self.tor_addr, interface=tor_if, multihop=multihop,
                                          tx=router_tx or tx, rx=router_rx or rx, mult=router_mult or mult,
                                          min_ttl=254 if multihop and kind == 'frr' else None)
            if kind == 'frr':
                self.router = peers.FrrBfd(self.tor, [self.bfd_peer], self.tor.addr('ipv4', 1 if multihop else 0))
            else:
                self.router = peers.BirdBfd(self.tor, [self.bfd_peer], self.tor.addr('ipv4', 1 if multihop else 0),
                                            auth=auth)
            self.probe = peers.Probe(self.node, self.tor_addr, local=self.node_addr, interface=node_if,
                                     multihop=multihop, tx=tx, rx=rx, mult=mult, passive=passive,
                                     extra=probe_args)
            self.router.start()
            self.probe.start()
        except BaseException:
            self.close()
            raise

    def wait_up(self, timeout=30):
        self.probe.wait_state('Up', timeout)
        peers.wait_for(lambda: self.router.state(self.node_addr) == 'up', timeout,
                       lambda: '%s: session with %s not up: %r' % (self.kind, self.node_addr,
                                                                   self.router.session(self.node_addr)))

    def logs(self):
        return '\n'.join([self.probe.log_tail() if self.probe else '', self.router.log_tail() if self.router else ''])

    def close(self):
        if self.probe:
            self.probe.close()
        if self.router:
            self.router.close()
        self.topo.close()
