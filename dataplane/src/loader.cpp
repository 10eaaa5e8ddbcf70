// The module's lifecycle: capability checks, the libbpf skeleton (the object file is
// compiled into this library), pinned-map reuse, XDP and tc attachment, detach, uninstall.
#include "dataplane/loader.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "libbpf_map_ops.hpp"
#include "libbpf_opts.hpp"
#include "skeleton.hpp"

namespace dataplane {

namespace {

constexpr std::uint32_t tc_handle = 0xb16b;
constexpr std::uint32_t tc_priority = 1;  // ahead of other classifiers
constexpr unsigned long bpf_fs_magic = 0xcafe4a11;

// libbpf's messages of the last load, for the error an operator sees. Never destroyed:
// uninstall() may run from another object's static destructor (a test's clean-up at exit),
// after this file's statics would have gone.
struct captured_log {
  std::mutex mutex;
  std::string text;
};
captured_log& libbpf_log() {
  static auto* log = new captured_log;
  return *log;
}

int capture_libbpf(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // Whole: the verifier's log comes as one message, and its reason is at the end.
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, again);
  va_end(again);
  if (n <= 0) return n;
  std::string msg(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(msg.data(), msg.size(), fmt, args);
  msg.pop_back();
  auto& log = libbpf_log();
  std::lock_guard lock(log.mutex);
  log.text += msg;
  if (log.text.size() > 8192) log.text.erase(0, log.text.size() - 8192);
  return n;
}

std::string take_log() {
  auto& log = libbpf_log();
  std::lock_guard lock(log.mutex);
  std::string tail = std::move(log.text);
  log.text.clear();
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  auto cut = tail.rfind('\n', tail.size() > 600 ? tail.size() - 600 : 0);
  if (tail.size() > 600 && cut != std::string::npos) tail = "..." + tail.substr(cut);
  return tail;
}

// Whether the kernel lets an XDP program call bpf_xdp_adjust_meta: a program of four
// instructions that does only that is loaded and dropped. libbpf's helper probe cannot
// tell here: it knows the verifier's older wording for a helper a program type lacks
// ("unknown func"), not "program of this type cannot use helper". Only a refusal
// (EINVAL) is a "no"; any other failure leaves the answer to the real load.
bool xdp_can_mark() {
  const bpf_insn probe[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, -4},  // r2 = -4 (r1 is the context)
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_meta},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bgplb_probe", "GPL", probe, std::size(probe), nullptr);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != EINVAL;
}

bool has_capability(int cap) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> cap) & 1;
  }
  return false;
}

// Whether the program with this id is one of ours (names start with "bgplb_").
bool ours(std::uint32_t prog_id) {
  if (!prog_id) return false;
  int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return false;
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  bool mine = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strncmp(info.name, "bgplb_", 6) == 0;
  close(fd);
  return mine;
}

std::string if_name(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(static_cast<unsigned>(ifindex), name)) return "ifindex " + std::to_string(ifindex);
  return name;
}

bpf_tc_hook tc_hook(int ifindex, bpf_tc_attach_point point) {
  auto h = detail::libbpf_opts<bpf_tc_hook>();
  h.ifindex = ifindex;
  h.attach_point = point;
  return h;
}

// Our filter: handle tc_handle, priority tc_priority.
bpf_tc_opts tc_filter() {
  auto o = detail::libbpf_opts<bpf_tc_opts>();
  o.handle = tc_handle;
  o.priority = tc_priority;
  return o;
}

status remove_xdp(int ifindex) {
  auto q = detail::libbpf_opts<bpf_xdp_query_opts>();
  if (bpf_xdp_query(ifindex, 0, &q)) return std::nullopt;  // interface gone
  const std::pair<std::uint32_t, std::uint32_t> modes[] = {{q.drv_prog_id, XDP_FLAGS_DRV_MODE},
                                                           {q.skb_prog_id, XDP_FLAGS_SKB_MODE}};
  for (auto [id, flags] : modes) {
    if (!ours(id)) continue;
    int rc = bpf_xdp_detach(ifindex, flags, nullptr);
    if (rc) return system_error("detach XDP from " + if_name(ifindex), -rc);
  }
  return std::nullopt;
}

