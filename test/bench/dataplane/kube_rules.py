"""kube-proxy's rules for the benchmark's baselines, written the way kube-proxy writes
them (pkg/proxy/iptables and pkg/proxy/nftables, Kubernetes 1.29-1.31) for a
LoadBalancer service with externalTrafficPolicy: Cluster: the external-traffic chain
marks the packet for masquerade, the service chain picks an endpoint at random, the
endpoint chain DNATs. `extra` other services (one endpoint each) come first in the
iptables service chain, as they may when their names sort first."""
import hashlib


def _h(*parts):
    return hashlib.sha256('/'.join(parts).encode()).hexdigest()[:16].upper()


def dummy(i):
    """The i-th other service: (LoadBalancer IP, endpoint)."""
    return '198.20.%d.%d' % (i // 250, i % 250 + 1), '198.21.%d.%d' % (i // 250, i % 250 + 1)


def iptables(vip, port, endpoints, target_port, extra):
    """iptables-restore input (nat and filter tables)."""
    nat = ['*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]',
           ':KUBE-NODEPORTS - [0:0]']
    rules = [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]

    def service(name, proto, lb_ip, svc_port, eps):
        svc, ext = 'KUBE-SVC-' + _h(name, proto), 'KUBE-EXT-' + _h(name, proto)
        nat.extend([':%s - [0:0]' % svc, ':%s - [0:0]' % ext])
        rules.append('-A KUBE-SERVICES -d %s/32 -p %s -m comment --comment "%s loadbalancer IP" -m %s --dport %d -j %s'
                     % (lb_ip, proto, name, proto, svc_port, ext))
        rules.append('-A %s -m comment --comment "masquerade traffic for %s external destinations" -j KUBE-MARK-MASQ' % (ext, name))
        rules.append('-A %s -j %s' % (ext, svc))
        for k, ep in enumerate(eps):
            sep = 'KUBE-SEP-' + _h(name, proto, ep)
            nat.append(':%s - [0:0]' % sep)
            left = len(eps) - k
            prob = '' if left == 1 else ' -m statistic --mode random --probability %.11f' % (1.0 / left)
            rules.append('-A %s -m comment --comment "%s -> %s:%d"%s -j %s' % (svc, name, ep, target_port, prob, sep))
            rules.append('-A %s -s %s/32 -m comment --comment "%s" -j KUBE-MARK-MASQ' % (sep, ep, name))
            rules.append('-A %s -p %s -m comment --comment "%s" -m %s -j DNAT --to-destination %s:%d'
                         % (sep, proto, name, proto, ep, target_port))

    for i in range(extra):
        lb_ip, ep = dummy(i)
        service('default/other-%d:http' % i, 'tcp', lb_ip, 80, [ep])
    for proto in ('tcp', 'udp'):
        service('default/bench:%s' % proto, proto, vip, port, endpoints)
    rules.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    filt = ['*filter', ':KUBE-FORWARD - [0:0]',
            '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
            '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
            '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
            '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            'COMMIT']
    return '\n'.join(nat + rules + ['COMMIT'] + filt) + '\n'


def nftables(vip, port, endpoints, target_port, extra):
    """nft -f input: kube-proxy's nftables mode (verdict map of service IPs, numgen)."""
    out = ['table ip kube-proxy {',
           '  chain mark-for-masquerade { meta mark set meta mark | 0x4000; }',
           '  chain masquerading { meta mark & 0x4000 == 0 return; meta mark set meta mark ^ 0x4000; masquerade fully-random; }',
           '  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
           '  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }',
           '  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }',
           '  chain nat-output { type nat hook output priority -100; policy accept; jump services; }',
           '  chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; jump masquerading; }',
           '  chain filter-forward { type filter hook forward priority -110; policy accept; ct state invalid drop; }']
    elements = []

    def service(name, proto, lb_ip, svc_port, eps):
        tag = _h(name, proto)[:8].lower()
        ep_chains = []
        for ep in eps:
            ch = 'endpoint-%s-%s' % (tag, ep.replace('.', '-'))
            out.append('  chain %s { ip saddr %s jump mark-for-masquerade; meta l4proto %s dnat to %s:%d; }'
                       % (ch, ep, proto, ep, target_port))
            ep_chains.append(ch)
        if len(ep_chains) == 1:
            out.append('  chain service-%s { goto %s; }' % (tag, ep_chains[0]))
        else:
            pick = ', '.join('%d : goto %s' % (k, ch) for k, ch in enumerate(ep_chains))
            out.append('  chain service-%s { numgen random mod %d vmap { %s }; }' % (tag, len(ep_chains), pick))
        out.append('  chain external-%s { jump mark-for-masquerade; goto service-%s; }' % (tag, tag))
        elements.append('%s . %s . %d : goto external-%s' % (lb_ip, proto, svc_port, tag))

    for i in range(extra):
        lb_ip, ep = dummy(i)
        service('default/other-%d:http' % i, 'tcp', lb_ip, 80, [ep])
    for proto in ('tcp', 'udp'):
        service('default/bench:%s' % proto, proto, vip, port, endpoints)
    out.append('}')
    for k in range(0, len(elements), 1000):
        out.append('add element ip kube-proxy service-ips { %s }' % ', '.join(elements[k:k + 1000]))
    return '\n'.join(out) + '\n'
