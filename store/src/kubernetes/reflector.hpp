// The list/watch state machine for one resource, as client-go's reflector runs it, with
// no I/O: the shell asks next() what to send, sends it, and feeds back what came.
//
//   LIST ?limit=N (&continue=T ...)  ──all pages──► replace every object of the kind
//     └─► WATCH ?resourceVersion=<list RV>&allowWatchBookmarks=true&timeoutSeconds=300..600
//           events ──► upsert / remove; every event and BOOKMARK moves the RV
//           stream ends (server timeout, dropped connection) ──► WATCH again from the last RV
//           410 Gone (RV compacted), as a status or an ERROR event ──► LIST again
//   errors: 429 / 503 wait Retry-After; others back off exponentially with jitter; 404 on
//   the preferred version tries the next one, then counts the kind as absent (not served:
//   a cluster without Calico or MetalLB CRDs) and lists again after a while.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backoff.hpp"
#include "resources.hpp"
#include "wire.hpp"

namespace store::kubernetes {

// Where a reflector's objects go (the datastore's object cache).
class object_sink {
 public:
  virtual ~object_sink() = default;
  // Every object of the resource, after a complete LIST (or none: the kind is absent).
  virtual void replace(const resource& r, std::vector<object_text> objects) = 0;
  virtual void upsert(const resource& r, object_text object) = 0;
  virtual void remove(const resource& r, const object_text& object) = 0;
};

struct reflector_options {
  std::string ns;              // for scope::own_namespace
  std::string label_selector;  // "" for none
  std::string field_selector;
  std::size_t page_size = 500;
  std::chrono::seconds min_watch_timeout{300};  // each watch asks for [min, 2·min)
  std::chrono::milliseconds stable_watch{10'000};  // a stream that lasted this long resets the back-off
  std::chrono::seconds absent_retry{60};
  backoff_policy backoff;
  std::uint64_t seed = 0;  // jitter and watch timeouts (fixed in tests)
};

class reflector {
 public:
  struct request {
    enum class type : std::uint8_t { list, watch } what = type::list;
    std::string target;  // path and query
    std::chrono::milliseconds delay{0};  // wait this long before sending
    std::chrono::seconds timeout{0};     // watch: the timeoutSeconds asked for
  };

  reflector(const resource& r, object_sink& sink, reflector_options options);

  const resource& resource_of() const { return resource_; }
  std::string_view version() const { return resource_.versions[version_]; }

  // What to send now (after `delay`).
  request next();

  void on_list_page(list_page page);
  // The watch was accepted (200); events follow.
  void on_watch_started();
  void on_watch_event(watch_event e);
  // The stream ended (server closed it at timeoutSeconds, or the connection dropped)
  // after `lasted`; `why` is empty for a clean end.
  void on_stream_end(std::chrono::milliseconds lasted, const std::string& why);
  // The request failed: an HTTP status (with the Status body and any Retry-After), or a
  // transport error (code 0, the reason in message).
  void on_failure(const api_status& status, std::optional<std::chrono::seconds> retry_after = std::nullopt);

  // Lists afresh at once (resync); the caller drops any watch in flight.
  void relist() { restart_list(std::chrono::milliseconds{0}); }
  bool watching() const { return phase_ == phase::watch; }

  bool synced() const { return synced_; }        // a full list has been delivered
  bool connected() const { return connected_; }  // the last request succeeded
  bool absent() const { return absent_; }        // no version of the resource is served
  const std::string& error() const { return error_; }  // why not connected ("" before the first answer)
  const std::string& resource_version() const { return rv_; }

 private:
  enum class phase : std::uint8_t { list, watch };
  std::string collection() const;
  std::string selectors() const;
  void restart_list(std::chrono::milliseconds delay);

  const resource& resource_;
  object_sink& sink_;
  reflector_options options_;
  backoff backoff_;
  std::mt19937_64 rng_;
  std::size_t version_ = 0;
  phase phase_ = phase::list;
  std::string continue_;
  std::vector<object_text> pending_;
  std::string rv_;
  std::chrono::milliseconds delay_{0};
  bool synced_ = false;
  bool connected_ = false;
  bool absent_ = false;
  int gone_streak_ = 0;  // 410s since the last complete list
  std::string error_;  // empty until a request fails
};

}  // namespace store::kubernetes
