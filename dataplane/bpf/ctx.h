/* One packet context for the XDP and tc entry points. The logic above this file is
 * written once; each entry point builds a pctx whose `xdp` member is a constant, so after
 * inlining each program keeps only its own branch of every helper here. */
#ifndef BGPLB_CTX_H
#define BGPLB_CTX_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "abi.h"

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4 /* Linux 6.3 uapi; older headers lack them */
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

struct pctx {
	void *ctx;
	int xdp; /* 1: struct xdp_md, 0: struct __sk_buff */
	/* tc ingress on a packet XDP already ran on and passed up (kernels without XDP
	 * metadata, forward.h): what it passes on was counted by XDP */
	int after_xdp;
};

/* Loads a 32-bit context field at a constant offset with one instruction. Written as
 * assembly because clang otherwise keeps &ctx->field in a register and dereferences it
 * later, which the verifier rejects ("dereference of modified ctx ptr"). */
#define CTX_LOAD(ctx, type, field)                                                          \
	({                                                                                  \
		__u64 v_;                                                                   \
		asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(v_) : "r"(ctx), "i"(__builtin_offsetof(type, field))); \
		v_;                                                                         \
	})

static __always_inline void *ctx_data(const struct pctx *c)
{
	if (c->xdp)
		return (void *)(long)CTX_LOAD(c->ctx, struct xdp_md, data);
	return (void *)(long)CTX_LOAD(c->ctx, struct __sk_buff, data);
}

static __always_inline void *ctx_end(const struct pctx *c)
{
	if (c->xdp)
		return (void *)(long)CTX_LOAD(c->ctx, struct xdp_md, data_end);
	return (void *)(long)CTX_LOAD(c->ctx, struct __sk_buff, data_end);
}

/* Bytes of the whole frame (an skb may hold more than its linear part). */
static __always_inline __u32 ctx_len(const struct pctx *c)
{
	if (c->xdp)
		return (__u32)(ctx_end(c) - ctx_data(c));
	return ((struct __sk_buff *)c->ctx)->len;
}

/* The interface the packet arrived on (ingress) or leaves by (tc egress). */
static __always_inline __u32 ctx_ifindex(const struct pctx *c)
{
	if (c->xdp)
		return ((struct xdp_md *)c->ctx)->ingress_ifindex;
	return ((struct __sk_buff *)c->ctx)->ifindex;
}

/* A pointer to `size` bytes at `off`, or NULL when the frame is shorter. The bound on
 * off keeps the verifier's view of every variable offset small. */
static __always_inline void *pkt_ptr(const struct pctx *c, __u32 off, __u32 size)
{
	void *data = ctx_data(c), *end = ctx_end(c);
	if (off > 1024)
		return NULL;
	void *p = data + off;
	if (p + size > end)
		return NULL;
	/* keep the checked register: clang may otherwise rebuild data + off later in a
	 * register the verifier has no range for */
	asm volatile("" : "+r"(p));
	return p;
}

/* Inserts `len` bytes between the Ethernet header and the IP header. `flags` are
 * bpf_skb_adjust_room's (encapsulation hints for GSO); XDP ignores them. */
static __always_inline int ctx_grow(const struct pctx *c, __u32 len, __u64 flags)
{
	if (!c->xdp)
		return bpf_skb_adjust_room(c->ctx, (__s32)len, BPF_ADJ_ROOM_MAC, flags);
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	struct ethhdr saved = *eth;
	if (bpf_xdp_adjust_head(c->ctx, -(int)len))
		return -1;
	eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	*eth = saved;
	return 0;
}

/* Removes `len` bytes after the Ethernet header (the outer headers of a tunnel). */
static __always_inline int ctx_shrink(const struct pctx *c, __u32 len, __u64 flags)
{
	if (!c->xdp)
		return bpf_skb_adjust_room(c->ctx, -(__s32)len, BPF_ADJ_ROOM_MAC, flags);
	struct ethhdr *eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	struct ethhdr saved = *eth;
	if (bpf_xdp_adjust_head(c->ctx, (int)len))
		return -1;
	eth = pkt_ptr(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	*eth = saved;
	return 0;
}

/* Cuts the frame to `len` bytes. */
static __always_inline int ctx_truncate(const struct pctx *c, __u32 len)
{
	if (!c->xdp) {
		if (bpf_skb_change_tail(c->ctx, len, 0))
			return -1;
		return bpf_skb_pull_data(c->ctx, len);
	}
	__u32 cur = ctx_len(c);
	if (len >= cur)
		return 0;
	return bpf_xdp_adjust_tail(c->ctx, -(int)(cur - len));
}

static __always_inline int verdict_pass(const struct pctx *c)
{
	return c->xdp ? XDP_PASS : TC_ACT_OK;
}

static __always_inline int verdict_drop(const struct pctx *c)
{
	return c->xdp ? XDP_DROP : TC_ACT_SHOT;
}

/* Back out of the interface the packet came in by. */
static __always_inline int verdict_tx(const struct pctx *c)
{
	if (c->xdp)
		return XDP_TX;
	return bpf_redirect(((struct __sk_buff *)c->ctx)->ingress_ifindex, 0);
}

static __always_inline int verdict_redirect(const struct pctx *c, __u32 ifindex)
{
	if (c->xdp && ifindex == ctx_ifindex(c))
		return XDP_TX;
	return bpf_redirect(ifindex, 0);
}

#endif
