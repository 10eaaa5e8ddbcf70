// The list/watch state machine (see reflector.hpp).
#include "reflector.hpp"

namespace store::kubernetes {

reflector::reflector(const resource& r, object_sink& sink, reflector_options options)
    : resource_(r),
      sink_(sink),
      options_(std::move(options)),
      backoff_(options_.backoff, options_.seed),
      rng_(options_.seed ^ 0x9e3779b97f4a7c15ULL) {}

std::string reflector::collection() const {
  return collection_path(resource_, version(), resource_.where == scope::own_namespace ? options_.ns : "");
}

std::string reflector::selectors() const {
  std::string q;
  if (!options_.label_selector.empty()) q += "&labelSelector=" + query_escape(options_.label_selector);
  if (!options_.field_selector.empty()) q += "&fieldSelector=" + query_escape(options_.field_selector);
  return q;
}

reflector::request reflector::next() {
  request out;
  out.delay = delay_;
  delay_ = std::chrono::milliseconds{0};
  if (phase_ == phase::list) {
    out.what = request::type::list;
    out.target = collection() + "?limit=" + std::to_string(options_.page_size) + selectors();
    if (!continue_.empty()) out.target += "&continue=" + query_escape(continue_);
    return out;
  }
  // client-go: timeoutSeconds uniform in [min, 2·min) so that watches do not all end at once.
  std::uniform_int_distribution<std::int64_t> spread(0, options_.min_watch_timeout.count() - 1);
  out.what = request::type::watch;
  out.timeout = options_.min_watch_timeout + std::chrono::seconds(spread(rng_));
  out.target = collection() + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + query_escape(rv_) +
               "&timeoutSeconds=" + std::to_string(out.timeout.count()) + selectors();
  return out;
}

void reflector::restart_list(std::chrono::milliseconds delay) {
  phase_ = phase::list;
  continue_.clear();
  pending_.clear();
  delay_ = delay;
}

void reflector::on_list_page(list_page page) {
  if (pending_.empty()) pending_ = std::move(page.items);
  else pending_.insert(pending_.end(), std::make_move_iterator(page.items.begin()), std::make_move_iterator(page.items.end()));
  // Every page of a paginated list is read at the first page's resourceVersion.
  if (continue_.empty()) rv_ = page.resource_version;
  connected_ = true;
  error_.clear();
  if (!page.continue_token.empty()) {
    continue_ = std::move(page.continue_token);
    return;
  }
  continue_.clear();
  sink_.replace(resource_, std::move(pending_));
  pending_.clear();
  phase_ = phase::watch;
  synced_ = true;
  absent_ = false;
  gone_streak_ = 0;
  backoff_.reset();
}

void reflector::on_watch_started() {
  connected_ = true;
  error_.clear();
}

void reflector::on_watch_event(watch_event e) {
  switch (e.what) {
    case watch_event::type::added:
    case watch_event::type::modified:
      sink_.upsert(resource_, std::move(*e.object));
      break;
    case watch_event::type::deleted:
      sink_.remove(resource_, *e.object);
      break;
    case watch_event::type::bookmark:
      break;
    case watch_event::type::error:
      on_failure(e.status);
      return;
  }
  if (!e.resource_version.empty()) rv_ = std::move(e.resource_version);
}

void reflector::on_stream_end(std::chrono::milliseconds lasted, const std::string& why) {
  if (phase_ != phase::watch) return;  // an ERROR event already chose what comes next
  if (lasted >= options_.stable_watch) {
    backoff_.reset();
    delay_ = std::chrono::milliseconds{0};
  } else {
    delay_ = backoff_.next();
  }
  if (!why.empty() && lasted < options_.stable_watch) error_ = "watch dropped: " + why;
}

void reflector::on_failure(const api_status& status, std::optional<std::chrono::seconds> retry_after) {
  const bool listing = phase_ == phase::list;
  switch (status.code) {
    case 410:
      // The resourceVersion (or the continue token) was compacted away: list afresh. A
      // second 410 in a row backs off, so a confused server is not hammered.
      restart_list(gone_streak_++ == 0 ? std::chrono::milliseconds{0} : backoff_.next());
      return;
    case 404:
      if (version_ + 1 < std::size(resource_.versions) && !resource_.versions[version_ + 1].empty()) {
        ++version_;
        restart_list(std::chrono::milliseconds{0});
        return;
      }
      // Not served in any version: nothing of this kind exists.
      version_ = 0;
      sink_.replace(resource_, {});
      synced_ = true;
      absent_ = true;
      connected_ = true;
      error_.clear();
      restart_list(options_.absent_retry);
      return;
    default:
      break;
  }
  connected_ = false;
  error_ = std::string(listing ? "list " : "watch ") + std::string(resource_.plural) +
           (resource_.group.empty() ? "" : "." + std::string(resource_.group)) + ": " +
           (status.code == 0 ? status.message : describe(status));
  const bool throttled = status.code == 429 || status.code == 503;
  if (throttled && retry_after) {
    delay_ = *retry_after;
    error_ += "; retrying after " + std::to_string(retry_after->count()) + " s";
  } else {
    delay_ = backoff_.next();
  }
  // A list that failed part-way starts over; a watch resumes from the last RV.
  if (listing) restart_list(delay_);
}

}  // namespace store::kubernetes
