// The `file:` datastore (see store/datastore.hpp and store/file_datastore.hpp): the
// manifest directory's backend, plus the state directory's ledger as the published
// assignments, on one thread that sleeps in poll(2) on the watchers' descriptors and an
// eventfd (stop, resync, a ledger this process wrote). Without a state directory the
// assignments are what Services' status says.
#include "store/file_datastore.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "store/state_dir.hpp"

namespace store::file {

namespace {

using clock = std::chrono::steady_clock;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The identity of a file as rename(2) leaves it: a new inode per atomic write.
struct file_id {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  friend bool operator==(const file_id&, const file_id&) = default;
};

std::optional<file_id> identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return file_id{st.st_dev, st.st_ino, st.st_size};
}

bool touches_services(const model::change_set& c) {
  auto any = [](const std::vector<model::object_key>& v) {
    for (const auto& k : v)
      if (k.kind == model::kind::service) return true;
    return false;
  };
  return any(c.added) || any(c.modified) || any(c.removed);
}

// The state directory's controller lock: flock(2) on `lock`, held for the life of the
// process (the kernel releases it however the process ends), with the holder's pid in the
// file for the message another process prints.
class state_lock {
 public:
  // The lock, or why not (another controller holds it: `busy`).
  static std::unique_ptr<state_lock> take(const std::string& dir, std::string& why, bool& busy) {
    busy = false;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      why = "state directory " + dir + ": " + ec.message();
      return nullptr;
    }
    const int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      why = "state directory " + dir + ": open lock: " + std::strerror(errno);
      return nullptr;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char pid[32] = {};
      const auto n = ::pread(fd, pid, sizeof pid - 1, 0);
      ::close(fd);
      busy = err == EWOULDBLOCK;
      why = busy ? "state directory " + dir + " is in use by another bgplb controller" +
                       (n > 0 ? std::string(" (pid ") + std::string(pid, static_cast<std::size_t>(n)) + ")" : "")
                 : "state directory " + dir + ": lock: " + std::strerror(err);
      return nullptr;
    }
    const auto me = std::to_string(::getpid());
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
      // The pid is only for the message another process prints; the lock holds without it.
    }
    return std::unique_ptr<state_lock>(new state_lock(fd));
  }
  ~state_lock() { ::close(fd_); }
  state_lock(const state_lock&) = delete;
  state_lock& operator=(const state_lock&) = delete;

 private:
  explicit state_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace

struct datastore::impl {
  impl(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w, const store::open_options& o)
      : opts(o),
        manifests(std::move(root), std::move(fs), std::move(w), [&] {
          options fo;
          fo.quiet = o.coalesce;
          fo.max_delay = max_coalesce_delay(o.coalesce);
          return fo;
        }()) {
    wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~impl() { ::close(wake); }

  store::open_options opts;
  file::backend manifests;
  std::unique_ptr<state_lock> lock;
  std::unique_ptr<state_dir> state;
  std::unique_ptr<watcher> ledger_watch;
  int wake = -1;
  std::thread thread;
  std::atomic<bool> stop{false}, resync{false};

  change_sink on_change;
  health_sink on_health;

  // Owned by the thread.
  std::shared_ptr<const model::snapshot> snapshot;
  std::vector<model::error> errors;  // the manifests' errors in force
  std::shared_ptr<const model::assignments> assigned;
  std::optional<file_id> read_id;  // the ledger file last read
  health health_now;
  bool retry = false;  // the tree could not be read: read it all again soon
  clock::time_point last_full{};

  // Election (open_options::standby): on_leader and leadership are shared with campaign()
  // and leadership() under m; the rest is the thread's.
  leader_sink on_leader;
  std::string leadership;
  std::atomic<bool> leading{false};  // read by the writer on the core thread
  std::optional<clock::time_point> lock_retry;  // designated, but the lock was busy
  std::string tree_error, ledger_error;  // why the last read failed, or empty

  // Ledgers this process wrote, handed to the thread (under m).
  std::mutex m;
  std::optional<model::ledger> written;
  std::optional<file_id> written_id;
  // The controller's writer is writing the state directory: the ledger it renames into
  // place is handed over when the write ends, never read back half way (at 100,000
  // services the read back cost 70 MiB at the start's peak).
  bool writing = false;

  void poke() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
  }

