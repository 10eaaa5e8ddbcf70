// Tests of the real kernel boundary on a temporary directory: recursive listing and
// inotify notification, including directories created after the watch started.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store/file_backend.hpp"

namespace store::file {
namespace {

namespace fs = std::filesystem;

struct temp_root {
  temp_root() {
    std::string tmpl = (fs::temp_directory_path() / "bgplb-posix-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_root() { fs::remove_all(path); }
  temp_root(const temp_root&) = delete;
  temp_root& operator=(const temp_root&) = delete;
  std::string path;
};

void write(const std::string& p, const std::string& text) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << text;
}

TEST(posix_filesystem, lists_recursively_and_reads) {
  temp_root t;
  write(t.path + "/b.yaml", "b");
  write(t.path + "/sub/dir/a.yml", "a");
  write(t.path + "/.hidden/c.yaml", "c");
  auto fsys = make_posix_filesystem();
  EXPECT_EQ(fsys->list(t.path).files, (std::vector<std::string>{"b.yaml", "sub/dir/a.yml"}));
  EXPECT_EQ(fsys->read(t.path, "sub/dir/a.yml").text, "a");
  const auto missing = fsys->read(t.path, "nope.yaml");
  EXPECT_FALSE(missing.text);
  EXPECT_EQ(missing.error, "No such file or directory");
  EXPECT_TRUE(missing.missing);
  EXPECT_FALSE(fsys->read(t.path, "sub").missing) << "a directory is there, just not readable as a file";
}

// Hostile entries (issue 18): a FIFO or a link to a device named like a manifest is
// refused at once, never opened for a blocking or endless read; two links to the tree's
// own root do not make the walk exponential, and every file is listed once.
TEST(posix_filesystem, refuses_what_is_not_a_regular_file_and_walks_each_directory_once) {
  temp_root t;
  write(t.path + "/a.yaml", "a");
  write(t.path + "/sub/b.yaml", "b");
  ASSERT_EQ(::mkfifo((t.path + "/fifo.yaml").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", t.path + "/zero.yaml");
  fs::create_directory_symlink(".", t.path + "/loop1");
  fs::create_directory_symlink(".", t.path + "/sub/loop2");
  fs::create_directory_symlink("..", t.path + "/sub/up");
  auto fsys = make_posix_filesystem();
  const auto l = fsys->list(t.path);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.files, (std::vector<std::string>{"a.yaml", "sub/b.yaml"}));
  EXPECT_EQ(fsys->read(t.path, "fifo.yaml").error, "not a regular file");
  EXPECT_EQ(fsys->read(t.path, "zero.yaml").error, "not a regular file");
  // The watcher walks the same way.
  auto w = make_inotify_watcher(t.path);
  write(t.path + "/sub/c.yaml", "c");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds(2000)));
}

// A listing that fails (here: out of file descriptors, as with a flood of connections on
// the metrics port) is an error, never an empty or partial tree.
TEST(posix_filesystem, a_failed_listing_is_an_error_not_an_empty_tree) {
  temp_root t;
  for (int i = 0; i < 5; ++i) write(t.path + "/d" + std::to_string(i) + "/x.yaml", "x");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto fsys = make_posix_filesystem();
    // Leave no descriptor free for the walk's directory streams.
    struct rlimit lim {};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    int last = ::dup(0);
    lim.rlim_cur = static_cast<rlim_t>(last);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    const auto l = fsys->list(t.path);
    ::_exit(!l.error.empty() && l.files.empty() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the listing did not report the failure";
}

TEST(inotify_watcher, sees_edits_and_new_directories) {
  temp_root t;
  auto w = make_inotify_watcher(t.path);
  EXPECT_GE(w->native_handle(), 0);
  EXPECT_FALSE(w->wait(std::chrono::milliseconds{10}));
  write(t.path + "/a.yaml", "x");
  EXPECT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  while (w->wait(std::chrono::milliseconds{10})) {
  }
  fs::create_directories(t.path + "/new");
  EXPECT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  while (w->wait(std::chrono::milliseconds{10})) {
  }
  write(t.path + "/new/b.yaml", "y");
  EXPECT_TRUE(w->wait(std::chrono::milliseconds{1000})) << "a directory created after start is watched";
}

void drain(watcher& w) {
  while (w.wait(std::chrono::milliseconds{20})) {
  }
}

TEST(inotify_watcher, names_changed_files_or_says_it_cannot) {
  temp_root t;
  fs::create_directories(t.path + "/sub");
  write(t.path + "/sub/b.yaml", "b");
  auto w = make_inotify_watcher(t.path);

  write(t.path + "/.tmp-a.yaml", "a");  // write-then-rename, as editors and kubectl cp do
  fs::rename(t.path + "/.tmp-a.yaml", t.path + "/a.yaml");
  write(t.path + "/sub/b.yaml", "b2");
  write(t.path + "/notes.txt", "n");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), (std::vector<std::string>{"a.yaml", "sub/b.yaml"}));
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{}) << "handed out once";

