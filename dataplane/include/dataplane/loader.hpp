// Loading the module (libbpf skeleton, maps pinned under a pin root and reused by the
// next load), attaching it to interfaces and taking it away again.
//
// The datapath outlives the process: attached programs and pinned maps stay when the
// module object is destroyed, so a restarted speaker loads, reattaches (an atomic
// replacement) and finds its services and conntrack where it left them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/error.hpp"
#include "dataplane/map_ops.hpp"

namespace dataplane {

enum class hook : std::uint8_t {
  xdp,  // ingress in XDP (fast path; tc finishes what XDP cannot), egress in tc
  tc,   // ingress and egress in tc
};

struct load_options {
  std::string pin_root = "/sys/fs/bpf/bgplb";
  // Capacities of a fresh load; maps already pinned keep the size they were created with.
  std::uint32_t max_services = BGPLB_MAX_SERVICES;
  std::uint32_t max_backends = BGPLB_MAX_BACKENDS;
  std::uint32_t conntrack_entries = BGPLB_CT_ENTRIES;  // flows: each conntrack map's entries
  std::uint32_t affinity_entries = BGPLB_AFFINITY_ENTRIES;
  // Slots for all Maglev rows together (4 bytes each): a service with two or more
  // backends takes maglev_size of them (twice for a moment while its row is replaced).
  std::uint32_t maglev_slots = BGPLB_MAGLEV_SLOTS;
};

struct attach_options {
  hook mode = hook::xdp;
  std::vector<std::string> interfaces;  // where service traffic arrives (the uplinks)
  bool xdp_generic = false;    // XDP in skb mode, for drivers without native XDP
  bool redirect_local = false;  // XDP hands packets to local pods by XDP redirect: only when
                                // the pods' veth peers run NAPI (GRO on or an XDP program)
};

class module {
 public:
  // Checks what the kernel and this process allow first (check_support), then loads.
  static result<std::unique_ptr<module>> load(const load_options& o);
  ~module();
  module(const module&) = delete;
  module& operator=(const module&) = delete;

  status attach(const attach_options& a);
  status detach();  // from the interfaces attach() used; maps stay pinned
  map_ops& maps();
  const std::string& pin_root() const;
  int program_fd(hook h, bool egress = false) const;  // for BPF_PROG_TEST_RUN
  // Whether XDP marks the packets it hands to tc ingress (XDP metadata). Kernels that
  // refuse bpf_xdp_adjust_meta to XDP programs have no mark: tc ingress then runs on
  // every packet XDP passes up (docs/dataplane.md).
  bool xdp_marks_punts() const;

 private:
  struct impl;
  explicit module(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// What stops this process from running the module here, in words ("needs CAP_BPF and
// CAP_NET_ADMIN (run as root)", "/sys/fs/bpf is not a BPF filesystem: mount -t bpf bpf
// /sys/fs/bpf", "kernel lacks BPF_MAP_TYPE_LRU_HASH"), or nullopt when nothing does.
status check_support(const std::string& pin_root);

// Mounts a BPF filesystem at /sys/fs/bpf when pin_root lies under it and none is mounted
// there (a fresh mount namespace, a container without the host's /sys/fs/bpf). Elsewhere
// it only says what is missing.
status ensure_bpffs(const std::string& pin_root);

// `bgplb dataplane detach`: every bgplb program off every interface of this network
// namespace, the pinned maps under pin_root unpinned and the directory removed.
status uninstall(const std::string& pin_root);

}  // namespace dataplane
