// In-memory stand-ins for store::file's kernel boundary, shared by the backend's tests
// and store_bench: a filesystem over a map that counts lists and reads, and a watcher
// whose wait() results are scripted.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/file_backend.hpp"

namespace store::file::fakes {

struct fake_disk {
  std::map<std::string, std::string> files;
  std::set<std::string> unreadable;
  std::string list_error;  // set: list() fails with it (set it only while nothing lists)
  int lists = 0;
  std::map<std::string, int> reads;
};

class fake_filesystem final : public filesystem {
 public:
  explicit fake_filesystem(std::shared_ptr<fake_disk> d) : disk_(std::move(d)) {}
  listing list(const std::string&) override {
    ++disk_->lists;
    if (!disk_->list_error.empty()) return {{}, disk_->list_error};
    listing out;
    for (const auto& [k, v] : disk_->files) out.files.push_back(k);
    return out;
  }
  contents read(const std::string&, const std::string& p) override {
    ++disk_->reads[p];
    auto it = disk_->files.find(p);
    if (it == disk_->files.end()) return {std::nullopt, "No such file or directory", true};
    if (disk_->unreadable.contains(p)) return {std::nullopt, "Permission denied"};
    return {it->second, ""};
  }

 private:
  std::shared_ptr<fake_disk> disk_;
};

// Scripted wait() results; take_changed() hands out `named` (nothing: cannot tell);
// complete() says `*complete` (false without one, as a watcher that cannot tell).
class fake_watcher final : public watcher {
 public:
  explicit fake_watcher(std::shared_ptr<std::deque<bool>> script,
                        std::shared_ptr<std::optional<std::vector<std::string>>> named = nullptr,
                        std::shared_ptr<bool> complete = nullptr)
      : script_(std::move(script)), named_(std::move(named)), complete_(std::move(complete)) {}
  bool wait(std::chrono::milliseconds) override {
    if (script_->empty()) return false;
    const bool v = script_->front();
    script_->pop_front();
    return v;
  }
  int native_handle() const override { return -1; }
  bool complete() const override { return complete_ && *complete_; }
  std::optional<std::vector<std::string>> take_changed() override {
    if (!named_) return std::nullopt;
    auto out = std::move(*named_);
    named_->emplace();
    return out;
  }

 private:
  std::shared_ptr<std::deque<bool>> script_;
  std::shared_ptr<std::optional<std::vector<std::string>>> named_;
  std::shared_ptr<bool> complete_;
};

}  // namespace store::file::fakes
