// The etcd v3 client over gRPC (see client.hpp).
#include "client.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace store::etcd {

namespace {

std::string read_file(const config& c, const std::string& what, const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    throw std::invalid_argument("datastore \"" + c.uri + "\": cannot read the " + what + " " + path);
  }
  return text.str();
}

// Failures another member may not have: try the next endpoint.
bool member_failure(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         s.error_message().find("no leader") != std::string::npos;
}

call_error error_of(const std::string& where, const grpc::Status& s) {
  if (s.ok()) return {};
  return {s.error_code(), where + ": " + s.error_message()};
}

}  // namespace

bool call_error::compacted() const { return message.find("required revision has been compacted") != std::string::npos; }

client::client(config c, bool keep_connected) : config_(std::move(c)) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (config_.tls) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = read_file(config_, "CA bundle (cacert=)", config_.tls->ca);
    o.pem_cert_chain = read_file(config_, "client certificate (cert=)", config_.tls->cert);
    o.pem_private_key = read_file(config_, "client key (key=)", config_.tls->key);
    creds = grpc::SslCredentials(o);
  }
  grpc::ChannelArguments args;
  // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(config_.timeout.count()));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(std::max<std::int64_t>(config_.timeout.count(), 1000)));
  args.SetMaxReceiveMessageSize(-1);
  for (const auto& e : config_.endpoints) {
    member m;
    m.where = e;
    // Each its own subchannel pool: one member's backoff never delays another's.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    m.channel = grpc::CreateCustomChannel(e.to_string(), creds, args);
    m.kv = etcdserverpb::KV::NewStub(m.channel);
    m.watch = etcdserverpb::Watch::NewStub(m.channel);
    m.lease = etcdserverpb::Lease::NewStub(m.channel);
    members_.push_back(std::move(m));
  }
  if (keep_connected) monitor_ = std::thread([this] { monitor(); });
}

client::~client() {
  stopping_ = true;
  if (monitor_.joinable()) monitor_.join();
}

// gRPC's synchronous calls poll a channel's sockets only while a call waits on it; a
// connection attempt that completes in between (a member that was starting, a restarted
// one) then sits unpolled until gRPC's backup poller runs, every 5 s, and the handshake
// times out. This thread always watches every channel's state, which polls them, and
// asks each to connect: a member that comes back is connected before it is needed.
void client::monitor() {
  std::vector<bool> armed(members_.size(), false);
  std::size_t pending = 0;
  while (true) {
    const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(250);
    for (std::size_t i = 0; i < members_.size() && !stopping_; ++i) {
      if (armed[i]) continue;
      const auto state = members_[i].channel->GetState(true);
      members_[i].channel->NotifyOnStateChange(state, deadline, &monitor_queue_, reinterpret_cast<void*>(i));
      armed[i] = true;
      ++pending;
    }
    if (stopping_ && pending == 0) break;
    void* tag = nullptr;
    bool ok = false;
    if (monitor_queue_.AsyncNext(&tag, &ok, deadline + std::chrono::milliseconds(50)) ==
        grpc::CompletionQueue::GOT_EVENT) {
      armed[reinterpret_cast<std::size_t>(tag)] = false;
      --pending;
    }
  }
  monitor_queue_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (monitor_queue_.Next(&tag, &ok)) {
  }
}

std::unique_ptr<grpc::ClientContext> client::stream_context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("hasleader", "true");
  return ctx;
}

std::unique_ptr<grpc::ClientContext> client::context(by_time by) const {
  auto ctx = stream_context();
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout);
  if (by) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*by - std::chrono::steady_clock::now());
    wait = std::clamp(left, std::chrono::milliseconds(0), wait);
  }
  ctx->set_deadline(std::chrono::system_clock::now() + wait);
  return ctx;
}

etcdserverpb::Watch::Stub& client::watch_stub() { return *members_[current_ % members_.size()].watch; }

std::string client::current_endpoint() const { return members_[current_ % members_.size()].where.to_string(); }

void client::fail_over() { ++current_; }

