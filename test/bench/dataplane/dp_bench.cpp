// dp_bench: the measuring tools of the dataplane benchmark (run.py drives them).
//
//   dp_bench sink    --netns N --obj sink.o --pin DIR --iface IF   XDP counting sink on IF
//   dp_bench count   --pin DIR                                     UDP frames the sink saw
//   dp_bench live    --netns N --obj gen.o --pin DIR --iface IF --prog P --src IP --dst IP
//                    --dport PORT --nflows F --count C --smac MAC
//        frames generated in the kernel by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES,
//        as if IF received them (a NIC's receive path without a sender's cost)
//   dp_bench testrun (same options, --repeat R instead of --count)   kernel ns per packet
//   dp_bench server  --port P --secs S       accept, write one byte, close (server closes first)
//   dp_bench client  --dst IP --port P --threads T --secs S          TCP connections per second
//
// gen.o opened with the module's pin root shares the module's maps (LIBBPF_PIN_BY_NAME).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "dp_bench: %s (%s)\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// libbpf option structs, zeroed with their size (LIBBPF_OPTS is C only).
template <class T>
T opts() {
  T o{};
  o.sz = sizeof(T);
  return o;
}

bpf_test_run_opts run_opts(const void* data, std::uint32_t size, xdp_md* ctx, int repeat) {
  auto t = opts<bpf_test_run_opts>();
  t.data_in = data;
  t.data_size_in = size;
  t.ctx_in = ctx;
  t.ctx_size_in = sizeof *ctx;
  t.repeat = repeat;
  return t;
}

std::map<std::string, std::string> options(int argc, char** argv) {
  std::map<std::string, std::string> o;
  for (int i = 2; i + 1 < argc; i += 2) o[argv[i]] = argv[i + 1];
  return o;
}

std::string need(std::map<std::string, std::string>& o, const std::string& k) {
  auto it = o.find(k);
  if (it == o.end()) die("missing " + k);
  return it->second;
}

void enter_netns(const std::string& name) {
  int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET)) die("enter " + name);
  close(fd);
}

// Opens an object with a pin root; maps already pinned there keep their sizes (so
// libbpf reuses them: the module's maps for gen.o).
bpf_object* open_object(const std::string& path, const std::string& pin) {
  auto o = opts<bpf_object_open_opts>();
  o.pin_root_path = pin.c_str();
  bpf_object* obj = bpf_object__open_file(path.c_str(), &o);
  if (!obj) die("open " + path);
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    int fd = bpf_obj_get((pin + "/" + bpf_map__name(m)).c_str());
    if (fd < 0) continue;
    bpf_map_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) bpf_map__set_max_entries(m, info.max_entries);
    close(fd);
  }
  if (bpf_object__load(obj)) die("load " + path);
  return obj;
}

std::array<std::uint8_t, 6> mac_of(const std::string& ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (ioctl(s, SIOCGIFHWADDR, &ifr)) die("SIOCGIFHWADDR " + ifname);
  close(s);
  std::array<std::uint8_t, 6> m{};
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

std::array<std::uint8_t, 6> parse_mac(const std::string& s) {
  std::array<std::uint8_t, 6> m{};
  unsigned v[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) die("bad MAC " + s);
  for (int i = 0; i < 6; ++i) m[i] = static_cast<std::uint8_t>(v[i]);
  return m;
}

struct gen_cfg {
  std::uint8_t dmac[6], smac[6];
  std::uint32_t saddr, daddr;
  std::uint16_t dport, pad;
  std::uint32_t nflows;
};

int cmd_sink(std::map<std::string, std::string> o) {
  enter_netns(need(o, "--netns"));
  bpf_object* obj = open_object(need(o, "--obj"), need(o, "--pin"));
  bpf_program* p = bpf_object__find_program_by_name(obj, "sink");
  int ifindex = static_cast<int>(if_nametoindex(need(o, "--iface").c_str()));
  if (!p || !ifindex || bpf_xdp_attach(ifindex, bpf_program__fd(p), XDP_FLAGS_DRV_MODE, nullptr)) die("attach sink");
  return 0;
}

int cmd_count(std::map<std::string, std::string> o) {
  int fd = bpf_obj_get((need(o, "--pin") + "/sink_udp").c_str());
  if (fd < 0) die("open sink_udp");
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(libbpf_num_possible_cpus()));
  std::uint32_t zero = 0;
  if (bpf_map_lookup_elem(fd, &zero, per_cpu.data())) die("read sink_udp");
  std::uint64_t sum = 0;
  for (auto v : per_cpu) sum += v;
  std::printf("%llu\n", static_cast<unsigned long long>(sum));
  return 0;
}

