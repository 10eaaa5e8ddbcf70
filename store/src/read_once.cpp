// One read of a datastore (see store/read_once.hpp).
#include "store/read_once.hpp"

#include <condition_variable>
#include <mutex>

#include "model/error.hpp"

namespace store {

read_result read_once(std::string_view uri, open_options options, std::chrono::milliseconds timeout, bool with_ledger) {
  options.controller = false;
  options.standby = false;
  auto ds = open(uri, options);
  std::mutex m;
  std::condition_variable done;
  read_result out;
  bool finished = false;
  std::string last_error;
  ds->start(
      [&](change c) {
        std::lock_guard lock(m);
        if (finished || !c.full) return;
        out.objects = std::move(c.objects);
        out.assignments = std::move(c.assignments);
        finished = true;
        done.notify_all();
      },
      [&](const health& h) {
        std::lock_guard lock(m);
        if (!finished) last_error = h.error;
      });
  {
    std::unique_lock lock(m);
    if (!done.wait_for(lock, timeout, [&] { return finished; })) {
      finished = true;  // whatever comes later is not this read
      out.error = "no complete read of " + ds->describe() + " within " + std::to_string(timeout.count()) + " ms";
      if (!last_error.empty()) out.error += ": " + last_error;
    }
  }
  // No sink writes `out` once `finished` is set.
  if (out.objects && with_ledger) {
    if (auto l = ds->read_published_ledger()) {
      if (l->ledger) {
        out.ledger = std::move(l->ledger);
      } else {
        out.objects.reset();
        out.assignments.reset();
        out.error = "cannot read the controller's ledger from " + ds->describe() + ": " + model::to_string(l->errors);
      }
    }
  }
  ds->stop();
  return out;
}

}  // namespace store
