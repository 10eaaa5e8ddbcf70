/* Service lookup: the frontend (address, port, protocol) a packet is for, and
 * loadBalancerSourceRanges. A packet for no frontend costs exactly this one lookup. */
#ifndef BGPLB_LOOKUP_H
#define BGPLB_LOOKUP_H

#include "maps.h"
#include "parse.h"

static __always_inline const struct frontend_value *frontend_lookup(__u8 family, const struct addr16 *addr, __u16 port,
								   __u8 proto)
{
	if (family == 4) {
		struct frontend4_key k4 = {};
		k4.addr = addr->w[3];
		k4.port = port;
		k4.proto = proto;
		const struct frontend_value *v = bpf_map_lookup_elem(&frontends4, &k4);
		barrier_var(v); /* one call site per map: ct_lookup says why */
		return v;
	}
	struct frontend_key k = {};
	k.addr = *addr;
	k.port = port;
	k.proto = proto;
	return bpf_map_lookup_elem(&frontends, &k);
}

/* Kubernetes loadBalancerSourceRanges: with ranges configured, only sources inside one
 * of them reach the service. */
static __always_inline int source_allowed(const struct frontend_value *fe, const struct addr16 *src)
{
	if (!(fe->flags & FE_F_SOURCE_RANGES))
		return 1;
	struct range_key k = {};
	k.prefixlen = 32 + 128;
	k.svc_id = bpf_htonl(fe->svc_id);
	k.addr = *src;
	return bpf_map_lookup_elem(&source_ranges, &k) != NULL;
}

static __always_inline const struct service_value *service_lookup(__u32 svc_id)
{
	return bpf_map_lookup_elem(&services, &svc_id);
}

#endif
