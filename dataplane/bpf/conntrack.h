/* Connection tracking: LRU hashes of forward entries (client -> frontend: the chosen
 * backend) and of reverse entries (backend -> client: the frontend the replies must come
 * from), one pair of maps per family (abi.h). The maps are pinned, so flows keep their
 * backend across backend changes and across a reload of the program; LRU eviction
 * bounds them. */
#ifndef BGPLB_CONNTRACK_H
#define BGPLB_CONNTRACK_H

#include "counters.h"
#include "parse.h"

#define NSEC_PER_SEC_ 1000000000ULL
#define TCP_FLAG_SYN_ 0x02
#define TCP_FLAG_ACK_ 0x10

/* Where a flow goes. */
struct target {
	struct addr16 addr; /* backend */
	struct addr16 node; /* its node, when CT_F_REMOTE */
	__u32 svc_id;
	__u16 port;         /* backend port, network order */
	__u8 flags;         /* CT_F_* */
	__u8 pad;
};

/* A conntrack key of either family: IPv4 flows are keyed in conntrack4 (abi.h says why).
 * The family travels beside it (the stack is tight). */
union ct_any_key {
	struct ct_key k6;
	struct ct4_key k4;
};

static __always_inline void ct_key_make(union ct_any_key *k, __u8 family, const struct addr16 *src,
					const struct addr16 *dst, __u16 sport, __u16 dport, __u8 proto, __u8 dir)
{
	if (family == 4) {
		k->k4.src = src->w[3];
		k->k4.dst = dst->w[3];
		k->k4.sport = sport;
		k->k4.dport = dport;
		k->k4.proto = proto;
		k->k4.dir = dir;
		k->k4.pad = 0;
		return;
	}
	k->k6.src = *src;
	k->k6.dst = *dst;
	k->k6.sport = sport;
	k->k6.dport = dport;
	k->k6.proto = proto;
	k->k6.dir = dir;
	k->k6.pad = 0;
}

/* The verifier inlines a hash lookup only where one call site sees one map; clang would
 * merge two calls into one with the map chosen before it (a helper call through the
 * map's ops instead), and barrier_var keeps them apart. The key's direction picks the
 * forward or the reverse maps; it is a constant at every call site. */
static __always_inline struct ct_value *ct_lookup(const union ct_any_key *k, __u8 family, __u8 dir)
{
	struct ct_value *v;
	if (dir == CT_REVERSE) {
		if (family == 4) {
			v = bpf_map_lookup_elem(&conntrack4_rev, &k->k4);
			barrier_var(v);
			return v;
		}
		v = bpf_map_lookup_elem(&conntrack_rev, &k->k6);
		barrier_var(v);
		return v;
	}
	if (family == 4) {
		v = bpf_map_lookup_elem(&conntrack4, &k->k4);
		barrier_var(v);
		return v;
	}
	return bpf_map_lookup_elem(&conntrack, &k->k6);
}

static __always_inline void ct_update(const union ct_any_key *k, __u8 family, __u8 dir, const struct ct_value *v)
{
	if (dir == CT_REVERSE) {
		if (family == 4)
			bpf_map_update_elem(&conntrack4_rev, &k->k4, v, BPF_ANY);
		else
			bpf_map_update_elem(&conntrack_rev, &k->k6, v, BPF_ANY);
		return;
	}
	if (family == 4)
		bpf_map_update_elem(&conntrack4, &k->k4, v, BPF_ANY);
	else
		bpf_map_update_elem(&conntrack, &k->k6, v, BPF_ANY);
}

