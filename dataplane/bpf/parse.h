/* Parsing: Ethernet, IPv4 (options allowed, fragments passed), IPv6 (no extension
 * headers: passed), TCP/UDP ports, and the packet quoted inside an ICMP or ICMPv6 error.
 * Offsets, not pointers, are kept: every helper that resizes the frame invalidates
 * pointers, and offsets re-derive them. */
#ifndef BGPLB_PARSE_H
#define BGPLB_PARSE_H

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "ctx.h"

#define ETH_HLEN_ 14
#define IP_MF_ 0x2000
#define IP_DF_ 0x4000
#define IP_OFFSET_ 0x1fff
#define IPV6_FRAGMENT_ 44

/* RFC 792 and RFC 4443 numbers (linux/icmp.h drags in libc's socket headers). */
#define ICMP_DEST_UNREACH 3
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PORT_UNREACH 4
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_PARAMPROB 4

enum parse_result {
	PARSE_OTHER = 0,   /* not IP, or a protocol we do not handle: pass, no lookup */
	PARSE_L4 = 1,      /* TCP or UDP with ports */
	PARSE_ICMP_ERROR = 2, /* ICMP/ICMPv6 error quoting a TCP or UDP packet */
	PARSE_FRAGMENT = 3,
	PARSE_EXT_HDR = 4,
	PARSE_TRUNCATED = 5,
};

/* The packet quoted in an ICMP error, as it was sent: src sent it to dst. */
struct quoted {
	struct addr16 src, dst;
	__u32 l3, l4; /* frame offsets */
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
};

struct packet {
	struct addr16 src, dst;
	__u32 l4;  /* frame offset of the TCP/UDP/ICMP header; the IP header is at ETH_HLEN_ */
	__u32 len; /* IP total length */
	__u16 sport, dport;
	__u8 family;
	__u8 proto;
	__u8 df;        /* must not be fragmented: IPv4 DF, always for IPv6 */
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	__u8 pad[2];
	struct quoted in; /* PARSE_ICMP_ERROR only */
};

static __always_inline void addr_set_v4(struct addr16 *a, __u32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = v4;
}

static __always_inline void addr_set_v6(struct addr16 *a, const struct in6_addr *v6)
{
	a->w[0] = v6->in6_u.u6_addr32[0];
	a->w[1] = v6->in6_u.u6_addr32[1];
	a->w[2] = v6->in6_u.u6_addr32[2];
	a->w[3] = v6->in6_u.u6_addr32[3];
}

static __always_inline void addr_to_v6(struct in6_addr *v6, const struct addr16 *a)
{
	v6->in6_u.u6_addr32[0] = a->w[0];
	v6->in6_u.u6_addr32[1] = a->w[1];
	v6->in6_u.u6_addr32[2] = a->w[2];
	v6->in6_u.u6_addr32[3] = a->w[3];
}

static __always_inline int addr_eq(const struct addr16 *a, const struct addr16 *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}

/* Ports (and the TCP flags) of a TCP/UDP header at `off`. */
static __always_inline int parse_ports(const struct pctx *c, __u32 off, __u8 proto, __u16 *sport, __u16 *dport, __u8 *flags)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = pkt_ptr(c, off, sizeof(*t));
		if (!t)
			return -1;
		*sport = t->source;
		*dport = t->dest;
		*flags = ((__u8 *)t)[13];
		return 0;
	}
	struct udphdr *u = pkt_ptr(c, off, sizeof(*u));
	if (!u)
		return -1;
	*sport = u->source;
	*dport = u->dest;
	*flags = 0;
	return 0;
}