  // Health from the two things that can fail to read: the tree and the ledger.
  void report() {
    health h = health_now;
    h.error = tree_error + (!tree_error.empty() && !ledger_error.empty() ? "; " : "") + ledger_error;
    h.connected = h.error.empty();
    if (h.connected && h.synced) h.last_sync_unix = unix_now();
    if (h.synced == health_now.synced && h.connected == health_now.connected && h.error == health_now.error) return;
    health_now = std::move(h);
    on_health(health_now);
  }

  void loop() {
    full();
    elect();
    while (!stop) {
      std::vector<pollfd> fds{{wake, POLLIN, 0}};
      if (manifests.native_handle() >= 0) fds.push_back({manifests.native_handle(), POLLIN, 0});
      if (ledger_watch) fds.push_back({ledger_watch->native_handle(), POLLIN, 0});
      // While the tree cannot be read, read it all again every second (events that arrive
      // meanwhile are taken as they come, so nothing spins on an unread descriptor).
      std::optional<clock::time_point> due;
      if (retry) due = last_full + std::chrono::seconds(1);
      if (lock_retry && (!due || *lock_retry < *due)) due = lock_retry;
      const int timeout =
          due ? static_cast<int>(std::max<std::int64_t>(
                    0, std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock::now()).count() + 1))
              : -1;
      const int n = ::poll(fds.data(), fds.size(), timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        tree_error = std::string("poll: ") + std::strerror(errno);
        report();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (fds[0].revents != 0) {
        std::uint64_t pokes;
        [[maybe_unused]] auto r = ::read(wake, &pokes, sizeof pokes);
      }
      if (stop) break;
      if (resync.exchange(false) || (retry && clock::now() - last_full >= std::chrono::seconds(1))) {
        full();
        elect();
        continue;
      }
      take_written();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == manifests.native_handle()) manifests_changed();
        else ledger_changed();
      }
      elect();
    }
  }

  // Whether this process leads (open_options::standby): its node is the designated one
  // (designated_controller) and it holds the state directory's lock. A process that is not
  // designated lets the lock go, so the designated one can take it on the same host.
  void elect() {
    leader_sink sink;
    {
      std::lock_guard g(m);
      sink = on_leader;
    }
    if (!sink || !snapshot) return;
    const auto who = designated_controller(*snapshot);
    const bool mine = !who || *who == opts.node;
    std::string why;
    lock_retry.reset();
    if (!mine) {
      lock.reset();
      why = "standing by: the controller runs on node " + *who + " (the " +
            (snapshot->find<model::node>("", *who)->meta.labels.contains(std::string(controller_label))
                 ? "Node labelled " + std::string(controller_label) + "=true"
                 : std::string("first Node by name; label a Node ") + std::string(controller_label) + "=true to choose") +
            "); run with --controller on to allocate here anyway";
    } else if (!lock) {
      bool busy = false;
      lock = state_lock::take(*opts.state_dir, why, busy);
      if (!lock) {
        why = "standing by: " + why;
        lock_retry = clock::now() + std::chrono::seconds(2);
      }
    }
    const bool lead = mine && lock;
    if (lead) why = who ? "leading: this node (" + opts.node + ") is the designated controller" : "leading";
    bool changed;
    {
      std::lock_guard g(m);
      changed = why != leadership;
      leadership = why;
    }
    if (lead != leading || changed) {
      leading = lead;
      sink(lead);
    }
  }

  // The tree could not be read: everything in force stays (before the first complete
  // read nothing is delivered at all), the reason is reported, and it is read again.
  bool unreadable(const update& u) {
    tree_error = u.io_error;
    retry = !tree_error.empty();
    if (retry) report();
    return retry;
  }

  // Everything read afresh: the manifests and the published assignments.
  void full() {
    const auto seen = clock::now();
    last_full = seen;
    auto u = manifests.list();
    if (unreadable(u)) return;
    snapshot = u.snapshot;
    errors = u.errors;
    auto next = read_assignments(*u.snapshot);
    change c;
    c.full = true;
    c.seen = seen;
    if (next) {
      c.moved = assigned ? model::changed_services(*assigned, *next) : std::vector<model::name_key>{};
      assigned = std::move(next);
    }
    if (!assigned) assigned = std::make_shared<const model::assignments>();
    c.assignments = assigned;
    c.objects = std::move(u);
    on_change(std::move(c));
    health_now.synced = true;
    health_now.connected = false;  // reported afresh below
    report();
  }

  void manifests_changed() {
    const auto seen = clock::now();
    auto u = manifests.wait(std::chrono::milliseconds(0));
    if (!u || unreadable(*u)) return;
    snapshot = u->snapshot;
    errors = u->errors;
    change c;
    c.seen = seen;
    // Without a ledger, Services' status is the assignment.
    if (!state && touches_services(u->changes)) {
      auto next = std::make_shared<const model::assignments>(model::assignments_from_status(*snapshot, opts.load_balancer_class));
      c.moved = model::changed_services(*assigned, *next);
      if (!c.moved.empty()) {
        assigned = next;
        c.assignments = assigned;
      }
    }
    c.objects = std::move(*u);
    on_change(std::move(c));
  }

  // A ledger this process wrote goes out as it was written, without reading it back.
  void take_written() {
    std::optional<model::ledger> l;
    {
      std::lock_guard g(m);
      l = std::exchange(written, std::nullopt);
    }
    if (l) publish(std::make_shared<const model::assignments>(model::assignments_from(*l)), clock::now());
  }

  void ledger_changed() {
    const auto seen = clock::now();
    if (!ledger_watch->wait(std::chrono::milliseconds(0))) return;
    (void)ledger_watch->take_changed();
    // The state directory changes for other reasons too (status.json, temporary files):
    // only a new ledger file is read, and not the one this process wrote.
    const auto id = identify(ledger_path());
    if (id && id == read_id) return;
    {
      std::lock_guard g(m);
      if (writing || (id && id == written_id)) return;
    }
    if (auto next = read_ledger_assignments()) publish(std::move(next), seen);
  }

  void publish(std::shared_ptr<const model::assignments> next, clock::time_point seen) {
    if (!ledger_error.empty() && next) {
      ledger_error.clear();
      report();
    }
    auto moved = model::changed_services(*assigned, *next);
    if (moved.empty()) return;
    assigned = std::move(next);
    change c;
    c.seen = seen;
    c.objects.snapshot = snapshot;
    c.objects.errors = errors;
    c.assignments = assigned;
    c.moved = std::move(moved);
    on_change(std::move(c));
  }

  std::string ledger_path() const { return opts.state_dir.value_or("") + "/" + std::string(state_dir::ledger_file); }

  // The published ledger's assignments, or null (reported) when it cannot be read: the
  // last good assignments stay in force.
  std::shared_ptr<const model::assignments> read_ledger_assignments() {
    read_id = identify(ledger_path());
    auto r = state->read_ledger();
    ledger_error.clear();
    for (const auto& e : r.errors) ledger_error += (ledger_error.empty() ? "" : "; ") + e.to_string();
    // A speaker whose state directory holds no ledger announces nothing, and says why.
    const bool writer = opts.controller && (!opts.standby || leading);
    if (r.ledger && !read_id && !writer)
      ledger_error = "no ledger in " + *opts.state_dir +
                     " yet: the controller publishes it there (is this directory shared with the node that allocates?)";
    if (health_now.synced) report();
    if (!r.ledger) return nullptr;
    return std::make_shared<const model::assignments>(model::assignments_from(*r.ledger));
  }

  std::shared_ptr<const model::assignments> read_assignments(const model::snapshot& s) {
    if (state) return read_ledger_assignments();
    return std::make_shared<const model::assignments>(model::assignments_from_status(s, opts.load_balancer_class));
  }
};

