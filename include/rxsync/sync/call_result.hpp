// rxsync/sync/call_result.hpp - the outcome of an asynchronous call: a value or a classified
// CallError, and the default rule for which errors are worth retrying.
//
// Plain value types (thread-safety as for any value); used by ResilientClient and transports.
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class CallErrorKind { network, timeout, http, queue_full, cancelled, other };

struct CallError {
  CallErrorKind kind = CallErrorKind::other;
  int status = 0;  // the HTTP (or protocol) status for kind == http
  std::string message;

  static CallError network(std::string m = "network error") {
    return {CallErrorKind::network, 0, std::move(m)};
  }
  static CallError timeout(std::string m = "timed out") {
    return {CallErrorKind::timeout, 0, std::move(m)};
  }
  static CallError http(int status, std::string m = {}) {
    return {CallErrorKind::http, status, std::move(m)};
  }
  static CallError other(std::string m) { return {CallErrorKind::other, 0, std::move(m)}; }
  // An `other` error from a caught exception: prefix + what().
  static CallError from_exception(std::exception_ptr e, const std::string& prefix = {}) {
    try {
      std::rethrow_exception(std::move(e));
    } catch (const std::exception& ex) {
      return other(prefix + ex.what());
    } catch (...) {
      return other(prefix + "a non-standard exception");
    }
  }
};

// Network errors, timeouts, 5xx and 429 are worth retrying; any other status (4xx: the request
// itself is wrong), a full queue, a cancellation or an unclassified error is permanent.
inline bool default_is_retryable(const CallError& e) noexcept {
  switch (e.kind) {
    case CallErrorKind::network:
    case CallErrorKind::timeout:
      return true;
    case CallErrorKind::http:
      return e.status >= 500 || e.status == 429;
    default:
      return false;
  }
}

// A value or a CallError. Converts implicitly from either, so an operation can `done(42)` or
// `done(CallError::http(503))`.
template <class T>
class CallResult {
 public:
  CallResult(T value)
      : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  CallResult(CallError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  const T& value() const& {
    if (!ok())
      throw std::logic_error("CallResult::value() on an error: " + std::get<1>(v_).message);
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!ok())
      throw std::logic_error("CallResult::value() on an error: " + std::get<1>(v_).message);
    return std::get<0>(std::move(v_));
  }
  const CallError& error() const {
    if (ok()) throw std::logic_error("CallResult::error() on a value");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, CallError> v_;
};

namespace detail {
// Finds T in on_result's parameter CallResult<T> (via std::function's deduction guide).
template <class F>
struct CallResultArg;
template <class T>
struct CallResultArg<std::function<void(CallResult<T>)>> {
  using type = T;
};
template <class T>
struct CallResultArg<std::function<void(const CallResult<T>&)>> {
  using type = T;
};
struct DeduceCallResult {};
// T if given explicitly, else the T of on_result's CallResult<T> parameter.
template <class T, class OnResult>
using CallValueType =
    typename std::conditional_t<std::is_same_v<T, DeduceCallResult>,
                                CallResultArg<decltype(std::function(std::declval<OnResult&>()))>,
                                std::type_identity<T>>::type;

}  // namespace detail

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
