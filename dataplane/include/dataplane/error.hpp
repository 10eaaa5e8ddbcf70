// Errors as values: what failed, in words an operator can act on, and the errno when the
// kernel said no. status is "nothing or an error"; result<T> is "a T or an error".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dataplane {

struct error {
  std::string message;  // "attach XDP to eth0: Operation not permitted"
  int code = 0;         // errno, 0 when not from a system call
};

using status = std::optional<error>;  // nullopt: done

template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(error e) : v_(std::move(e)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

// "what: strerror(code)"
error system_error(std::string what, int code);

}  // namespace dataplane