// The controller's writer: the state directory, and the written ledger handed to the
// datastore's thread so the consumers see it without a read back.
class datastore::ledger_writer final : public state_writer {
 public:
  explicit ledger_writer(impl& d) : d_(d) {}
  std::vector<model::error> write(const state& s) override {
    // An elected controller writes only while it leads; the lock makes that exclusive.
    if (d_.opts.standby && !d_.leading)
      return {{d_.ledger_path(), "", "", "not written: this process does not hold the controller's leadership"}};
    {
      std::lock_guard g(d_.m);
      d_.writing = true;
    }
    auto errors = d_.state->write(s);
    // The ledger is written first: unless that failed, it is what the directory holds.
    const bool ledger_written = errors.empty() || errors.front().file != d_.ledger_path();
    {
      std::lock_guard g(d_.m);
      d_.writing = false;
      if (ledger_written) {
        d_.written = s.ledger;
        d_.written_id = identify(d_.ledger_path());
      }
    }
    if (ledger_written) d_.poke();
    return errors;
  }
  ledger_read read_ledger() override { return d_.state->read_ledger(); }

 private:
  impl& d_;
};

datastore::datastore(std::string root, std::unique_ptr<filesystem> fs, std::unique_ptr<watcher> w,
                     const store::open_options& o)
    : impl_(std::make_unique<impl>(root, std::move(fs), std::move(w), o)), root_(std::move(root)) {
  if (o.controller && !o.state_dir) throw std::invalid_argument("the controller needs a state directory (--state DIR)");
  if (o.state_dir) {
    if (o.controller && !o.standby) {
      std::string why;
      bool busy = false;
      impl_->lock = state_lock::take(*o.state_dir, why, busy);
      if (!impl_->lock) throw std::invalid_argument(why + (busy ? "; one controller per state directory" : ""));
    }
    impl_->state = std::make_unique<state_dir>(*o.state_dir);
    if (o.controller) writer_ = std::make_unique<ledger_writer>(*impl_);
  }
}

