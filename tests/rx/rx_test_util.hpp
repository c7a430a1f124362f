// Helpers for the reactive-layer tests: record what a subscriber sees as short strings
// ("1", "E:boom", "C"), optionally prefixed with the virtual time in ms ("10:1").
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

namespace rx_test {

using namespace std::chrono_literals;
using Events = std::vector<std::string>;

inline std::string str(int v) { return std::to_string(v); }
inline std::string str(long v) { return std::to_string(v); }
inline std::string str(std::size_t v) { return std::to_string(v); }
inline std::string str(const std::string& s) { return s; }
inline std::string str(const char* s) { return s; }
template <class A, class B>
std::string str(const std::pair<A, B>& p) {
  return "(" + str(p.first) + "," + str(p.second) + ")";
}
template <class... Ts>
std::string str(const std::tuple<Ts...>& t) {
  std::string out = "(";
  std::apply(
      [&](const auto&... v) {
        std::size_t i = 0;
        ((out += (i++ ? "," : "") + str(v)), ...);
      },
      t);
  return out + ")";
}
template <class T>
std::string str(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + str(v[i]);
  return out + "]";
}
template <class T>
std::string str(const std::set<T>& v) {
  std::string out = "{";
  bool first = true;
  for (const auto& x : v) {
    out += (first ? "" : ",") + str(x);
    first = false;
  }
  return out + "}";
}

inline std::string what(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "?";
  }
}

// Subscribes and appends every event to *log. With a scheduler, prefixes the time in ms.
template <class Obs>
rxsync::Subscription record(const Obs& obs, Events& log,
                            rxsync::VirtualTimeScheduler* vts = nullptr) {
  auto stamp = [vts](std::string s) {
    if (!vts) return s;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(vts->now().time_since_epoch())
                  .count();
    return std::to_string(ms) + ":" + s;
  };
  return obs.subscribe(
      [&log, stamp](const auto& v) { log.push_back(stamp(str(v))); },
      [&log, stamp](std::exception_ptr e) { log.push_back(stamp("E:" + what(e))); },
      [&log, stamp] { log.push_back(stamp("C")); });
}

inline std::exception_ptr boom(const char* msg = "boom") {
  return std::make_exception_ptr(std::runtime_error(msg));
}

}  // namespace rx_test