status remove_tc(int ifindex, bpf_tc_attach_point point) {
  auto hook = tc_hook(ifindex, point);
  auto q = tc_filter();
  if (bpf_tc_query(&hook, &q) || !ours(q.prog_id)) return std::nullopt;
  auto d = tc_filter();
  int rc = bpf_tc_detach(&hook, &d);
  if (rc && rc != -ENOENT) return system_error("detach tc from " + if_name(ifindex), -rc);
  return std::nullopt;
}

status remove_all(int ifindex) {
  if (auto e = remove_xdp(ifindex)) return e;
  if (auto e = remove_tc(ifindex, BPF_TC_INGRESS)) return e;
  return remove_tc(ifindex, BPF_TC_EGRESS);
}

status attach_tc(int ifindex, bpf_tc_attach_point point, int prog_fd) {
  auto hook = tc_hook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  int rc = bpf_tc_hook_create(&hook);  // the clsact qdisc
  if (rc && rc != -EEXIST) return system_error("create clsact on " + if_name(ifindex), -rc);
  hook.attach_point = point;
  auto opts = tc_filter();
  opts.prog_fd = prog_fd;
  opts.flags = BPF_TC_F_REPLACE;
  rc = bpf_tc_attach(&hook, &opts);
  if (rc)
    return system_error(std::string("attach tc ") + (point == BPF_TC_INGRESS ? "ingress" : "egress") + " to " +
                            if_name(ifindex),
                        -rc);
  return std::nullopt;
}

// A fresh load takes the capacities asked for; a map already pinned keeps its own, so
// libbpf can reuse it.
void size_map(bpf_map* m, const std::string& pin_root, std::uint32_t want) {
  std::string path = pin_root + "/" + bpf_map__name(m);
  int fd = bpf_obj_get(path.c_str());
  if (fd >= 0) {
    bpf_map_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) want = info.max_entries;
    close(fd);
  }
  bpf_map__set_max_entries(m, want);
}

error abi_mismatch(const std::string& pin_root, const std::string& found) {
  return error{"maps pinned under " + pin_root + " have ABI version " + found + ", this program needs " +
                   std::to_string(BGPLB_ABI_VERSION) +
                   ": run `bgplb dataplane detach` to remove them (established flows are lost)",
               EEXIST};
}

// The ABI version of the maps pinned under pin_root, read before the load: libbpf refuses
// a pinned map whose layout changed with a message that names no version. 0: nothing is
// pinned there yet (or maps whose config was never written).
result<std::uint32_t> pinned_abi(const std::string& pin_root) {
  const std::string path = pin_root + "/config";
  const int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return std::uint32_t{0};
    return system_error("open " + path, errno);
  }
  bpf_map_info info{};
  std::uint32_t len = sizeof info;
  abi::config c{};
  const std::uint32_t zero = 0;
  int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
  const bool same_layout = rc == 0 && info.value_size == sizeof c;
  if (same_layout) rc = bpf_map_lookup_elem(fd, &zero, &c);
  const int err = errno;
  close(fd);
  if (rc) return system_error("read " + path, err);
  if (!same_layout) return abi_mismatch(pin_root, "unknown (a config of " + std::to_string(info.value_size) + " bytes)");
  return std::uint32_t{c.abi_version};
}

status mkdirs(const std::string& path) {
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0700) && errno != EEXIST) return system_error("create " + part, errno);
  }
  return std::nullopt;
}

}  // namespace

struct module::impl {
  bgplb* skel = nullptr;
  std::string pin_root;
  bool xdp_meta = true;  // XDP marks what it punts to tc (forward.h bgplb_xdp_meta)
  std::unique_ptr<detail::libbpf_map_ops> maps;
  std::vector<int> ifindexes;

  ~impl() {
    if (skel) bgplb__destroy(skel);
  }
};

