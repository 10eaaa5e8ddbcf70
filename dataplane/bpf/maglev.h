/* Backend selection for a new flow: ClientIP affinity when the service has it, else the
 * service's Maglev row (Eisenbud et al., NSDI 2016, §3.4) indexed by the flow hash. Every
 * node holds the same row for a Cluster service, so a flow the fabric moves to another
 * node picks the same backend there. */
#ifndef BGPLB_MAGLEV_H
#define BGPLB_MAGLEV_H

#include "conntrack.h"
#include "lookup.h"

enum pick_result {
	PICK_OK = 0,
	PICK_NONE = 1,    /* no backend takes new flows */
	PICK_MISSING = 2, /* the row or a backend slot is missing (an update in flight went wrong) */
};

static __always_inline int backend_usable(const struct backend_value *be, __u32 svc_id)
{
	return be && (be->flags & (BE_F_USED | BE_F_ACTIVE)) == (BE_F_USED | BE_F_ACTIVE) && be->svc_id == svc_id;
}

/* Kubernetes sessionAffinity: ClientIP: the client's last backend while it is still
 * one of the service's active backends and the client was seen within the timeout. */
static __always_inline __u32 affinity_get(__u32 svc_id, const struct addr16 *client, __u32 timeout, __u64 now)
{
	struct affinity_key k = {};
	k.svc_id = svc_id;
	k.client = *client;
	struct affinity_value *v = bpf_map_lookup_elem(&affinity, &k);
	if (!v || age_of(now, v->last_seen) > (__u64)timeout * NSEC_PER_SEC_)
		return 0;
	__u32 id = v->backend_id;
	const struct backend_value *be = bpf_map_lookup_elem(&backends, &id);
	if (!backend_usable(be, svc_id))
		return 0;
	return id;
}

static __always_inline void affinity_put(__u32 svc_id, const struct addr16 *client, __u32 backend_id, __u64 now)
{
	struct affinity_key k = {};
	k.svc_id = svc_id;
	k.client = *client;
	struct affinity_value v = {};
	v.backend_id = backend_id;
	v.last_seen = now;
	bpf_map_update_elem(&affinity, &k, &v, BPF_ANY);
}

static __always_inline __u32 maglev_lookup(const struct service_value *s, __u32 hash)
{
	__u32 size = s->maglev_size;
	if (size == 0)
		return 0;
	__u32 slot = s->row_offset + hash % size;
	__u32 pair = slot >> 1;
	__u32 *ids = bpf_map_lookup_elem(&maglev, &pair);
	if (!ids)
		return 0;
	return ids[slot & 1];
}

/* Picks a backend for the flow (client:cport -> frontend:fport). remember: record the
 * pick for affinity (new flows; not for ICMP errors about a flow). */
static __always_inline int backend_pick(__u32 svc_id, const struct addr16 *client, const struct addr16 *frontend,
					__u16 cport, __u16 fport, __u8 proto, __u64 now, int remember, struct target *t)
{
	const struct service_value *s = service_lookup(svc_id);
	if (!s || s->count == 0)
		return PICK_NONE;
	__u32 flags = s->flags;
	__u32 id = 0;
	if (flags & SVC_F_AFFINITY) {
		id = affinity_get(svc_id, client, s->affinity_timeout, now);
		if (id)
			count(EV_AFFINITY_HIT);
	}
	if (!id) {
		if (s->count == 1)
			id = s->backend_id;
		else
			id = maglev_lookup(s, bgplb_flow_hash(client, frontend, cport, fport, proto));
	}
	const struct backend_value *be = bpf_map_lookup_elem(&backends, &id);
	if (!be || !(be->flags & BE_F_USED))
		return PICK_MISSING;
	if ((flags & SVC_F_AFFINITY) && remember)
		affinity_put(svc_id, client, id, now);
	t->addr = be->addr;
	t->node = be->node;
	t->port = be->port;
	t->svc_id = svc_id;
	t->flags = ((be->flags & BE_F_REMOTE) ? CT_F_REMOTE : 0) | ((be->flags & BE_F_NODE_V6) ? CT_F_NODE_V6 : 0);
	return PICK_OK;
}

#endif