template <class F>
call_error client::with_failover(F&& f, by_time by) {
  call_error last;
  // Every member's reason, in the URI's order whichever member was tried first: the same
  // outage gives the same text (health reports and logs a change of text as news).
  std::vector<std::string> reasons(members_.size());
  const std::size_t first = current_;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i > 0 && by && std::chrono::steady_clock::now() >= *by) break;  // out of time: the members not tried stay ""
    const std::size_t at = first + i;
    auto& m = members_[at % members_.size()];
    const grpc::Status s = f(m);
    if (s.ok()) {
      current_ = at;
      return {};
    }
    const auto e = error_of(m.where.to_string(), s);
    last.code = e.code;
    reasons[at % members_.size()] = e.message;
    if (!member_failure(s)) return e;
  }
  for (const auto& r : reasons)
    if (!r.empty()) last.message += (last.message.empty() ? "" : "; ") + r;
  ++current_;
  return last;
}

call_error client::range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse& resp, by_time by) {
  return with_failover(
      [&](member& m) {
        resp.Clear();
        return m.kv->Range(context(by).get(), req, &resp);
      },
      by);
}

call_error client::txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse& resp) {
  return with_failover([&](member& m) {
    resp.Clear();
    return m.kv->Txn(context().get(), req, &resp);
  });
}

call_error client::lease_grant(std::chrono::milliseconds ttl, std::int64_t& id) {
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(std::chrono::duration_cast<std::chrono::seconds>(ttl + std::chrono::milliseconds(999)).count());
  etcdserverpb::LeaseGrantResponse resp;
  auto e = with_failover([&](member& m) { return m.lease->LeaseGrant(context().get(), req, &resp); });
  if (!e && !resp.error().empty()) return {grpc::StatusCode::UNKNOWN, current_endpoint() + ": " + resp.error()};
  id = resp.id();
  return e;
}

call_error client::lease_revoke(std::int64_t id) {
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(id);
  etcdserverpb::LeaseRevokeResponse resp;
  return with_failover([&](member& m) { return m.lease->LeaseRevoke(context().get(), req, &resp); });
}

call_error client::lease_keepalive(std::int64_t id, std::int64_t& ttl, by_time by) {
  return with_failover(
      [&](member& m) {
        auto ctx = context(by);
        auto stream = m.lease->LeaseKeepAlive(ctx.get());
        etcdserverpb::LeaseKeepAliveRequest req;
        req.set_id(id);
        etcdserverpb::LeaseKeepAliveResponse resp;
        if (stream->Write(req) && stream->Read(&resp)) ttl = resp.ttl();
        stream->WritesDone();
        return stream->Finish();
      },
      by);
}

call_error client::list(const std::string& prefix, std::vector<kv_item>& out, std::int64_t& revision, int page) {
  out.clear();
  revision = 0;
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  req.set_range_end(range_end(prefix));
  req.set_limit(page);
  while (true) {
    etcdserverpb::RangeResponse resp;
    if (auto e = range(req, resp)) return e;
    if (revision == 0) {
      revision = resp.header().revision();
      req.set_revision(revision);  // every page at the first page's revision
    }
    for (auto& kv : *resp.mutable_kvs()) out.push_back({std::move(*kv.mutable_key()), std::move(*kv.mutable_value())});
    if (!resp.more() || resp.kvs_size() == 0) return {};
    req.set_key(out.back().key + '\0');
  }
}

watch_feed::watch_feed(client& c, const etcdserverpb::WatchCreateRequest& create)
    : endpoint_(c.current_endpoint()), context_(c.stream_context()) {
  stream_ = c.watch_stub().Watch(context_.get());
  etcdserverpb::WatchRequest req;
  *req.mutable_create_request() = create;
  // Written by the reader thread: a member still connecting cannot block the caller.
  reader_ = std::thread([this, req = std::move(req)] {
    stream_->Write(req);  // a failure shows as the end of the stream
    read_loop();
  });
}

watch_feed::~watch_feed() {
  cancel();
  reader_.join();
}

void watch_feed::cancel() { context_->TryCancel(); }

void watch_feed::read_loop() {
  etcdserverpb::WatchResponse r;
  while (stream_->Read(&r)) {
    std::lock_guard lock(mutex_);
    items_.push_back({std::move(r), {}});
    r = {};
    ready_.notify_one();
  }
  auto status = stream_->Finish();
  std::lock_guard lock(mutex_);
  items_.push_back({std::nullopt, status.ok() ? call_error{grpc::StatusCode::UNAVAILABLE, endpoint_ + ": the watch stream ended"}
                                              : error_of(endpoint_, status)});
  ready_.notify_one();
}

std::optional<watch_feed::item> watch_feed::next(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_until(lock, deadline, [&] { return !items_.empty(); })) return std::nullopt;
  auto i = std::move(items_.front());
  items_.pop_front();
  return i;
}

}  // namespace store::etcd
