/* Sending a packet on: a FIB lookup (routes and neighbours of the node's own tables),
 * then the local pod (after DNAT) or the backend's node (after encapsulation). A packet
 * too big for the path is answered with an ICMP error here (RFC 1191, RFC 8201). */
#ifndef BGPLB_FORWARD_H
#define BGPLB_FORWARD_H

#include "encap.h"
#include "icmp.h"
#include "nat.h"

#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

#define BGPLB_PUNT_MAGIC 0xb1b1e001u

/* Set by the loader before the verifier sees the program: whether this kernel lets XDP
 * programs call bpf_xdp_adjust_meta (a 6.18 kernel was seen refusing it). With it, XDP
 * marks the packets it punts and tc ingress takes only those; without it, tc ingress
 * runs on every packet XDP passes up. A constant, so the verifier skips the other way. */
const volatile __u32 bgplb_xdp_meta = 1;

enum deliver_mode {
	DELIVER_DATA = 0, /* a TCP/UDP packet: DNAT */
	DELIVER_ICMP = 1, /* an ICMP error about a reply: translate its quote */
};

static __always_inline int fib(const struct pctx *c, __u8 family, const struct addr16 *src, const struct addr16 *dst,
			       __u32 tot_len, struct bpf_fib_lookup *f)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->ifindex = ctx_ifindex(c);
	f->tot_len = tot_len;
	if (family == 4) {
		f->family = AF_INET;
		f->ipv4_src = src->w[3];
		f->ipv4_dst = dst->w[3];
	} else {
		f->family = AF_INET6;
		for (int i = 0; i < 4; i++) {
			f->ipv6_src[i] = src->w[i];
			f->ipv6_dst[i] = dst->w[i];
		}
	}
	return bpf_fib_lookup(c->ctx, f, sizeof(*f), 0);
}

static __always_inline int send_to(const struct pctx *c, const struct bpf_fib_lookup *f)
{
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return verdict_drop(c);
	__builtin_memcpy(eth->h_dest, f->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, f->smac, ETH_ALEN);
	return verdict_redirect(c, f->ifindex);
}

/* XDP cannot resolve a neighbour: hand the untouched packet to the tc ingress program
 * (marked in the XDP metadata), which can. */
static __always_inline int punt_to_tc(const struct pctx *c)
{
	if (!bgplb_xdp_meta) {
		count(EV_PUNT);
		return XDP_PASS; /* tc ingress runs on every packet XDP passes */
	}
	if (bpf_xdp_adjust_meta(c->ctx, -4))
		return XDP_PASS;
	struct xdp_md *x = c->ctx;
	__u32 *meta = (void *)(long)x->data_meta;
	if ((void *)(meta + 1) > (void *)(long)x->data)
		return XDP_PASS;
	*meta = BGPLB_PUNT_MAGIC;
	count(EV_PUNT);
	return XDP_PASS;
}

static __always_inline int too_big(const struct pctx *c, const struct packet *p, __u32 mtu, __u32 svc_id)
{
	if (!p->df) {
		count_drop(DROP_TOO_BIG, svc_id);
		return verdict_drop(c);
	}
	if (p->family == 6 && mtu < 1280)
		mtu = 1280; /* RFC 8201 §4: never below the IPv6 minimum link MTU */
	count_drop(DROP_FRAG_NEEDED, svc_id);
	return icmp_reply(c, p, 1, mtu);
}

/* To a pod on this node. DATA: DNAT to the backend, and a reverse entry so its replies
 * leave as the frontend (rev: 1). ICMP: the error's destination and quote name the
 * backend instead of the frontend. cache: the flow's conntrack entry, whose next hop
 * spares the FIB lookup (NULL: look up). */
