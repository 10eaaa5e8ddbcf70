// The controller's loop body (see reconciler.hpp).
#include "controller/reconciler.hpp"

namespace controller {

std::vector<model::error> reconciler::load() {
  auto r = state_.read_ledger();
  if (!r.ledger) return std::move(r.errors);
  ledger_ = std::move(*r.ledger);
  loaded_ = true;
  return {};
}

reconciler::outcome reconciler::reconcile(const store::update& u, std::int64_t now) {
  outcome out;
  if (!loaded_) return out;
  options o = options_;
  o.now = now;
  out.allocation = allocate(*u.snapshot, ledger_, o);
  const auto& a = out.allocation;
  if (written_ && a.ledger == ledger_ && a.services == last_services_ && a.pools == last_pools_ &&
      u.errors == last_errors_) {
    return out;
  }
  out.errors = state_.write({a.ledger, a.services, a.pools, u.errors});
  if (!out.errors.empty()) return out;  // keep the old ledger: the next pass retries
  out.wrote = true;
  written_ = true;
  ledger_ = a.ledger;
  last_services_ = a.services;
  last_pools_ = a.pools;
  last_errors_ = u.errors;
  return out;
}

}  // namespace controller
