/* ICMP and ICMPv6: the errors we send (destination unreachable for a service without a
 * backend, fragmentation needed / packet too big for a path we cannot carry a packet
 * on), and the translation of errors about translated flows, so that the backend and the
 * client each see an error that names their own side of the flow. */
#ifndef BGPLB_ICMP_H
#define BGPLB_ICMP_H

#include "counters.h"
#include "csum.h"

/* Answers p from its destination (the frontend address) to its source, out of the
 * interface it came in by, quoting up to BGPLB_ICMP_QUOTE bytes of it.
 * RFC 792: type 3 code 3 port unreachable, code 4 fragmentation needed (RFC 1191 §4:
 * next-hop MTU in the low 16 bits of the second word). RFC 4443 §3.1 type 1 code 4 port
 * unreachable, §3.2 type 2 packet too big (MTU in the second word). */
static __always_inline int icmp_reply(const struct pctx *c, const struct packet *p, int too_big, __u32 mtu)
{
	int v6 = p->family == 6;
	__u32 hdrs = v6 ? sizeof(struct ipv6hdr) + 8 : sizeof(struct iphdr) + 8;
	__u32 frame = ctx_len(c);
	__u32 quote = frame > ETH_HLEN_ ? frame - ETH_HLEN_ : 0;
	if (quote > p->len)
		quote = p->len;
	if (quote > BGPLB_ICMP_QUOTE)
		quote = BGPLB_ICMP_QUOTE;

	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return verdict_drop(c);
	__u8 mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	if (ctx_grow(c, hdrs, 0) || ctx_truncate(c, ETH_HLEN_ + hdrs + quote)) {
		count(DROP_ICMP_FAILED);
		return verdict_drop(c);
	}
	__u32 l4 = ETH_HLEN_ + hdrs - 8;
	__u32 sum = 0;
	if (v6) {
		struct ipv6hdr *ip6 = pkt_ptr(c, ETH_HLEN_, sizeof(*ip6));
		if (!ip6)
			return verdict_drop(c);
		*(__u32 *)ip6 = bpf_htonl(6U << 28);
		ip6->payload_len = bpf_htons(8 + quote);
		ip6->nexthdr = IPPROTO_ICMPV6;
		ip6->hop_limit = 64;
		addr_to_v6(&ip6->saddr, &p->dst);
		addr_to_v6(&ip6->daddr, &p->src);
		/* RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header */
		for (int i = 0; i < 4; i++) {
			sum = csum_add(sum, p->src.w[i]);
			sum = csum_add(sum, p->dst.w[i]);
		}
		sum = csum_add(sum, bpf_htonl(8 + quote));
		sum = csum_add(sum, bpf_htonl(IPPROTO_ICMPV6));
	} else {
		struct iphdr *ip = pkt_ptr(c, ETH_HLEN_, sizeof(*ip));
		if (!ip)
			return verdict_drop(c);
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(hdrs + quote);
		ip->id = 0;
		ip->frag_off = 0;
		ip->ttl = 64;
		ip->protocol = IPPROTO_ICMP;
		ip->check = 0;
		ip->saddr = p->dst.w[3];
		ip->daddr = p->src.w[3];
		ip->check = csum_ipv4_header(ip);
	}
	__u8 *icmp = pkt_ptr(c, l4, 8);
	if (!icmp)
		return verdict_drop(c);
	if (v6) {
		icmp[0] = too_big ? ICMPV6_PKT_TOOBIG : ICMPV6_DEST_UNREACH;
		icmp[1] = too_big ? 0 : ICMPV6_PORT_UNREACH;
		*(__u32 *)(icmp + 4) = too_big ? bpf_htonl(mtu) : 0;
	} else {
		icmp[0] = ICMP_DEST_UNREACH;
		icmp[1] = too_big ? ICMP_FRAG_NEEDED : ICMP_PORT_UNREACH;
		*(__u16 *)(icmp + 4) = 0;
		*(__u16 *)(icmp + 6) = too_big ? bpf_htons(mtu) : 0;
	}
	*(__u16 *)(icmp + 2) = 0;
	sum = csum_add(sum, csum_bytes(c, l4, 8 + quote));
	icmp = pkt_ptr(c, l4, 8);
	if (!icmp)
		return verdict_drop(c);
	*(__u16 *)(icmp + 2) = (__u16)~csum_fold(sum);
	count(EV_ICMP_SENT);
	return verdict_tx(c);
}

