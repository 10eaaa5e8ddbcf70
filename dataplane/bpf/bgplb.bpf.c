// SPDX-License-Identifier: GPL-2.0
/* bgplb's forwarding module: the three entry points. The logic is in the headers beside
 * this file, one concern each (README.md has the map). */
#include "egress.h"
#include "ingress.h"

char LICENSE[] SEC("license") = "GPL";

/* Headers an entry point reads directly: Ethernet, IPv6 or IPv4 with options, the
 * transport header, an ICMP quote. */
#define BGPLB_PULL 192

static __always_inline void pull_headers(struct __sk_buff *skb)
{
	__u32 want = skb->len < BGPLB_PULL ? skb->len : BGPLB_PULL;
	if ((void *)(long)skb->data + want > (void *)(long)skb->data_end)
		bpf_skb_pull_data(skb, want);
}

SEC("xdp")
int bgplb_xdp(struct xdp_md *ctx)
{
	struct pctx c = {.ctx = ctx, .xdp = 1};
	return ingress(&c);
}

SEC("tc")
int bgplb_tc_ingress(struct __sk_buff *skb)
{
	struct pctx c = {.ctx = skb, .xdp = 0};
	const struct config *cf = cfg();
	if (cf && (cf->flags & CFG_F_XDP)) {
		if (bgplb_xdp_meta) {
			/* XDP runs ingress; only packets it punted (metadata mark) are ours here */
			__u32 *meta = (void *)(long)skb->data_meta;
			if ((void *)(meta + 1) > (void *)(long)skb->data || *meta != BGPLB_PUNT_MAGIC)
				return TC_ACT_OK;
		} else {
			/* no mark on this kernel: every packet XDP passed up, punted or not */
			c.after_xdp = 1;
		}
	}
	pull_headers(skb);
	return ingress(&c);
}

SEC("tc")
int bgplb_tc_egress(struct __sk_buff *skb)
{
	pull_headers(skb);
	struct pctx c = {.ctx = skb, .xdp = 0};
	return egress(&c);
}
