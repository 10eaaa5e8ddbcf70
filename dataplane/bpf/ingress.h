/* Ingress, on the interfaces traffic arrives by (XDP or tc): packets for a frontend go
 * to a backend; encapsulated packets from another node go to the pod they name; ICMP
 * errors about our replies go to the backend that sent the reply; everything else
 * passes to the stack untouched. */
#ifndef BGPLB_INGRESS_H
#define BGPLB_INGRESS_H

#include "forward.h"
#include "maglev.h"

/* A packet handed on to the stack untouched, counted once: tc ingress does not count
 * again what XDP already passed up (pctx.after_xdp). */
static __always_inline void count_pass(const struct pctx *c, __u32 ev)
{
	if (!c->after_xdp)
		count(ev);
}

/* A TCP/UDP packet for a frontend. */
static __always_inline int serve(const struct pctx *c, struct packet *p, const struct frontend_value *fe)
{
	__u32 svc_id = fe->svc_id;
	if (!source_allowed(fe, &p->src)) {
		count_drop(DROP_SOURCE_RANGE, svc_id);
		return verdict_drop(c);
	}
	__u64 now = bpf_ktime_get_coarse_ns();
	union ct_any_key k;
	ct_key_make(&k, p->family, &p->src, &p->dst, p->sport, p->dport, p->proto, CT_FORWARD);
	struct target t = {};
	int new_flow = 0;
	struct ct_value *entry = ct_forward_get(&k, p->family, p->proto, p->tcp_flags, now, &t);
	if (entry) {
		count(EV_CT_HIT);
	} else {
		int r = backend_pick(svc_id, &p->src, &p->dst, p->sport, p->dport, p->proto, now, 1, &t);
		if (r == PICK_NONE) {
			count_drop(DROP_NO_BACKEND, svc_id);
			return icmp_reply(c, p, 0, 0);
		}
		if (r != PICK_OK) {
			count_drop(DROP_BACKEND_MISSING, svc_id);
			return verdict_drop(c);
		}
		ct_forward_put(&k, p->family, &t, now);
		count(EV_CT_NEW);
		new_flow = 1;
	}
	count_service(svc_id, p->len, new_flow);
	if (t.flags & CT_F_REMOTE)
		return deliver_remote(c, p, &t, DELIVER_DATA, entry, now);
	return deliver_local(c, p, &t, DELIVER_DATA, new_flow, entry, now);
}

/* An ICMP error sent to a frontend address: it quotes a reply (frontend -> client).
 * The flow it is about is the client's (client -> frontend); its backend gets the error. */
static __always_inline int icmp_to_frontend(const struct pctx *c, struct packet *p)
{
	const struct quoted *q = &p->in;
	const struct frontend_value *fe = frontend_lookup(p->family, &q->src, q->sport, q->proto);
	if (!fe) {
		count_pass(c, EV_PASS);
		return verdict_pass(c);
	}
	union ct_any_key k;
	ct_key_make(&k, p->family, &q->dst, &q->src, q->dport, q->sport, q->proto, CT_FORWARD);
	struct target t = {};
	__u64 now = bpf_ktime_get_coarse_ns();
	if (!ct_forward_get(&k, p->family, q->proto, 0, now, &t) &&
	    backend_pick(fe->svc_id, &q->dst, &q->src, q->dport, q->sport, q->proto, now, 0, &t) != PICK_OK) {
		count_pass(c, EV_PASS);
		return verdict_pass(c);
	}
	if (t.flags & CT_F_REMOTE)
		return deliver_remote(c, p, &t, DELIVER_ICMP, NULL, now);
	return deliver_local(c, p, &t, DELIVER_ICMP, 0, NULL, now);
}

/* A packet another node's module encapsulated for a pod of ours. */
static __always_inline int decap(const struct pctx *c, struct packet *p)
{
	if (!bpf_map_lookup_elem(&tunnel_peers, &p->src)) {
		count_drop(DROP_TUNNEL_PEER, 0);
		return verdict_drop(c);
	}
	struct tunnel_info ti;
	if (decap_parse(c, p, &ti)) {
		count_drop(DROP_TUNNEL_MALFORMED, 0);
		return verdict_drop(c);
	}
	if (decap_pop(c, &ti, p->family)) {
		count_drop(DROP_ADJUST, 0);
		return verdict_drop(c);
	}
	count(EV_DECAP);
	struct target t = {};
	t.addr = ti.backend;
	t.port = ti.port;
	__builtin_memset(p, 0, sizeof(*p));
	int r = parse_packet(c, p);
	__u64 now = bpf_ktime_get_coarse_ns();
	if (r == PARSE_L4 && p->family == ti.family)
		return deliver_local(c, p, &t, DELIVER_DATA, 1, NULL, now);
	if (r == PARSE_ICMP_ERROR && p->family == ti.family)
		return deliver_local(c, p, &t, DELIVER_ICMP, 0, NULL, now);
	count_drop(DROP_TUNNEL_MALFORMED, 0);
	return verdict_drop(c);
}

static __always_inline int is_tunnel(const struct packet *p, const struct config *cf)
{
	if (p->proto != IPPROTO_UDP || p->dport != cf->gue_port)
		return 0;
	if (p->family == 4)
		return (cf->flags & CFG_F_HAVE_SRC4) && addr_eq(&p->dst, &cf->tunnel_src4);
	return (cf->flags & CFG_F_HAVE_SRC6) && addr_eq(&p->dst, &cf->tunnel_src6);
}

static __always_inline int ingress(const struct pctx *c)
{
	struct packet p = {};
	switch (parse_packet(c, &p)) {
	case PARSE_L4:
		break;
	case PARSE_ICMP_ERROR:
		return icmp_to_frontend(c, &p);
	case PARSE_FRAGMENT:
		count_pass(c, EV_PASS_FRAGMENT);
		return verdict_pass(c);
	case PARSE_EXT_HDR:
		count_pass(c, EV_PASS_EXT_HDR);
		return verdict_pass(c);
	default:
		return verdict_pass(c);
	}
	if (p.proto == IPPROTO_UDP) {
		const struct config *cf = cfg();
		if (cf && is_tunnel(&p, cf))
			return decap(c, &p);
	}
	const struct frontend_value *fe = frontend_lookup(p.family, &p.dst, p.dport, p.proto);
	if (!fe) {
		count_pass(c, EV_PASS);
		return verdict_pass(c);
	}
	return serve(c, &p, fe);
}

#endif