module::module(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
module::~module() = default;
map_ops& module::maps() { return *impl_->maps; }
const std::string& module::pin_root() const { return impl_->pin_root; }
bool module::xdp_marks_punts() const { return impl_->xdp_meta; }

int module::program_fd(hook h, bool egress) const {
  if (egress) return bpf_program__fd(impl_->skel->progs.bgplb_tc_egress);
  return bpf_program__fd(h == hook::xdp ? impl_->skel->progs.bgplb_xdp : impl_->skel->progs.bgplb_tc_ingress);
}

namespace {

bool on_bpffs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == bpf_fs_magic;
}

}  // namespace

status ensure_bpffs(const std::string& pin_root) {
  const std::string mount_point = "/sys/fs/bpf";
  if (pin_root != mount_point && pin_root.rfind(mount_point + "/", 0) != 0) return std::nullopt;  // check_support says
  if (on_bpffs(mount_point)) return std::nullopt;
  if (mount("bpf", mount_point.c_str(), "bpf", 0, "mode=0700") != 0)
    return system_error("mount the BPF filesystem at " + mount_point + " (mount -t bpf bpf " + mount_point + ")", errno);
  return std::nullopt;
}

status check_support(const std::string& pin_root) {
  std::vector<std::string> missing;
  // capabilities(7): CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_BPF 39
  const bool caps = (has_capability(39) || has_capability(21)) && has_capability(12);
  if (!caps) missing.emplace_back("needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN: run as root");
  std::string dir = pin_root;
  struct stat st {};
  while (!dir.empty() && stat(dir.c_str(), &st) != 0) dir = dir.substr(0, dir.rfind('/'));
  struct statfs fs {};
  if (dir.empty() || statfs(dir.c_str(), &fs) != 0 || static_cast<unsigned long>(fs.f_type) != bpf_fs_magic)
    missing.push_back((dir.empty() ? pin_root : dir) +
                      " is not on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf)");
  if (caps) {
    const std::pair<bpf_prog_type, const char*> progs[] = {{BPF_PROG_TYPE_XDP, "XDP"},
                                                          {BPF_PROG_TYPE_SCHED_CLS, "tc BPF classifiers"}};
    for (auto [type, name] : progs)
      if (libbpf_probe_bpf_prog_type(type, nullptr) != 1) missing.push_back(std::string("kernel lacks ") + name);
    const std::pair<bpf_map_type, const char*> maps[] = {{BPF_MAP_TYPE_LRU_HASH, "BPF_MAP_TYPE_LRU_HASH"},
                                                        {BPF_MAP_TYPE_LPM_TRIE, "BPF_MAP_TYPE_LPM_TRIE"},
                                                        {BPF_MAP_TYPE_ARRAY_OF_MAPS, "BPF_MAP_TYPE_ARRAY_OF_MAPS"},
                                                        {BPF_MAP_TYPE_PERCPU_ARRAY, "BPF_MAP_TYPE_PERCPU_ARRAY"}};
    for (auto [type, name] : maps)
      if (libbpf_probe_bpf_map_type(type, nullptr) != 1) missing.push_back(std::string("kernel lacks ") + name);
  }
  if (missing.empty()) return std::nullopt;
  std::string msg = "BPF dataplane unavailable: ";
  for (std::size_t i = 0; i < missing.size(); ++i) msg += (i ? "; " : "") + missing[i];
  return error{msg, caps ? ENOTSUP : EPERM};
}

