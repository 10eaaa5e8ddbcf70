/* Counters: global drop reasons and events (abi.h numbers them) and per-service packets,
 * bytes, new flows and drops, all per-CPU; user space sums the CPUs. */
#ifndef BGPLB_COUNTERS_H
#define BGPLB_COUNTERS_H

#include "maps.h"

static __always_inline void count(__u32 code)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &code);
	if (v)
		*v += 1;
}

/* A drop: the reason's counter, and the service's when there is one. */
static __always_inline void count_drop(__u32 reason, __u32 svc_id)
{
	count(reason);
	if (!svc_id)
		return;
	struct service_stats *s = bpf_map_lookup_elem(&service_stats, &svc_id);
	if (s)
		s->drops += 1;
}

static __always_inline void count_service(__u32 svc_id, __u32 bytes, int new_flow)
{
	struct service_stats *s = bpf_map_lookup_elem(&service_stats, &svc_id);
	if (!s)
		return;
	s->packets += 1;
	s->bytes += bytes;
	if (new_flow)
		s->new_flows += 1;
}

#endif
