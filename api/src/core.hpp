// Calling into a speaker from a gRPC thread: the call is posted to the speaker's
// io_context and the gRPC thread waits for its result. The speaker core stays
// single-threaded; nothing here takes a lock the core knows about.
#pragma once

#include <api/server.hpp>

#include <boost/asio/post.hpp>

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <type_traits>

namespace api {

// How long a gRPC thread waits for a speaker's thread before answering UNAVAILABLE.
inline constexpr std::chrono::seconds core_timeout{10};

// Runs f(speaker) on the speaker's thread; nullopt when it did not answer in time.
// `f` must own everything it uses (it may run after the caller gave up).
template <class F>
auto on_core(const speaker_ref& s, F f) -> std::optional<std::invoke_result_t<F, bgp::speaker&>> {
  using result = std::invoke_result_t<F, bgp::speaker&>;
  auto promise = std::make_shared<std::promise<result>>();
  auto future = promise->get_future();
  boost::asio::post(s.io, [promise, f = std::move(f), sp = &s.speaker]() mutable {
    try {
      promise->set_value(f(*sp));
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  if (future.wait_for(core_timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

}  // namespace api