  fs::remove(t.path + "/a.yaml");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"a.yaml"});

  fs::create_directories(t.path + "/new");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::nullopt) << "a new directory: read everything";
  write(t.path + "/new/c.yaml", "c");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"new/c.yaml"});

  fs::create_directory_symlink(t.path + "/new", t.path + "/..data");  // as a ConfigMap volume swaps
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::nullopt) << "a symlink: read everything";
}

// What kubelet's atomic writer and `write then rename` editors do: the temporary name
// is not a manifest and is never read; a symlink renamed over a known one is.
TEST(inotify_watcher, a_temporary_file_names_its_target_and_a_swapped_symlink_reads_everything) {
  temp_root t;
  fs::create_directories(t.path + "/v1");
  fs::create_directories(t.path + "/v2");
  fs::create_directory_symlink(t.path + "/v1", t.path + "/..data");
  fs::create_directory_symlink(t.path + "/v1", t.path + "/conf");
  auto w = make_inotify_watcher(t.path);

  write(t.path + "/.a.yaml.tmp", "a");
  fs::rename(t.path + "/.a.yaml.tmp", t.path + "/a.yaml");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_TRUE(w->complete());
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"a.yaml"});

  fs::create_directory_symlink(t.path + "/v2", t.path + "/..data_tmp");
  fs::rename(t.path + "/..data_tmp", t.path + "/..data");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::nullopt) << "the symlink manifests are read through changed";

  fs::remove(t.path + "/conf");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_EQ(w->take_changed(), std::nullopt) << "a known symlink went";
}

// A manifest being written is not complete until it is closed (or renamed into place, or
// removed): the backend must never read half a file at once.
TEST(inotify_watcher, a_change_is_complete_once_the_file_is_closed_renamed_or_removed) {
  temp_root t;
  write(t.path + "/a.yaml", "a");
  auto w = make_inotify_watcher(t.path);

  {
    std::ofstream f(t.path + "/a.yaml");
    f << "half" << std::flush;
    ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
    drain(*w);
    EXPECT_FALSE(w->complete()) << "written, still open";
    f << " and the rest" << std::flush;
  }
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_TRUE(w->complete()) << "closed after writing";
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"a.yaml"});

  std::ofstream open_elsewhere(t.path + "/b.yaml");  // created, not closed
  open_elsewhere << "b" << std::flush;
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_FALSE(w->complete());
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"b.yaml"});
  write(t.path + "/.tmp-c.yaml", "c");  // write-then-rename: complete as it lands
  fs::rename(t.path + "/.tmp-c.yaml", t.path + "/c.yaml");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_TRUE(w->complete()) << "only c.yaml changed since the last take_changed, and it was renamed into place";
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"c.yaml"});

  fs::remove(t.path + "/b.yaml");  // still open for writing, but gone from the tree
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_TRUE(w->complete()) << "removed";
  EXPECT_EQ(w->take_changed(), std::vector<std::string>{"b.yaml"});

  fs::create_directories(t.path + "/new");
  ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
  drain(*w);
  EXPECT_FALSE(w->complete()) << "lost track of names: cannot tell";
}

// Runs as an unprivileged user (root reads any directory), so it needs root to switch.
TEST(inotify_watcher, watches_a_directory_once_it_becomes_readable) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as an unprivileged user";
  temp_root t;
  fs::permissions(t.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  write(t.path + "/sub/a.yaml", "a");
  fs::permissions(t.path + "/sub", fs::perms::none);
  struct as_nobody {
    as_nobody() { valid = ::setegid(65534) == 0 && ::seteuid(65534) == 0; }
    ~as_nobody() {
      if (::seteuid(0) != 0 || ::setegid(0) != 0) std::abort();
    }
    bool valid = false;
  };
  std::unique_ptr<watcher> w;
  {
    as_nobody user;
    ASSERT_TRUE(user.valid);
    w = make_inotify_watcher(t.path);  // cannot watch sub/
  }
  fs::permissions(t.path + "/sub", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  {
    as_nobody user;
    ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000}));
    drain(*w);
    EXPECT_EQ(w->take_changed(), std::nullopt) << "a directory's permissions changed: read everything";
  }
  write(t.path + "/sub/a.yaml", "a2");
  {
    as_nobody user;
    ASSERT_TRUE(w->wait(std::chrono::milliseconds{1000})) << "sub/ is watched now";
    drain(*w);
    EXPECT_EQ(w->take_changed(), std::vector<std::string>{"sub/a.yaml"});
  }
}

TEST(file_backend, end_to_end_on_a_real_directory) {
  temp_root t;
  write(t.path + "/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n");
  backend b(t.path, make_posix_filesystem(), make_inotify_watcher(t.path),
            options{std::chrono::milliseconds{20}, std::chrono::milliseconds{500}, {}});
  EXPECT_EQ(b.list().snapshot->size(), 1u);
  write(t.path + "/more/svc2.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n");
  std::optional<update> u;
  for (int i = 0; i < 20 && !u; ++i) u = b.wait(std::chrono::milliseconds{100});
  ASSERT_TRUE(u);
  EXPECT_EQ(u->snapshot->size(), 2u);
}

}  // namespace
}  // namespace store::file