result<std::unique_ptr<module>> module::load(const load_options& o) {
  if (auto e = check_support(o.pin_root)) return *e;
  if (auto e = mkdirs(o.pin_root)) return *e;
  auto pinned = pinned_abi(o.pin_root);
  if (!pinned) return pinned.err();
  if (*pinned != 0 && *pinned != BGPLB_ABI_VERSION) return abi_mismatch(o.pin_root, std::to_string(*pinned));
  libbpf_set_print(capture_libbpf);
  take_log();

  auto m = std::make_unique<impl>();
  m->pin_root = o.pin_root;
  auto open_opts = detail::libbpf_opts<bpf_object_open_opts>();
  open_opts.pin_root_path = m->pin_root.c_str();
  m->skel = bgplb__open_opts(&open_opts);
  if (!m->skel) return error{"open the BPF object: " + take_log(), errno};
  auto& maps = m->skel->maps;
  size_map(maps.frontends, o.pin_root, o.max_services);
  size_map(maps.frontends4, o.pin_root, o.max_services);
  size_map(maps.services, o.pin_root, o.max_services);
  size_map(maps.service_stats, o.pin_root, o.max_services);
  size_map(maps.maglev, o.pin_root, o.maglev_slots / 2);
  size_map(maps.backends, o.pin_root, o.max_backends);
  size_map(maps.conntrack, o.pin_root, o.conntrack_entries);
  size_map(maps.conntrack4, o.pin_root, o.conntrack_entries);
  size_map(maps.conntrack_rev, o.pin_root, o.conntrack_entries);
  size_map(maps.conntrack4_rev, o.pin_root, o.conntrack_entries);
  size_map(maps.affinity, o.pin_root, o.affinity_entries);
  // Some kernels refuse bpf_xdp_adjust_meta to XDP programs (6.18 was seen doing so);
  // there tc ingress runs on every packet XDP passes up instead of the marked ones.
  m->xdp_meta = xdp_can_mark();
  m->skel->rodata->bgplb_xdp_meta = m->xdp_meta ? 1 : 0;
  if (int rc = bgplb__load(m->skel))
    return error{"load the BPF program (maps pinned under " + o.pin_root + "): " + take_log(), -rc};

  detail::map_fds fds;
  fds.frontends = bpf_map__fd(maps.frontends);
  fds.frontends4 = bpf_map__fd(maps.frontends4);
  fds.services = bpf_map__fd(maps.services);
  fds.backends = bpf_map__fd(maps.backends);
  fds.maglev = bpf_map__fd(maps.maglev);
  fds.conntrack = bpf_map__fd(maps.conntrack);
  fds.conntrack4 = bpf_map__fd(maps.conntrack4);
  fds.conntrack_rev = bpf_map__fd(maps.conntrack_rev);
  fds.conntrack4_rev = bpf_map__fd(maps.conntrack4_rev);
  fds.affinity = bpf_map__fd(maps.affinity);
  fds.source_ranges = bpf_map__fd(maps.source_ranges);
  fds.tunnel_peers = bpf_map__fd(maps.tunnel_peers);
  fds.config = bpf_map__fd(maps.config);
  fds.counters = bpf_map__fd(maps.counters);
  fds.service_stats = bpf_map__fd(maps.service_stats);
  map_limits limits{bpf_map__max_entries(maps.services), bpf_map__max_entries(maps.backends),
                    2 * bpf_map__max_entries(maps.maglev)};
  auto ops = detail::libbpf_map_ops::open(fds, limits);
  if (!ops) return ops.err();
  m->maps = std::move(*ops);

  auto cfg = m->maps->config();
  if (!cfg) return cfg.err();
  if (cfg->abi_version == 0) {  // fresh maps: defaults until the first apply
    abi::config c{};
    c.abi_version = BGPLB_ABI_VERSION;
    c.gue_port = htons(BGPLB_GUE_PORT);
    c.ct_tcp_timeout = 7440;
    c.ct_udp_timeout = 300;
    if (auto e = m->maps->put_config(c)) return *e;
  } else if (cfg->abi_version != BGPLB_ABI_VERSION) {
    return abi_mismatch(o.pin_root, std::to_string(cfg->abi_version));
  }
  return std::unique_ptr<module>(new module(std::move(m)));
}

