/* The ABI between the BPF program and user space: map keys and values, numbered drop
 * reasons and event counters, the GUE private data we put in front of an encapsulated
 * packet, and the flow hash both sides must compute alike (the Maglev row index).
 *
 * Compiled as C by clang -target bpf and as C++ (namespace dataplane::abi) by g++/clang++.
 * Every number here is part of the pinned-map ABI: a change that alters a layout bumps
 * BGPLB_ABI_VERSION, and the loader refuses pinned maps of another version.
 *
 * Byte order: addresses and ports are stored as they appear on the wire (network order);
 * every other integer is in host order. An IPv4 address is stored IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) so one 16-byte form serves both families. */
#ifndef BGPLB_DATAPLANE_ABI_H
#define BGPLB_DATAPLANE_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
namespace dataplane::abi {
#define BGPLB_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define BGPLB_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define BGPLB_ABI_VERSION 3 /* 2: frontends4 and conntrack4; 3: a 64-byte ct_value, reverse entries in maps of their own */

/* Map capacities the program is compiled with; the loader may resize them before load. */
#define BGPLB_MAX_FRONTENDS 65536
#define BGPLB_MAX_SERVICES 65536
#define BGPLB_MAX_BACKENDS 262144
#define BGPLB_MAGLEV_SLOTS 8388608     /* every Maglev row side by side: 32 MiB */
#define BGPLB_CT_ENTRIES 131072 /* flows: each of the four conntrack maps */
#define BGPLB_AFFINITY_ENTRIES 65536
#define BGPLB_SOURCE_RANGES 65536
#define BGPLB_TUNNEL_PEERS 4096
#define BGPLB_MAGLEV_DEFAULT 65537      /* prime */

/* A conntrack entry's clock: the monotonic coarse clock in ticks of 2^20 ns (about a
 * millisecond), 32 bits wide. An age is the difference of two ticks modulo 2^32 read as
 * signed, so it reaches 2^31 ticks (26 days) and a tick another CPU wrote a moment
 * "later" reads as age 0; longer timeouts are cut to that. */
#define BGPLB_CT_TICK_SHIFT 20

/* ICMP errors we generate quote at most this many bytes of the offending packet
 * (RFC 792 asks for the IP header and 8 bytes; RFC 1812 §4.3.2.3 and RFC 4443 §2.4(c)
 * allow more). A multiple of 4 so the checksum can use bpf_csum_diff. */
#define BGPLB_ICMP_QUOTE 128

struct addr16 {
	__u32 w[4];
};

/* frontends: hash (address, port, protocol) -> service. One lookup decides whether a
 * packet is ours; everything else passes to the stack. */
struct frontend_key {
	struct addr16 addr;
	__u16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

enum frontend_flags {
	FE_F_SOURCE_RANGES = 1, /* loadBalancerSourceRanges: look the source up in ranges */
};

struct frontend_value {
	__u32 svc_id;
	__u32 flags;
};

/* services: hash svc_id -> what a new flow needs. Replaced as a whole (a hash map update
 * is an atomic element swap), so a packet sees either the old or the new backend set. */
enum service_flags {
	SVC_F_AFFINITY = 1, /* sessionAffinity: ClientIP */
	SVC_F_LOCAL = 2,    /* externalTrafficPolicy: Local (informational: the row holds local backends only) */
};

struct service_value {
	__u32 count;            /* backends that take new flows; 0 answers ICMP unreachable */
	__u32 row_offset;       /* first slot of its Maglev row in `maglev` (even), count >= 2 */
	__u32 backend_id;       /* the backend when count == 1 */
	__u32 maglev_size;      /* prime M of the row */
	__u32 flags;            /* SVC_F_* */
	__u32 affinity_timeout; /* seconds, with SVC_F_AFFINITY */
	__u64 row_hash;         /* user space: fingerprint of what the row was built from */
};

/* backends: array backend_id -> where to send. An id stays immutable while a row refers
 * to it; established flows do not depend on it (conntrack holds the address itself). */
enum backend_flags {
	BE_F_REMOTE = 1,  /* on another node: encapsulate to node */
	BE_F_ACTIVE = 2,  /* takes new flows (ready, not terminating) */
	BE_F_NODE_V6 = 4, /* node is an IPv6 address */
	BE_F_USED = 8,    /* slot in use (user space bookkeeping, read back after a restart) */
};

struct backend_value {
	struct addr16 addr;
	struct addr16 node;
	__u32 svc_id;
	__u16 port;
	__u8 flags;
	__u8 pad;
};

/* conntrack: LRU hashes. Forward entries (dir CT_FORWARD, maps conntrack and conntrack4)
 * are keyed by the packet as the client sent it (client -> frontend) and hold the chosen
 * backend. Reverse entries (CT_REVERSE, maps conntrack_rev and conntrack4_rev) are keyed
 * by the backend's reply (backend -> client) and hold the frontend address and port that
 * replies must carry as their source. The two kinds live apart so that every packet of an
 * established flow, which looks up its forward entry, finds it among forward entries
 * only, in less memory and shorter hash chains (test/bench/dataplane/README.md). */
enum ct_dir {
	CT_FORWARD = 0,
	CT_REVERSE = 1,
};

struct ct_key {
	struct addr16 src;
	struct addr16 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 dir;
	__u16 pad;
};

/* IPv4 frontends and IPv4 flows live in maps of their own, `frontends4`, `conntrack4` and
 * `conntrack4_rev`, keyed by the plain 4-byte addresses: a hash map's lookup hashes and
 * compares the whole key, and these keys are 8 and 16 bytes instead of 20 and 40. The
 * values are the same structs. User space reads and writes both through the wide keys
 * (libbpf_map_ops converts). */
struct frontend4_key {
	__u32 addr;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct ct4_key {
	__u32 src;
	__u32 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 dir;
	__u16 pad;
};

enum ct_flags {
	CT_F_REMOTE = 1,  /* forward: backend on another node */
	CT_F_NODE_V6 = 2, /* forward: node is IPv6 */
};

/* 64 bytes: an IPv4 entry of conntrack4 (the kernel's 48-byte element header, the 16-byte
 * key, this value) fills exactly two cache lines, so a hit among many flows misses at
 * most twice in the element. */
struct ct_value {
	struct addr16 addr; /* forward: backend; reverse: frontend address */
	struct addr16 node; /* forward, remote: the backend's node */
	__u32 svc_id;
	__u32 last_seen; /* bpf_ktime_get_coarse_ns() >> BGPLB_CT_TICK_SHIFT, refreshed at most
			  * once a second; ages are differences modulo 2^32 read as signed
			  * (BGPLB_CT_TICK_SHIFT says how far that reaches) */
	__u16 port;      /* forward: backend port; reverse: frontend port */
	__u8 flags;
	__u8 pad;
	/* forward entries: the next hop the last FIB lookup gave. Cleared whenever last_seen
	 * is refreshed, so a changed route or neighbour is seen within about a second while
	 * most packets of a flow skip the lookup. */
	__u32 fib_ifindex; /* 0: none */
	__u16 fib_len_ok;  /* longest packet (IP length, encapsulated) the lookup let through */
	__u8 fib_dmac[6];
	__u8 fib_smac[6];
	__u16 fib_pad;
};

/* affinity: LRU hash (service, client) -> backend, for sessionAffinity: ClientIP. */
struct affinity_key {
	__u32 svc_id;
	__u32 pad;
	struct addr16 client;
};

struct affinity_value {
	__u64 last_seen;
	__u32 backend_id;
	__u32 pad;
};

/* source_ranges: LPM trie (service, client prefix). prefixlen counts the 32 svc_id bits
 * plus the prefix bits of the 128-bit (IPv4-mapped) address. */
struct range_key {
	__u32 prefixlen;
	__u32 svc_id; /* big-endian, so the trie compares it first and whole */
	struct addr16 addr;
};

/* tunnel_peers: hash address -> 1. Encapsulated packets are accepted from these only. */

/* config: array[1]. */
enum config_flags {
	CFG_F_XDP = 1,            /* ingress runs in XDP; tc ingress only finishes punted packets */
	CFG_F_REDIRECT_LOCAL = 2, /* XDP may redirect to local pod interfaces (their peer runs NAPI) */
	CFG_F_HAVE_SRC4 = 4,      /* tunnel_src4 is set */
	CFG_F_HAVE_SRC6 = 8,      /* tunnel_src6 is set */
};

struct config {
	struct addr16 tunnel_src4; /* this node's address for IPv4 outer headers */
	struct addr16 tunnel_src6; /* ... and for IPv6 outer headers */
	__u32 flags;
	__u32 ct_tcp_timeout; /* seconds a TCP flow may be idle before a new pick */
	__u32 ct_udp_timeout; /* the same for UDP */
	__u16 gue_port;       /* network order */
	__u16 abi_version;    /* BGPLB_ABI_VERSION of the loader that created the maps */
};

/* Counters: per-CPU array indexed by these codes. 1..31 are drop reasons (stable: they
 * are the metric label values and the docs' table), 32.. are events. */
enum drop_reason {
	DROP_NONE = 0,
	DROP_NO_BACKEND = 1,       /* service without an eligible backend; ICMP unreachable sent */
	DROP_SOURCE_RANGE = 2,     /* source outside loadBalancerSourceRanges */
	DROP_MALFORMED = 3,        /* truncated header of a packet for a service */
	DROP_FRAG_NEEDED = 4,      /* too big for the path and DF set; ICMP sent */
	DROP_TOO_BIG = 5,          /* too big for the path, DF clear (cannot fragment here) */
	DROP_NO_ROUTE = 6,         /* FIB lookup found no route to the backend or its node */
	DROP_TUNNEL_PEER = 7,      /* encapsulated packet from an address not in tunnel_peers */
	DROP_TUNNEL_MALFORMED = 8, /* GUE header we do not understand */
	DROP_LOOP = 9,             /* decapsulated packet would leave where it came from */
	DROP_NO_TUNNEL_SOURCE = 10, /* remote backend, but no node address of that family */
	DROP_ADJUST = 11,          /* growing or shrinking the packet failed */
	DROP_BACKEND_MISSING = 12, /* row refers to an empty backend slot */
	DROP_ICMP_FAILED = 13,     /* could not build the ICMP error */
	DROP_REASON_MAX = 32,
};

enum event {
	EV_PASS = 32,           /* not for a service: passed after one lookup */
	EV_PASS_FRAGMENT = 33,  /* IP fragment: passed untouched */
	EV_PASS_EXT_HDR = 34,   /* IPv6 extension header: passed untouched */
	EV_PASS_NO_FIB = 35,    /* XDP: neighbour unresolved etc., finished by the stack or tc */
	EV_CT_HIT = 36,
	EV_CT_NEW = 37,
	EV_AFFINITY_HIT = 38,
	EV_FWD_LOCAL = 39,      /* DNAT to a pod on this node */
	EV_FWD_REMOTE = 40,     /* encapsulated to another node */
	EV_DECAP = 41,          /* encapsulated packet delivered to a local pod */
	EV_REVNAT = 42,         /* reply source rewritten to the frontend (tc egress) */
	EV_ICMP_IN = 43,        /* ICMP error about a reply translated towards the backend */
	EV_ICMP_OUT = 44,       /* ICMP error from a backend translated towards the client */
	EV_ICMP_SENT = 45,      /* ICMP unreachable / too big generated */
	EV_PUNT = 46,           /* XDP handed the packet to tc ingress */
	EV_CT_STALE = 47,       /* conntrack entry idle past its timeout: new pick */
	COUNTER_MAX = 64,
};

/* Per-service counters: per-CPU array indexed by svc_id. */
struct service_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops; /* any drop reason */
};

/* Encapsulation: outer IPv4/IPv6 + UDP (dst gue_port, src = flow entropy) + GUE
 * (draft-ietf-intarea-gue §3.1, variant 0, no flags, Hlen covers the private data) +
 * our private data naming the backend the first node chose. */
#define BGPLB_GUE_PORT 6080
#define BGPLB_GUE_MAGIC 0xb1

struct gue_hdr {
	__u8 hlen;  /* ver(2) = 0, C(1) = 0, Hlen(5): words of optional data */
	__u8 proto; /* inner: IPPROTO_IPIP (4) or IPPROTO_IPV6 (41) */
	__u16 flags;
};

struct gue_backend {
	__u8 magic;  /* BGPLB_GUE_MAGIC */
	__u8 family; /* 4 or 6: size of addr that follows */
	__u16 port;  /* backend port, network order */
	__u32 addr[1]; /* 4 bytes (IPv4) or 16 bytes (IPv6) follow */
};

#define BGPLB_GUE_PRIV4 8  /* magic, family, port, 4 address bytes */
#define BGPLB_GUE_PRIV6 20 /* magic, family, port, 16 address bytes */

BGPLB_STATIC_ASSERT(sizeof(struct frontend_key) == 20, "frontend_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct frontend_value) == 8, "frontend_value layout");
BGPLB_STATIC_ASSERT(sizeof(struct service_value) == 32, "service_value layout");
BGPLB_STATIC_ASSERT(sizeof(struct backend_value) == 40, "backend_value layout");
BGPLB_STATIC_ASSERT(sizeof(struct ct_key) == 40, "ct_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct ct4_key) == 16, "ct4_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct frontend4_key) == 8, "frontend4_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct ct_value) == 64, "ct_value layout");
BGPLB_STATIC_ASSERT(sizeof(struct affinity_key) == 24, "affinity_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct range_key) == 24, "range_key layout");
BGPLB_STATIC_ASSERT(sizeof(struct config) == 48, "config layout");
BGPLB_STATIC_ASSERT(sizeof(struct gue_hdr) == 4, "gue_hdr layout");

/* The flow hash: MurmurHash3's 32-bit body and finaliser over the 10 words (source,
 * destination, ports, protocol) of a flow as the client sent it, words read in host
 * order from their wire bytes. Every node computes the same value for the same flow,
 * so every node picks the same Maglev slot; user space uses it to explain a pick. */
#define BGPLB_HASH_SEED 0x62676c62u /* "bglb" */

static inline __u32 bgplb_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 bgplb_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = bgplb_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = bgplb_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __u32 bgplb_flow_hash(const struct addr16 *src, const struct addr16 *dst,
				    __u16 sport, __u16 dport, __u8 proto)
{
	__u32 h = BGPLB_HASH_SEED;
	h = bgplb_hash_mix(h, src->w[0]);
	h = bgplb_hash_mix(h, src->w[1]);
	h = bgplb_hash_mix(h, src->w[2]);
	h = bgplb_hash_mix(h, src->w[3]);
	h = bgplb_hash_mix(h, dst->w[0]);
	h = bgplb_hash_mix(h, dst->w[1]);
	h = bgplb_hash_mix(h, dst->w[2]);
	h = bgplb_hash_mix(h, dst->w[3]);
	h = bgplb_hash_mix(h, ((__u32)sport << 16) | dport);
	h = bgplb_hash_mix(h, proto);
	h ^= 40;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#ifdef __cplusplus
} /* namespace dataplane::abi */
#endif
#undef BGPLB_STATIC_ASSERT

#endif