/* Rewrites an ICMP error about a translated flow. The quoted packet's source (inner_dst
 * = 0) or destination (inner_dst = 1) becomes addr:port; the outer address on the other
 * side of the error (outer_dst: its destination, else its source) becomes outer_new when
 * given. Updates the quoted IPv4 header checksum, the quoted TCP/UDP checksum when the
 * quote holds it, the outer IPv4 header checksum and the ICMP checksum (for ICMPv6 also
 * over the pseudo-header, RFC 4443 §2.3). Fields are written directly in both hooks: an
 * ICMP error never carries CHECKSUM_PARTIAL, and every change is balanced by a checksum
 * in the packet, so skb->csum stays valid. */
static __always_inline int icmp_translate(const struct pctx *c, struct packet *p, int inner_dst, const struct addr16 *addr,
					  __u16 port, int outer_dst, const struct addr16 *outer_new)
{
	int v6 = p->family == 6;
	const struct quoted *q = &p->in;
	int udp = q->proto == IPPROTO_UDP;
	__u32 a_diff = csum_diff_addr(inner_dst ? &q->dst : &q->src, addr, v6);
	__u32 p_diff = csum_diff16(inner_dst ? q->dport : q->sport, port);
	__u32 icmp_diff = csum_add(a_diff, p_diff);

	if (v6) {
		struct ipv6hdr *ip6 = pkt_ptr(c, q->l3, sizeof(*ip6));
		if (!ip6)
			return -1;
		addr_to_v6(inner_dst ? &ip6->daddr : &ip6->saddr, addr);
	} else {
		struct iphdr *ip = pkt_ptr(c, q->l3, sizeof(*ip));
		if (!ip)
			return -1;
		if (inner_dst)
			ip->daddr = addr->w[3];
		else
			ip->saddr = addr->w[3];
		__u16 old = ip->check;
		ip->check = csum_apply(old, a_diff);
		icmp_diff = csum_add(icmp_diff, csum_diff16(old, ip->check));
	}
	__u16 *ports = pkt_ptr(c, q->l4, 4);
	if (!ports)
		return -1;
	if (inner_dst)
		ports[1] = port;
	else
		ports[0] = port;
	__u16 *qcheck = pkt_ptr(c, q->l4 + (udp ? offsetof(struct udphdr, check) : offsetof(struct tcphdr, check)), 2);
	if (qcheck && !(udp && !v6 && *qcheck == 0)) {
		__u16 old = *qcheck;
		__u16 n = csum_apply(old, csum_add(a_diff, p_diff));
		if (udp && n == 0)
			n = 0xffff;
		*qcheck = n;
		icmp_diff = csum_add(icmp_diff, csum_diff16(old, n));
	}
	if (outer_new) {
		const struct addr16 *old_outer = outer_dst ? &p->dst : &p->src;
		__u32 o_diff = csum_diff_addr(old_outer, outer_new, v6);
		if (v6) {
			struct ipv6hdr *ip6 = pkt_ptr(c, ETH_HLEN_, sizeof(*ip6));
			if (!ip6)
				return -1;
			addr_to_v6(outer_dst ? &ip6->daddr : &ip6->saddr, outer_new);
			icmp_diff = csum_add(icmp_diff, o_diff);
		} else {
			struct iphdr *ip = pkt_ptr(c, ETH_HLEN_, sizeof(*ip));
			if (!ip)
				return -1;
			if (outer_dst)
				ip->daddr = outer_new->w[3];
			else
				ip->saddr = outer_new->w[3];
			ip->check = csum_apply(ip->check, o_diff);
		}
		if (outer_dst)
			p->dst = *outer_new;
		else
			p->src = *outer_new;
	}
	__u16 *icheck = pkt_ptr(c, p->l4 + 2, 2);
	if (!icheck)
		return -1;
	*icheck = csum_apply(*icheck, icmp_diff);
	return 0;
}

#endif
