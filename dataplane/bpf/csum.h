/* Internet checksum arithmetic (RFC 1071) and incremental updates (RFC 1624).
 *
 * Values are summed as they sit in memory: one's complement addition is byte-order
 * independent, so no byte swapping is needed as long as a field is read and written
 * back the same way. A "diff" is the one's complement sum of ~old + new over every
 * changed word; RFC 1624 eqn. 3 applies it: HC' = ~(~HC + ~m + m').
 *
 * XDP frames carry complete checksums (they come off the wire), so XDP updates the
 * fields directly. An skb may carry CHECKSUM_PARTIAL (replies of local pods) or
 * CHECKSUM_COMPLETE, so tc goes through bpf_l3/l4_csum_replace, which keep skb->csum
 * and partial pseudo-header sums right. */
#ifndef BGPLB_CSUM_H
#define BGPLB_CSUM_H

#include "ctx.h"

static __always_inline __u32 csum_add(__u32 s, __u32 v)
{
	s += v;
	return s + (s < v);
}

static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* diff of replacing one address by another; IPv4 addresses are the last word. */
static __always_inline __u32 csum_diff_addr(const struct addr16 *from, const struct addr16 *to, int v6)
{
	__u32 s = 0;
	if (v6) {
		s = csum_add(s, ~from->w[0]);
		s = csum_add(s, to->w[0]);
		s = csum_add(s, ~from->w[1]);
		s = csum_add(s, to->w[1]);
		s = csum_add(s, ~from->w[2]);
		s = csum_add(s, to->w[2]);
	}
	s = csum_add(s, ~from->w[3]);
	s = csum_add(s, to->w[3]);
	return s;
}

static __always_inline __u32 csum_diff16(__u16 from, __u16 to)
{
	return csum_add((__u16)~from, to);
}

/* RFC 1624 eqn. 3 */
static __always_inline __u16 csum_apply(__u16 check, __u32 diff)
{
	return (__u16)~csum_fold(csum_add(diff, (__u16)~check));
}

/* Applies `diff` to the 16-bit checksum at `off`. pseudo: the change is in the
 * pseudo-header (addresses), which a CHECKSUM_PARTIAL skb must still see. udp: a zero
 * IPv4 UDP checksum means "none" and stays zero; a result of zero is sent as 0xffff
 * (RFC 768). */
static __always_inline int csum_l4_update(const struct pctx *c, __u32 off, __u32 diff, int pseudo, int udp, int v6)
{
	if (!c->xdp) {
		__u64 flags = (pseudo ? BPF_F_PSEUDO_HDR : 0) | (udp ? BPF_F_MARK_MANGLED_0 : 0) | (v6 ? BPF_F_IPV6 : 0);
		return bpf_l4_csum_replace(c->ctx, off, 0, diff, flags);
	}
	__u16 *check = pkt_ptr(c, off, sizeof(__u16));
	if (!check)
		return -1;
	if (udp && !v6 && *check == 0)
		return 0;
	__u16 n = csum_apply(*check, diff);
	if (udp && n == 0)
		n = 0xffff;
	*check = n;
	return 0;
}

static __always_inline int csum_l3_update(const struct pctx *c, __u32 off, __u32 diff)
{
	if (!c->xdp)
		return bpf_l3_csum_replace(c->ctx, off, 0, diff, 0);
	__u16 *check = pkt_ptr(c, off, sizeof(__u16));
	if (!check)
		return -1;
	*check = csum_apply(*check, diff);
	return 0;
}

/* Checksum of an IPv4 header we built (20 bytes, check field zero). */
static __always_inline __u16 csum_ipv4_header(const void *hdr)
{
	const __u16 *w = hdr;
	__u32 s = 0;
#pragma unroll
	for (int i = 0; i < 10; i++)
		s += w[i];
	return (__u16)~csum_fold(s);
}

/* Sum of `len` bytes (len <= BGPLB_ICMP_QUOTE + 8) starting at frame offset `off`, for
 * the ICMP messages we build. Bytes past the frame count as zero. */
static __always_inline __u32 csum_bytes(const struct pctx *c, __u32 off, __u32 len)
{
	__u32 s = 0;
	for (int i = 0; i < (BGPLB_ICMP_QUOTE + 8) / 4; i++) {
		__u32 at = (__u32)i * 4;
		if (at >= len)
			break;
		__u8 *b = pkt_ptr(c, off + at, 4);
		if (b && at + 4 <= len) {
			s = csum_add(s, *(__u32 *)b);
			continue;
		}
		/* the last 1..3 bytes */
		__u8 tail[4] = {0, 0, 0, 0};
		for (int k = 0; k < 3; k++) {
			__u8 *one = pkt_ptr(c, off + at + k, 1);
			if (!one || at + k >= len)
				break;
			tail[k] = *one;
		}
		s = csum_add(s, *(__u32 *)tail);
		break;
	}
	return s;
}

#endif