static __always_inline int deliver_local(const struct pctx *c, struct packet *p, const struct target *t, int mode, int rev,
					 struct ct_value *cache, __u64 now)
{
	struct bpf_fib_lookup f;
	int rc = BPF_FIB_LKUP_RET_SUCCESS;
	if (fib_cache_fresh(cache, p->len)) {
		f.ifindex = cache->fib_ifindex;
		__builtin_memcpy(f.dmac, cache->fib_dmac, ETH_ALEN);
		__builtin_memcpy(f.smac, cache->fib_smac, ETH_ALEN);
		goto translate;
	}
	rc = fib(c, p->family, &p->src, &t->addr, p->len, &f);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		if (mode == DELIVER_ICMP) {
			count_drop(DROP_TOO_BIG, t->svc_id);
			return verdict_drop(c);
		}
		return too_big(c, p, f.mtu_result, t->svc_id);
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
		count_drop(DROP_NO_ROUTE, t->svc_id);
		return verdict_drop(c);
	}
	if (f.ifindex == ctx_ifindex(c)) {
		count_drop(DROP_LOOP, t->svc_id);
		return verdict_drop(c);
	}
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		fib_cache_fill(cache, f.ifindex, f.dmac, f.smac, p->len);
translate:
	if (mode == DELIVER_ICMP) {
		if (icmp_translate(c, p, 0, &t->addr, t->port, 1, &t->addr)) {
			count_drop(DROP_MALFORMED, t->svc_id);
			return verdict_drop(c);
		}
		count(EV_ICMP_IN);
	} else {
		struct addr16 frontend = p->dst;
		__u16 fport = p->dport;
		if (nat_rewrite(c, p, 1, &t->addr, t->port)) {
			count_drop(DROP_MALFORMED, t->svc_id);
			return verdict_drop(c);
		}
		if (rev)
			ct_reverse_ensure(p->family, &t->addr, t->port, &p->src, p->sport, p->proto, &frontend, fport,
					  t->svc_id, now);
		count(EV_FWD_LOCAL);
	}
	const struct config *cf = cfg();
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		if (c->xdp) {
			count(EV_PASS_NO_FIB);
			return XDP_PASS; /* the stack forwards the translated packet and resolves */
		}
		return bpf_redirect_neigh(f.ifindex, NULL, 0, 0);
	}
	if (c->xdp && !(cf && (cf->flags & CFG_F_REDIRECT_LOCAL)))
		return XDP_PASS;
	return send_to(c, &f);
}

/* To the backend's node, encapsulated; that node's module delivers it. */
static __always_inline int deliver_remote(const struct pctx *c, struct packet *p, const struct target *t, int mode,
					  struct ct_value *cache, __u64 now)
{
	const struct config *cf = cfg();
	if (!cf)
		return verdict_pass(c);
	int outer6 = (t->flags & CT_F_NODE_V6) != 0;
	if (!(cf->flags & (outer6 ? CFG_F_HAVE_SRC6 : CFG_F_HAVE_SRC4))) {
		count_drop(DROP_NO_TUNNEL_SOURCE, t->svc_id);
		return verdict_drop(c);
	}
	struct addr16 src = outer6 ? cf->tunnel_src6 : cf->tunnel_src4;
	__u16 gue_port = cf->gue_port;
	__u32 over = encap_overhead(outer6, p->family);
	struct bpf_fib_lookup f;
	int rc = BPF_FIB_LKUP_RET_SUCCESS;
	if (fib_cache_fresh(cache, p->len + over)) {
		f.ifindex = cache->fib_ifindex;
		__builtin_memcpy(f.dmac, cache->fib_dmac, ETH_ALEN);
		__builtin_memcpy(f.smac, cache->fib_smac, ETH_ALEN);
		goto encapsulate;
	}
	rc = fib(c, outer6 ? 6 : 4, &src, &t->node, p->len + over, &f);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		if (mode == DELIVER_ICMP) {
			count_drop(DROP_TOO_BIG, t->svc_id);
			return verdict_drop(c);
		}
		__u32 mtu = f.mtu_result > over ? f.mtu_result - over : 0;
		return too_big(c, p, mtu, t->svc_id);
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH && c->xdp)
		return punt_to_tc(c);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
		count_drop(DROP_NO_ROUTE, t->svc_id);
		return verdict_drop(c);
	}
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		fib_cache_fill(cache, f.ifindex, f.dmac, f.smac, p->len + over);
encapsulate:
	if (encap_push(c, p, t, &src, gue_port)) {
		count_drop(DROP_ADJUST, t->svc_id);
		return verdict_drop(c);
	}
	count(EV_FWD_REMOTE);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return bpf_redirect_neigh(f.ifindex, NULL, 0, 0);
	return send_to(c, &f);
}

#endif
