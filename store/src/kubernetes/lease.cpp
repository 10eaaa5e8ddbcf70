// Leader election decisions and the Lease's JSON (see lease.hpp).
#include "lease.hpp"

#include <boost/json.hpp>

#include <ctime>

namespace store::kubernetes {

namespace json = boost::json;

std::string micro_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf) + frac;
}

std::string encode_lease(std::string_view ns, std::string_view name, const lease_record& r,
                         std::string_view resource_version) {
  json::object md{{"name", name}, {"namespace", ns}};
  if (!resource_version.empty()) md["resourceVersion"] = resource_version;
  json::object spec{{"holderIdentity", r.holder},
                    {"leaseDurationSeconds", r.duration_seconds},
                    {"leaseTransitions", r.transitions}};
  if (!r.acquire_time.empty()) spec["acquireTime"] = r.acquire_time;
  if (!r.renew_time.empty()) spec["renewTime"] = r.renew_time;
  return json::serialize(json::object{{"apiVersion", "coordination.k8s.io/v1"},
                                      {"kind", "Lease"},
                                      {"metadata", std::move(md)},
                                      {"spec", std::move(spec)}});
}

std::optional<lease_object> decode_lease(std::string_view body, std::string& why) {
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    why = "Lease is not a JSON object";
    return std::nullopt;
  }
  const auto& o = v.get_object();
  lease_object out;
  if (const auto* md = o.if_contains("metadata"); md != nullptr && md->is_object()) {
    if (const auto* rv = md->get_object().if_contains("resourceVersion"); rv != nullptr && rv->is_string()) {
      out.resource_version = std::string(rv->get_string());
    }
  }
  const auto* spec = o.if_contains("spec");
  if (spec == nullptr || !spec->is_object()) return out;  // a Lease with an empty spec: nobody holds it
  const auto& s = spec->get_object();
  const auto text = [&](std::string_view k) -> std::string {
    const auto* x = s.if_contains(k);
    return x != nullptr && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  const auto number = [&](std::string_view k) -> std::int64_t {
    const auto* x = s.if_contains(k);
    return x != nullptr && x->is_int64() ? x->get_int64() : 0;
  };
  out.record = {text("holderIdentity"), number("leaseDurationSeconds"), text("acquireTime"), text("renewTime"),
                number("leaseTransitions")};
  return out;
}

elector::decision elector::decide(const std::optional<lease_record>& current, clock::time_point now,
                                  std::chrono::system_clock::time_point wall) {
  decision d;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timing_.duration).count();
  lease_record mine{identity_, seconds, micro_time(wall), micro_time(wall), 0};
  if (!current) {
    d.what = decision::action::create;
    d.record = std::move(mine);
    return d;
  }
  if (!observed_ || *observed_ != *current) {
    observed_ = current;
    observed_at_ = now;
  }
  const bool ours = current->holder == identity_;
  if (!ours) leading_until_ = {};  // someone else holds it: whatever we thought, we do not lead
  // The record must stay unchanged for a whole lease duration, by our clock, before it is
  // taken over; the duration is the holder's (its own promise), ours when unset.
  const auto held_for = current->duration_seconds > 0 ? std::chrono::milliseconds(current->duration_seconds * 1000)
                                                      : timing_.duration;
  if (!current->holder.empty() && !ours && now < observed_at_ + held_for) return d;
  if (ours) {
    mine.acquire_time = current->acquire_time;
    mine.transitions = current->transitions;
  } else {
    mine.transitions = current->transitions + 1;
  }
  d.what = decision::action::update;
  d.record = std::move(mine);
  return d;
}

void elector::on_written(const lease_record& written, clock::time_point sent) {
  observed_ = written;
  observed_at_ = sent;
  held_ = written;
  leading_until_ = sent + timing_.renew_deadline;
}

std::optional<lease_record> elector::release(std::chrono::system_clock::time_point wall) const {
  if (!held_ || held_->holder != identity_) return std::nullopt;
  lease_record r = *held_;
  r.holder.clear();
  r.duration_seconds = 1;
  r.renew_time = micro_time(wall);
  r.acquire_time = r.renew_time;
  return r;
}

void elector::on_released() {
  held_.reset();
  leading_until_ = {};
}

}  // namespace store::kubernetes