datastore::~datastore() { stop(); }

void datastore::start(change_sink on_change, health_sink on_health) {
  impl_->on_change = std::move(on_change);
  impl_->on_health = std::move(on_health);
  if (impl_->state) {
    std::error_code ec;
    std::filesystem::create_directories(*impl_->opts.state_dir, ec);
    // Watch first, then read: a ledger written in between is seen either way.
    impl_->ledger_watch = make_inotify_watcher(*impl_->opts.state_dir);
  }
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void datastore::resync() {
  impl_->resync = true;
  impl_->poke();
}

void datastore::stop() {
  impl_->stop = true;
  impl_->poke();
  if (impl_->thread.joinable()) impl_->thread.join();
}

state_writer* datastore::writer() { return writer_.get(); }

void datastore::campaign(leader_sink on_leader) {
  if (!impl_->opts.standby) {
    // The state directory's lock, taken at open, makes this process the only writer.
    on_leader(writer_ != nullptr);
    return;
  }
  // Elected: decided on the datastore's thread from the manifests and the lock.
  {
    std::lock_guard g(impl_->m);
    impl_->on_leader = std::move(on_leader);
  }
  impl_->poke();
}

std::string datastore::leadership() const {
  std::lock_guard g(impl_->m);
  return impl_->leadership;
}

std::optional<std::string> designated_controller(const model::snapshot& s) {
  std::optional<std::string> first, labelled;
  for (const auto& [key, n] : s.all<model::node>()) {
    if (!first) first = n.meta.name;
    if (auto it = n.meta.labels.find(std::string(controller_label)); !labelled && it != n.meta.labels.end() && it->second == "true")
      labelled = n.meta.name;
  }
  return labelled ? labelled : first;
}

std::string datastore::describe() const {
  return "file:" + root_ + (impl_->opts.state_dir ? " (state " + *impl_->opts.state_dir + ")" : "");
}

}  // namespace store::file