// live: BPF_F_TEST_XDP_LIVE_FRAMES, 1M frames per call; testrun: plain repeat.
int cmd_run(std::map<std::string, std::string> o, bool live) {
  enter_netns(need(o, "--netns"));
  bpf_object* obj = open_object(need(o, "--obj"), need(o, "--pin"));
  bpf_program* p = bpf_object__find_program_by_name(obj, need(o, "--prog").c_str());
  if (!p) die("no program " + o["--prog"]);
  std::string iface = need(o, "--iface");
  int ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  if (!ifindex) die("interface " + iface);
  gen_cfg g{};
  auto dmac = mac_of(iface);
  auto smac = parse_mac(need(o, "--smac"));
  std::memcpy(g.dmac, dmac.data(), 6);
  std::memcpy(g.smac, smac.data(), 6);
  inet_pton(AF_INET, need(o, "--src").c_str(), &g.saddr);
  inet_pton(AF_INET, need(o, "--dst").c_str(), &g.daddr);
  g.dport = htons(static_cast<std::uint16_t>(std::stoi(need(o, "--dport"))));
  g.nflows = static_cast<std::uint32_t>(std::stoul(need(o, "--nflows")));
  std::uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "gen_cfg"), &zero, &g, 0)) die("gen_cfg");
  std::uint8_t frame[64] = {};
  xdp_md ctx{};
  ctx.data_end = sizeof frame;
  ctx.ingress_ifindex = static_cast<std::uint32_t>(ifindex);
  if (!live) {
    int repeat = std::stoi(need(o, "--repeat"));
    std::uint8_t out[256];
    auto t = run_opts(frame, sizeof frame, &ctx, repeat);
    t.data_out = out;
    t.data_size_out = sizeof out;
    if (bpf_prog_test_run_opts(bpf_program__fd(p), &t)) die("test run");
    std::printf("ns_per_packet=%u retval=%u\n", t.duration, t.retval);
    return 0;
  }
  long count = std::stol(need(o, "--count")), done = 0;
  auto t0 = clock_type::now();
  while (done < count) {
    int n = static_cast<int>(std::min<long>(count - done, 1000000));
    auto t = run_opts(frame, sizeof frame, &ctx, n);
    t.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
    t.batch_size = 64;
    if (bpf_prog_test_run_opts(bpf_program__fd(p), &t)) die("live test run");
    done += n;
  }
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::printf("frames=%ld secs=%.4f\n", count, secs);
  return 0;
}

int cmd_server(std::map<std::string, std::string> o) {
  int port = std::stoi(need(o, "--port"));
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) || listen(s, 4096)) die("listen");
  auto end = clock_type::now() + std::chrono::seconds(std::stoi(need(o, "--secs")));
  timeval tv{0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (clock_type::now() < end) {
    int c = accept(s, nullptr, nullptr);
    if (c < 0) continue;
    (void)!write(c, "x", 1);
    close(c);
  }
  return 0;
}

int cmd_client(std::map<std::string, std::string> o) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(std::stoi(need(o, "--port"))));
  inet_pton(AF_INET, need(o, "--dst").c_str(), &dst.sin_addr);
  int threads = std::stoi(need(o, "--threads"));
  double secs = std::stod(need(o, "--secs"));
  std::atomic<long> ok{0}, failed{0};
  auto end = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(secs));
  std::vector<std::thread> pool;
  auto t0 = clock_type::now();
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&] {
      char buf[8];
      while (clock_type::now() < end) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{1, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(s, reinterpret_cast<sockaddr*>(&dst), sizeof dst)) {
          ++failed;
          close(s);
          continue;
        }
        while (read(s, buf, sizeof buf) > 0) {
        }
        close(s);
        ++ok;
      }
    });
  for (auto& t : pool) t.join();
  double el = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::printf("conns=%ld failed=%ld secs=%.3f conns_per_s=%.0f\n", ok.load(), failed.load(), el, ok.load() / el);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: see the header of dp_bench.cpp");
  std::string cmd = argv[1];
  auto o = options(argc, argv);
  if (cmd == "sink") return cmd_sink(o);
  if (cmd == "count") return cmd_count(o);
  if (cmd == "live") return cmd_run(o, true);
  if (cmd == "testrun") return cmd_run(o, false);
  if (cmd == "server") return cmd_server(o);
  if (cmd == "client") return cmd_client(o);
  die("unknown command " + cmd);
}
