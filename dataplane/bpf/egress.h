/* Egress (tc, on the same interfaces): replies of local backends leave with the
 * frontend as their source, the client never sees a pod address (DSR when the flow came
 * through another node), and ICMP errors about a client's packets name the frontend. */
#ifndef BGPLB_EGRESS_H
#define BGPLB_EGRESS_H

#include "conntrack.h"
#include "icmp.h"
#include "nat.h"

static __always_inline int egress(const struct pctx *c)
{
	struct packet p = {};
	int r = parse_packet(c, &p);
	union ct_any_key k;
	if (r == PARSE_L4) {
		ct_key_make(&k, p.family, &p.src, &p.dst, p.sport, p.dport, p.proto, CT_REVERSE);
		struct ct_value *v = ct_lookup(&k, p.family, CT_REVERSE);
		if (!v)
			return TC_ACT_OK;
		__u64 now = bpf_ktime_get_coarse_ns();
		if (ct_age(now, v->last_seen) > CT_TICKS_PER_SEC_)
			v->last_seen = ct_ticks(now);
		struct addr16 frontend = v->addr;
		if (nat_rewrite(c, &p, 0, &frontend, v->port))
			return TC_ACT_SHOT;
		count(EV_REVNAT);
		return TC_ACT_OK;
	}
	if (r == PARSE_ICMP_ERROR) {
		/* the quote is the client's packet as the backend (or this node) received it */
		const struct quoted *q = &p.in;
		ct_key_make(&k, p.family, &q->dst, &q->src, q->dport, q->sport, q->proto, CT_REVERSE);
		struct ct_value *v = ct_lookup(&k, p.family, CT_REVERSE);
		if (!v)
			return TC_ACT_OK;
		struct addr16 frontend = v->addr;
		int from_backend = addr_eq(&p.src, &q->dst);
		if (icmp_translate(c, &p, 1, &frontend, v->port, 0, from_backend ? &frontend : NULL))
			return TC_ACT_SHOT;
		count(EV_ICMP_OUT);
	}
	return TC_ACT_OK;
}

#endif