/* The quoted packet needs its IP header and the first 8 bytes of TCP/UDP (RFC 792). */
static __always_inline int parse_quoted(const struct pctx *c, struct packet *p)
{
	struct quoted *q = &p->in;
	q->l3 = p->l4 + 8;
	if (p->family == 4) {
		struct iphdr *ip = pkt_ptr(c, q->l3, sizeof(*ip));
		if (!ip || ip->ihl < 5)
			return PARSE_OTHER;
		q->proto = ip->protocol;
		addr_set_v4(&q->src, ip->saddr);
		addr_set_v4(&q->dst, ip->daddr);
		q->l4 = q->l3 + ip->ihl * 4;
	} else {
		struct ipv6hdr *ip6 = pkt_ptr(c, q->l3, sizeof(*ip6));
		if (!ip6)
			return PARSE_OTHER;
		q->proto = ip6->nexthdr;
		addr_set_v6(&q->src, &ip6->saddr);
		addr_set_v6(&q->dst, &ip6->daddr);
		q->l4 = q->l3 + sizeof(*ip6);
	}
	if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP)
		return PARSE_OTHER;
	__u16 *ports = pkt_ptr(c, q->l4, 4);
	if (!ports)
		return PARSE_OTHER;
	q->sport = ports[0];
	q->dport = ports[1];
	return PARSE_ICMP_ERROR;
}

/* RFC 792 types 3, 11, 12; RFC 4443 types 1-4. */
static __always_inline int icmp_is_error(__u8 family, __u8 type)
{
	if (family == 4)
		return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
	return type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAMPROB;
}

static __always_inline int parse_l4(const struct pctx *c, struct packet *p)
{
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		if (parse_ports(c, p->l4, p->proto, &p->sport, &p->dport, &p->tcp_flags))
			return PARSE_TRUNCATED;
		return PARSE_L4;
	}
	if ((p->family == 4 && p->proto == IPPROTO_ICMP) || (p->family == 6 && p->proto == IPPROTO_ICMPV6)) {
		__u8 *icmp = pkt_ptr(c, p->l4, 8);
		if (!icmp)
			return PARSE_OTHER;
		p->icmp_type = icmp[0];
		p->icmp_code = icmp[1];
		if (!icmp_is_error(p->family, p->icmp_type))
			return PARSE_OTHER;
		return parse_quoted(c, p);
	}
	return PARSE_OTHER;
}

static __always_inline int parse_packet(const struct pctx *c, struct packet *p)
{
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return PARSE_OTHER;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = pkt_ptr(c, ETH_HLEN_, sizeof(*ip));
		if (!ip || ip->ihl < 5 || ip->version != 4)
			return PARSE_OTHER;
		/* RFC 791: only a whole datagram reliably carries the ports; fragments pass */
		if (ip->frag_off & bpf_htons(IP_MF_ | IP_OFFSET_))
			return PARSE_FRAGMENT;
		p->family = 4;
		p->proto = ip->protocol;
		p->len = bpf_ntohs(ip->tot_len);
		p->df = (ip->frag_off & bpf_htons(IP_DF_)) != 0;
		addr_set_v4(&p->src, ip->saddr);
		addr_set_v4(&p->dst, ip->daddr);
		p->l4 = ETH_HLEN_ + ip->ihl * 4;
		return parse_l4(c, p);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = pkt_ptr(c, ETH_HLEN_, sizeof(*ip6));
		if (!ip6 || ip6->version != 6)
			return PARSE_OTHER;
		p->family = 6;
		p->proto = ip6->nexthdr;
		p->len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		p->df = 1;
		addr_set_v6(&p->src, &ip6->saddr);
		addr_set_v6(&p->dst, &ip6->daddr);
		p->l4 = ETH_HLEN_ + sizeof(*ip6);
		if (p->proto == IPV6_FRAGMENT_)
			return PARSE_FRAGMENT;
		/* RFC 8200 §4.1 (and RFC 4302, RFC 6275 §6.1, RFC 7401, RFC 5533): an
		 * extension header may hide the transport header; counted and passed. */
		switch (p->proto) {
		case 0: case 43: case 51: case 60: case 135: case 139: case 140:
			return PARSE_EXT_HDR;
		}
		return parse_l4(c, p);
	}
	return PARSE_OTHER;
}

#endif
