/* Address and port translation of TCP/UDP packets with incremental checksum updates
 * (RFC 1624): DNAT towards a backend at ingress, the reverse (source back to the
 * frontend) on the replies at egress. */
#ifndef BGPLB_NAT_H
#define BGPLB_NAT_H

#include <stddef.h>

#include "csum.h"
#include "parse.h"

/* Rewrites the destination (dst = 1) or the source (dst = 0) of p to addr:port. */
static __always_inline int nat_rewrite(const struct pctx *c, struct packet *p, int dst, const struct addr16 *addr, __u16 port)
{
	int v6 = p->family == 6;
	int udp = p->proto == IPPROTO_UDP;
	const struct addr16 *old_addr = dst ? &p->dst : &p->src;
	__u16 old_port = dst ? p->dport : p->sport;
	__u32 addr_diff = csum_diff_addr(old_addr, addr, v6);
	__u32 port_diff = csum_diff16(old_port, port);

	if (v6) {
		struct ipv6hdr *ip6 = pkt_ptr(c, ETH_HLEN_, sizeof(*ip6));
		if (!ip6)
			return -1;
		addr_to_v6(dst ? &ip6->daddr : &ip6->saddr, addr);
	} else {
		struct iphdr *ip = pkt_ptr(c, ETH_HLEN_, sizeof(*ip));
		if (!ip)
			return -1;
		if (dst)
			ip->daddr = addr->w[3];
		else
			ip->saddr = addr->w[3];
	}
	__u16 *ports = pkt_ptr(c, p->l4, 4);
	if (!ports)
		return -1;
	if (dst)
		ports[1] = port;
	else
		ports[0] = port;

	/* RFC 791: the header checksum covers the addresses; RFC 9293 §3.1 and RFC 768:
	 * the TCP/UDP checksum covers the pseudo-header (addresses) and the ports. */
	if (!v6 && csum_l3_update(c, ETH_HLEN_ + offsetof(struct iphdr, check), addr_diff))
		return -1;
	__u32 csum_off = p->l4 + (udp ? offsetof(struct udphdr, check) : offsetof(struct tcphdr, check));
	if (csum_l4_update(c, csum_off, addr_diff, 1, udp, v6))
		return -1;
	if (old_port != port && csum_l4_update(c, csum_off, port_diff, 0, udp, v6))
		return -1;

	if (dst) {
		p->dst = *addr;
		p->dport = port;
	} else {
		p->src = *addr;
		p->sport = port;
	}
	return 0;
}

#endif
