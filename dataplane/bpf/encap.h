/* Encapsulation to the node of a remote backend, and its removal there: outer IPv4 or
 * IPv6, UDP (source port = flow entropy for the fabric's ECMP and the receiver's RSS,
 * RFC 8086 §3.2's reasoning), GUE variant 0 (draft-ietf-intarea-gue §3.1) whose private
 * data names the backend the first node chose. The receiving node needs no lookup of
 * its own, so it delivers exactly where the first node decided even while the two
 * nodes' views of the service differ for a moment. */
#ifndef BGPLB_ENCAP_H
#define BGPLB_ENCAP_H

#include "conntrack.h"
#include "csum.h"

static __always_inline __u32 encap_overhead(int outer6, __u8 inner_family)
{
	return (outer6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) + sizeof(struct udphdr) +
	       sizeof(struct gue_hdr) + (inner_family == 4 ? BGPLB_GUE_PRIV4 : BGPLB_GUE_PRIV6);
}

/* Cheap flow entropy for the outer UDP source port (RFC 7510 §3 uses 49152-65535). */
static __always_inline __u16 encap_sport(const struct packet *p)
{
	__u32 h = p->src.w[3] ^ p->dst.w[3] ^ ((__u32)p->sport << 16 | p->dport) ^ p->proto;
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return bpf_htons(0xc000 | (h & 0x3fff));
}

static __always_inline int encap_push(const struct pctx *c, const struct packet *p, const struct target *t,
				      const struct addr16 *src, __u16 gue_port)
{
	int outer6 = (t->flags & CT_F_NODE_V6) != 0;
	__u32 l3len = outer6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 priv = p->family == 4 ? BGPLB_GUE_PRIV4 : BGPLB_GUE_PRIV6;
	__u32 over = encap_overhead(outer6, p->family);
	__u32 udp_len = sizeof(struct udphdr) + sizeof(struct gue_hdr) + priv + p->len;
	__u16 sport = encap_sport(p);
	__u64 flags = (outer6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) | BPF_F_ADJ_ROOM_ENCAP_L4_UDP;

	if (ctx_grow(c, over, flags))
		return -1;
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	eth->h_proto = bpf_htons(outer6 ? ETH_P_IPV6 : ETH_P_IP);
	if (outer6) {
		struct ipv6hdr *ip6 = pkt_ptr(c, ETH_HLEN_, sizeof(*ip6));
		if (!ip6)
			return -1;
		/* version 6, traffic class 0, flow label = entropy (RFC 6438) */
		*(__u32 *)ip6 = bpf_htonl((6U << 28) | (bpf_ntohs(sport) & 0x3fff));
		ip6->payload_len = bpf_htons(udp_len);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		addr_to_v6(&ip6->saddr, src);
		addr_to_v6(&ip6->daddr, &t->node);
	} else {
		struct iphdr *ip = pkt_ptr(c, ETH_HLEN_, sizeof(*ip));
		if (!ip)
			return -1;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(sizeof(*ip) + udp_len);
		ip->id = 0;
		ip->frag_off = bpf_htons(IP_DF_); /* we answer PMTU ourselves */
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->check = 0;
		ip->saddr = src->w[3];
		ip->daddr = t->node.w[3];
		ip->check = csum_ipv4_header(ip);
	}
	struct udphdr *udp = pkt_ptr(c, ETH_HLEN_ + l3len, sizeof(*udp) + sizeof(struct gue_hdr));
	if (!udp)
		return -1;
	udp->source = sport;
	udp->dest = gue_port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0; /* RFC 768 (IPv4); RFC 6935/6936 zero checksum for tunnels (IPv6) */
	struct gue_hdr *gue = (struct gue_hdr *)(udp + 1);
	gue->hlen = priv / 4;
	gue->proto = p->family == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	gue->flags = 0;
	__u32 off = ETH_HLEN_ + l3len + sizeof(*udp) + sizeof(*gue);
	if (p->family == 4) {
		__u8 *b = pkt_ptr(c, off, BGPLB_GUE_PRIV4);
		if (!b)
			return -1;
		b[0] = BGPLB_GUE_MAGIC;
		b[1] = 4;
		*(__u16 *)(b + 2) = t->port;
		*(__u32 *)(b + 4) = t->addr.w[3];
	} else {
		__u8 *b = pkt_ptr(c, off, BGPLB_GUE_PRIV6);
		if (!b)
			return -1;
		b[0] = BGPLB_GUE_MAGIC;
		b[1] = 6;
		*(__u16 *)(b + 2) = t->port;
		*(__u32 *)(b + 4) = t->addr.w[0];
		*(__u32 *)(b + 8) = t->addr.w[1];
		*(__u32 *)(b + 12) = t->addr.w[2];
		*(__u32 *)(b + 16) = t->addr.w[3];
	}
	return 0;
}

struct tunnel_info {
	struct addr16 backend;
	__u32 inner_off; /* frame offset of the inner IP header */
	__u16 port;
	__u8 family; /* inner */
	__u8 pad;
};

/* Reads the GUE header after the outer UDP header at p->l4. */
static __always_inline int decap_parse(const struct pctx *c, const struct packet *p, struct tunnel_info *ti)
{
	__u32 off = p->l4 + sizeof(struct udphdr);
	struct gue_hdr *gue = pkt_ptr(c, off, sizeof(*gue));
	if (!gue || (gue->hlen & 0xe0) || gue->flags)
		return -1; /* another GUE version, a control message, or optional fields we did not send */
	__u32 hlen = (gue->hlen & 0x1f) * 4;
	off += sizeof(*gue);
	if (gue->proto == IPPROTO_IPIP && hlen == BGPLB_GUE_PRIV4) {
		__u8 *b = pkt_ptr(c, off, BGPLB_GUE_PRIV4);
		if (!b || b[0] != BGPLB_GUE_MAGIC || b[1] != 4)
			return -1;
		ti->port = *(__u16 *)(b + 2);
		addr_set_v4(&ti->backend, *(__u32 *)(b + 4));
		ti->family = 4;
	} else if (gue->proto == IPPROTO_IPV6 && hlen == BGPLB_GUE_PRIV6) {
		__u8 *b = pkt_ptr(c, off, BGPLB_GUE_PRIV6);
		if (!b || b[0] != BGPLB_GUE_MAGIC || b[1] != 6)
			return -1;
		ti->port = *(__u16 *)(b + 2);
		ti->backend.w[0] = *(__u32 *)(b + 4);
		ti->backend.w[1] = *(__u32 *)(b + 8);
		ti->backend.w[2] = *(__u32 *)(b + 12);
		ti->backend.w[3] = *(__u32 *)(b + 16);
		ti->family = 6;
	} else {
		return -1;
	}
	ti->inner_off = off + hlen;
	return 0;
}

/* Removes everything between the Ethernet header and the inner IP header. */
static __always_inline int decap_pop(const struct pctx *c, const struct tunnel_info *ti, __u8 outer_family)
{
	__u64 flags = 0;
	if (ti->family != outer_family)
		flags = ti->family == 4 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV4 : BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	if (ti->inner_off < ETH_HLEN_ || ctx_shrink(c, ti->inner_off - ETH_HLEN_, flags))
		return -1;
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	eth->h_proto = bpf_htons(ti->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	return 0;
}

#endif