status module::attach(const attach_options& a) {
  std::vector<int> ifindexes;
  for (const auto& name : a.interfaces) {
    unsigned idx = if_nametoindex(name.c_str());
    if (!idx) return system_error("interface " + name, errno);
    ifindexes.push_back(static_cast<int>(idx));
  }
  auto cfg = impl_->maps->config();
  if (!cfg) return cfg.err();
  abi::config c = *cfg;
  const int xdp_fd = bpf_program__fd(impl_->skel->progs.bgplb_xdp);
  const int in_fd = bpf_program__fd(impl_->skel->progs.bgplb_tc_ingress);
  const int out_fd = bpf_program__fd(impl_->skel->progs.bgplb_tc_egress);
  if (a.mode == hook::tc) {  // tc ingress takes everything before XDP goes
    c.flags &= ~static_cast<std::uint32_t>(abi::CFG_F_XDP | abi::CFG_F_REDIRECT_LOCAL);
    if (auto e = impl_->maps->put_config(c)) return e;
  }
  for (int ifindex : ifindexes) {
    if (auto e = attach_tc(ifindex, BPF_TC_EGRESS, out_fd)) return e;
    if (auto e = attach_tc(ifindex, BPF_TC_INGRESS, in_fd)) return e;
    if (a.mode == hook::tc) {
      if (auto e = remove_xdp(ifindex)) return e;
      continue;
    }
    auto q = detail::libbpf_opts<bpf_xdp_query_opts>();
    if (bpf_xdp_query(ifindex, 0, &q) == 0) {
      for (std::uint32_t id : {q.drv_prog_id, q.skb_prog_id})
        if (id && !ours(id))
          return error{"interface " + if_name(ifindex) + " already runs another XDP program (id " +
                           std::to_string(id) + ")",
                       EBUSY};
      // ours in the other mode must go first: one interface holds one XDP mode
      std::uint32_t other = a.xdp_generic ? q.drv_prog_id : q.skb_prog_id;
      if (other)
        if (auto e = remove_xdp(ifindex)) return e;
    }
    std::uint32_t flags = a.xdp_generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    if (int rc = bpf_xdp_attach(ifindex, xdp_fd, flags, nullptr))
      return system_error(std::string("attach XDP (") + (a.xdp_generic ? "generic" : "native") + ") to " +
                              if_name(ifindex),
                          -rc);
  }
  if (a.mode == hook::xdp) {  // tc ingress stands back once XDP is in place
    c.flags |= abi::CFG_F_XDP;
    if (a.redirect_local)
      c.flags |= abi::CFG_F_REDIRECT_LOCAL;
    else
      c.flags &= ~static_cast<std::uint32_t>(abi::CFG_F_REDIRECT_LOCAL);
    if (auto e = impl_->maps->put_config(c)) return e;
  }
  impl_->ifindexes = ifindexes;
  return std::nullopt;
}

status module::detach() {
  for (int ifindex : impl_->ifindexes)
    if (auto e = remove_all(ifindex)) return e;
  impl_->ifindexes.clear();
  return std::nullopt;
}

status uninstall(const std::string& pin_root) {
  libbpf_set_print(capture_libbpf);  // "no clsact here" is the normal answer on most interfaces
  if (auto* names = if_nameindex()) {
    status failed;
    for (auto* n = names; n->if_index != 0; ++n)
      if (auto e = remove_all(static_cast<int>(n->if_index)); e && !failed) failed = e;
    if_freenameindex(names);
    if (failed) return failed;
  }
  bgplb* skel = bgplb__open();  // the object names its maps; nothing is loaded
  if (!skel) return system_error("open the BPF object", errno);
  status failed;
  bpf_map* m;
  bpf_object__for_each_map(m, skel->obj) {
    if (bpf_map__is_internal(m)) continue;  // .rodata: never pinned
    std::string path = pin_root + "/" + bpf_map__name(m);
    if (unlink(path.c_str()) && errno != ENOENT && !failed) failed = system_error("unpin " + path, errno);
  }
  bgplb__destroy(skel);
  if (failed) return failed;
  if (rmdir(pin_root.c_str()) && errno != ENOENT) return system_error("remove " + pin_root, errno);
  return std::nullopt;
}

}  // namespace dataplane