static __always_inline __u64 age_of(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

/* The conntrack clock (abi.h, BGPLB_CT_TICK_SHIFT). */
#define CT_TICKS_PER_SEC_ (NSEC_PER_SEC_ >> BGPLB_CT_TICK_SHIFT)

static __always_inline __u32 ct_ticks(__u64 now)
{
	return (__u32)(now >> BGPLB_CT_TICK_SHIFT);
}

/* Ticks since `then`; a tick another CPU wrote after this one read the clock is age 0. */
static __always_inline __u32 ct_age(__u64 now, __u32 then)
{
	__s32 d = (__s32)(ct_ticks(now) - then);
	return d > 0 ? (__u32)d : 0;
}

static __always_inline __u32 ct_timeout_ticks(__u32 seconds)
{
	__u64 t = ((__u64)seconds * NSEC_PER_SEC_) >> BGPLB_CT_TICK_SHIFT;
	return t > 0x7fffffffULL ? 0x7fffffffU : (__u32)t;
}

/* The entry of an established flow (its backend copied to t), or NULL when the flow is
 * new to us: no entry, an entry idle past the protocol's timeout, or a TCP SYN (RFC 9293
 * §3.5: a SYN without ACK opens a new connection, which takes a fresh pick; an
 * established connection never sends one, so it keeps its backend whatever happened to
 * the service since). */
static __always_inline struct ct_value *ct_forward_get(const union ct_any_key *k, __u8 family, __u8 proto,
							__u8 tcp_flags, __u64 now, struct target *t)
{
	struct ct_value *v = ct_lookup(k, family, CT_FORWARD);
	if (!v)
		return NULL;
	if (proto == IPPROTO_TCP && (tcp_flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) == TCP_FLAG_SYN_)
		return NULL;
	const struct config *c = cfg();
	if (!c)
		return NULL;
	__u32 age = ct_age(now, v->last_seen);
	if (age > ct_timeout_ticks(proto == IPPROTO_TCP ? c->ct_tcp_timeout : c->ct_udp_timeout)) {
		count(EV_CT_STALE);
		return NULL;
	}
	if (age > CT_TICKS_PER_SEC_) {
		v->last_seen = ct_ticks(now);
		v->fib_ifindex = 0; /* look the next hop up again: at most a second old */
	}
	t->addr = v->addr;
	t->node = v->node;
	t->port = v->port;
	t->flags = v->flags;
	t->svc_id = v->svc_id;
	return v;
}

/* The cached next hop of an entry, when there is one (ct_forward_get clears it once a
 * second) and the packet (of IP length len) is no longer than one the FIB lookup let
 * through. */
static __always_inline int fib_cache_fresh(const struct ct_value *v, __u32 len)
{
	return v && v->fib_ifindex && len <= v->fib_len_ok;
}

static __always_inline void fib_cache_fill(struct ct_value *v, __u32 ifindex, const __u8 *dmac, const __u8 *smac,
					   __u32 len)
{
	if (!v)
		return;
	if (v->fib_ifindex != ifindex)
		v->fib_len_ok = 0;
	v->fib_ifindex = ifindex;
	if (len > v->fib_len_ok)
		v->fib_len_ok = (__u16)len;
	__builtin_memcpy(v->fib_dmac, dmac, 6);
	__builtin_memcpy(v->fib_smac, smac, 6);
}

static __always_inline void ct_forward_put(const union ct_any_key *k, __u8 family, const struct target *t, __u64 now)
{
	struct ct_value v = {};
	v.addr = t->addr;
	v.node = t->node;
	v.port = t->port;
	v.flags = t->flags;
	v.svc_id = t->svc_id;
	v.last_seen = ct_ticks(now);
	ct_update(k, family, CT_FORWARD, &v);
}

/* Makes sure replies of backend:bport to client:cport leave as frontend:fport. */
static __always_inline void ct_reverse_ensure(__u8 family, const struct addr16 *backend, __u16 bport,
					      const struct addr16 *client, __u16 cport, __u8 proto,
					      const struct addr16 *frontend, __u16 fport, __u32 svc_id, __u64 now)
{
	union ct_any_key k;
	ct_key_make(&k, family, backend, client, bport, cport, proto, CT_REVERSE);
	struct ct_value *old = ct_lookup(&k, family, CT_REVERSE);
	if (old && old->port == fport && addr_eq(&old->addr, frontend)) {
		if (ct_age(now, old->last_seen) > CT_TICKS_PER_SEC_)
			old->last_seen = ct_ticks(now);
		return;
	}
	struct ct_value v = {};
	v.addr = *frontend;
	v.port = fport;
	v.svc_id = svc_id;
	v.last_seen = ct_ticks(now);
	ct_update(&k, family, CT_REVERSE, &v);
}

#endif
