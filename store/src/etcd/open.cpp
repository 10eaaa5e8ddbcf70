// store::etcd::open_etcd: the datastore composed of the client, the reading thread
// (watcher), and for a controller the campaigner and the writer (see open.hpp).
#include "open.hpp"

#include <unistd.h>

#include <optional>

#include "election.hpp"
#include "watcher.hpp"
#include "writer.hpp"

namespace store::etcd {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

class etcd_datastore final : public datastore {
 public:
  etcd_datastore(config c, const open_options& o)
      : client_(std::move(c)), layout_(client_.settings().prefix),
        watcher_(client_, layout_, {}, o.coalesce), controller_(o.controller),
        identity_((o.node.empty() ? host_name() : o.node) + " pid " + std::to_string(getpid())) {
    if (controller_) writer_.emplace(client_, layout_, lead_);
  }
  ~etcd_datastore() override { stop(); }

  void start(change_sink on_change, health_sink on_health) override {
    watcher_.start(std::move(on_change), std::move(on_health));
  }
  void resync() override { watcher_.resync(); }
  void stop() override {
    if (writer_) writer_->flush(client_.settings().timeout);  // the last state, while still leading
    if (election_) election_->stop();                         // resign: the next one leads now
    if (writer_) writer_->stop();
    watcher_.stop();
  }
  state_writer* writer() override { return writer_ ? &*writer_ : nullptr; }
  std::optional<ledger_read> read_published_ledger() override { return read_ledger_keys(client_, layout_); }
  void campaign(leader_sink on_leader) override {
    if (!controller_ || election_) return;
    election_.emplace(client_, layout_, identity_, lead_);
    election_->start(std::move(on_leader));
  }
  std::string leadership() const override {
    if (!controller_) return {};
    if (const auto g = lead_.current()) return "leading: this process (" + identity_ + ") holds election key " + g->key;
    auto why = lead_.why_not();
    return why.empty() ? "not leading: campaigning under " + layout_.election_prefix() : why;
  }
  std::string describe() const override {
    std::string out = "etcd://";
    for (std::size_t i = 0; i < client_.settings().endpoints.size(); ++i) {
      out += (i == 0 ? "" : ",") + client_.settings().endpoints[i].to_string();
    }
    return out + client_.settings().prefix + (client_.settings().tls ? " (TLS)" : "");
  }

 private:
  client client_;
  layout layout_;
  watcher watcher_;
  bool controller_;
  std::string identity_;
  etcd::leadership lead_;
  std::optional<etcd::writer> writer_;
  std::optional<election> election_;
};

}  // namespace

std::unique_ptr<datastore> open_etcd(std::string_view uri, const open_options& options) {
  return std::make_unique<etcd_datastore>(parse_uri(uri), options);
}

}  // namespace store::etcd
