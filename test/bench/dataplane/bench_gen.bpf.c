// SPDX-License-Identifier: GPL-2.0
/* Benchmark programs around the module's ingress (dataplane/bpf). Frames injected with
 * BPF_PROG_RUN (live frames or test-run repeat) are recycled buffers, so each program
 * first writes a whole Ethernet/IPv4/UDP frame from gen_cfg, varying the source port
 * over nflows, then acts:
 *   gen_drop   - nothing else (the generator's own cost)
 *   gen_pass   - XDP_PASS: the frame enters the stack as if a NIC received it (kube-proxy)
 *   gen_tx     - XDP_TX back where it came from: the ceiling of an XDP program here
 *   gen_bgplb  - the module's ingress, unchanged
 * Opened with the module's pin root, this object shares the module's maps. */
#include "ingress.h"

struct gen_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__u32 saddr, daddr; /* network order */
	__u16 dport;        /* network order */
	__u16 pad;
	__u32 nflows;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cfg);
} gen_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_seq SEC(".maps");

#define GEN_LEN 60 /* 14 + 20 + 8 + 18 bytes of payload: a minimum Ethernet frame */

static __always_inline int gen(struct xdp_md *ctx)
{
	struct pctx c = {.ctx = ctx, .xdp = 1};
	__u32 zero = 0;
	struct gen_cfg *g = bpf_map_lookup_elem(&gen_cfg, &zero);
	__u32 *seq = bpf_map_lookup_elem(&gen_seq, &zero);
	struct ethhdr *eth = pkt_ptr(&c, 0, GEN_LEN);
	if (!g || !seq || !eth)
		return -1;
	__builtin_memcpy(eth->h_dest, g->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, g->smac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	struct iphdr *ip = (void *)(eth + 1);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(GEN_LEN - ETH_HLEN_);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = g->saddr;
	ip->daddr = g->daddr;
	ip->check = csum_ipv4_header(ip);
	struct udphdr *u = (void *)(ip + 1);
	__u32 n = g->nflows ? g->nflows : 1;
	u->source = bpf_htons(1024 + (*seq % n));
	*seq += 1;
	u->dest = g->dport;
	u->len = bpf_htons(GEN_LEN - ETH_HLEN_ - sizeof(*ip));
	u->check = 0;
	return 0;
}

SEC("xdp")
int gen_drop(struct xdp_md *ctx)
{
	return gen(ctx) ? XDP_ABORTED : XDP_DROP;
}

SEC("xdp")
int gen_pass(struct xdp_md *ctx)
{
	return gen(ctx) ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	if (gen(ctx))
		return XDP_ABORTED;
	struct pctx c = {.ctx = ctx, .xdp = 1};
	struct ethhdr *eth = pkt_ptr(&c, 0, sizeof(*eth));
	if (!eth)
		return XDP_ABORTED;
	__u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

SEC("xdp")
int gen_bgplb(struct xdp_md *ctx)
{
	if (gen(ctx))
		return XDP_ABORTED;
	struct pctx c = {.ctx = ctx, .xdp = 1};
	return ingress(&c);
}

char LICENSE[] SEC("license") = "GPL";
