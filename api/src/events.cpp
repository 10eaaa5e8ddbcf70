// WatchEvent sources and fan-out (see events.hpp).
#include "events.hpp"

#include "convert.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace api {

namespace {

using entries = std::vector<std::pair<bgp::route, wall_time>>;

const wall_time* find(const entries& e, const bgp::route& r) {
  for (const auto& [route, t] : e)
    if (route == r) return &t;
  return nullptr;
}

}  // namespace

std::vector<wall_time> age_book::sync(std::size_t speaker, const std::vector<bgp::route>& routes) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(m_);
  std::map<std::pair<std::size_t, bgp::prefix>, entries> next;
  std::vector<wall_time> out;
  out.reserve(routes.size());
  for (const auto& r : routes) {
    const auto key = std::pair{speaker, r.destination};
    const auto it = book_.find(key);
    const wall_time* seen = it != book_.end() ? find(it->second, r) : nullptr;
    const wall_time t = seen ? *seen : now;
    next[key].emplace_back(r, t);
    out.push_back(t);
  }
  // Keep the other speakers' entries.
  for (auto& [k, v] : book_)
    if (k.first != speaker) next.emplace(k, std::move(v));
  book_ = std::move(next);
  return out;
}

wall_time age_book::age(std::size_t speaker, const bgp::route& r) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(m_);
  auto& e = book_[std::pair{speaker, r.destination}];
  if (const wall_time* t = find(e, r)) return *t;
  e.emplace_back(r, now);
  return now;
}

std::shared_ptr<watcher> event_hub::attach(bool peers, bool table) {
  auto w = std::make_shared<watcher>();
  w->peers = peers;
  w->table = table;
  std::lock_guard lock(m_);
  watchers_.push_back(w);
  if (table) ++table_watchers_;
  return w;
}

void event_hub::detach(const std::shared_ptr<watcher>& w) {
  std::lock_guard lock(m_);
  auto it = std::find(watchers_.begin(), watchers_.end(), w);
  if (it == watchers_.end()) return;
  if (w->table) --table_watchers_;
  watchers_.erase(it);
}

void event_hub::publish(const apipb::WatchEventResponse& e, bool table) {
  std::lock_guard lock(m_);
  for (const auto& w : watchers_) {
    if (table ? !w->table : !w->peers) continue;
    {
      std::lock_guard wl(w->m);
      w->queue.push_back(e);
    }
    w->cv.notify_one();
  }
}

void event_hub::close() {
  closed_ = true;
  std::lock_guard lock(m_);
  for (const auto& w : watchers_) w->cv.notify_all();
}

void speaker_watch::start() {
  boost::asio::post(s_.io, [self = shared_from_this()] {
    std::weak_ptr<speaker_watch> weak = self;
    self->s_.speaker.subscribe([weak](const bgp::speaker_event& e) {
      if (auto w = weak.lock()) w->on_event(e);
    });
    self->tick();
  });
}

void speaker_watch::stop() {
  stopped_ = true;
  boost::asio::post(s_.io, [self = shared_from_this()] { self->timer_.cancel(); });
}

void speaker_watch::on_event(const bgp::speaker_event& e) {
  if (stopped_ || e.what != bgp::speaker_event::kind::peer_state) return;
  const auto p = s_.speaker.inspect_peer(e.peer);
  if (!p) return;
  apipb::WatchEventResponse r;
  auto* pe = r.mutable_peer();
  pe->set_type(apipb::WatchEventResponse::PeerEvent::STATE);
  convert::peer_event(pe->mutable_peer(), *p, s_.speaker.configuration().asn);
  hub_->publish(r, false);
}

void speaker_watch::tick() {
  if (stopped_) return;
  poll();
  timer_.expires_after(poll_interval);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->tick();
  });
}

void speaker_watch::poll() {
  if (hub_->wants_table()) {
    std::map<bgp::prefix, std::vector<bgp::route>> now;
    for (auto& r : s_.speaker.originated_routes()) {
      const auto p = r.destination;
      now[p].push_back(std::move(r));
    }
    const auto contains = [](const std::map<bgp::prefix, std::vector<bgp::route>>& m, const bgp::route& r) {
      auto it = m.find(r.destination);
      return it != m.end() && std::find(it->second.begin(), it->second.end(), r) != it->second.end();
    };
    if (baseline_) {
      apipb::WatchEventResponse ev;
      auto* t = ev.mutable_table();
      for (const auto& [p, routes] : now)
        for (const auto& r : routes)
          if (!contains(last_, r)) convert::originated_path(t->add_paths(), r, ages_->age(index_, r));
      for (const auto& [p, routes] : last_)
        for (const auto& r : routes) {
          if (contains(now, r)) continue;
          auto* path = t->add_paths();
          convert::originated_path(path, r, std::chrono::system_clock::now());
          path->set_is_withdraw(true);
        }
      for (auto& path : *t->mutable_paths()) path.set_best(false);
      if (t->paths_size() > 0) hub_->publish(ev, true);
    }
    last_ = std::move(now);
    baseline_ = true;
  } else {
    baseline_ = false;
    last_.clear();
  }
}

}  // namespace api
