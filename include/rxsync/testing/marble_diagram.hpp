// rxsync/testing/marble_diagram.hpp - recorded notifications, how they compare, how they print.
//
// The model shared by TestScheduler's sources and expectations: Recorded<T> (a notification at
// a virtual time), SubscriptionLog, the error matching rule, and the renderer that draws
// expected and actual timelines as aligned marble diagrams. Value types: thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <ranges>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define RXSYNC_TESTING_HAS_CXXABI 1
#endif

#include <rxsync/core/time.hpp>
#include <rxsync/testing/marble_parser.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

// A notification seen (or expected) at `time`, measured from the TestScheduler's start.
template <class T>
struct Recorded {
  Duration time{};
  MarbleKind kind = MarbleKind::next;
  std::optional<T> value;    // set for next
  std::exception_ptr error;  // set for error
};

// One subscription to a hot or cold test observable. `unsubscribed` is empty while it is live.
struct SubscriptionLog {
  Duration subscribed{};
  std::optional<Duration> unsubscribed;
  friend bool operator==(const SubscriptionLog&, const SubscriptionLog&) = default;
};

// What a '#' means when no error is given (RxJS uses the string "error").
class MarbleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
inline std::exception_ptr default_error() { return std::make_exception_ptr(MarbleError("error")); }

// Pass as the expected error to accept any error at that point.
class AnyMarbleError : public std::exception {
 public:
  const char* what() const noexcept override { return "any error"; }
};
inline std::exception_ptr any_error() { return std::make_exception_ptr(AnyMarbleError()); }

namespace detail {

inline std::string demangle(const char* name) {
  std::string result = name;
#ifdef RXSYNC_TESTING_HAS_CXXABI
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                             std::free);
  if (status == 0 && out) result = out.get();
#endif
  // Users spell rxsync's types without the inline ABI namespace (see version.hpp): so does the
  // report.
  constexpr std::string_view versioned = "rxsync::" RXSYNC_ABI_NAMESPACE_STRING "::";
  for (auto at = result.find(versioned); at != std::string::npos; at = result.find(versioned, at)) {
    result.replace(at, versioned.size(), "rxsync::");
  }
  return result;
}

// "std::runtime_error: boom"; the dynamic type and message decide whether two errors match.
inline std::string describe_error(const std::exception_ptr& error) {
  if (!error) return "null exception_ptr";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return demangle(typeid(e).name()) + ": " + e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

inline bool is_any_error(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const AnyMarbleError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace detail

// Errors match when they are the same exception object, or of the same dynamic type with the
// same what() (an operator may rethrow a copy), or when `expected` is any_error().
inline bool errors_match(const std::exception_ptr& expected, const std::exception_ptr& actual) {
  if (expected == actual || detail::is_any_error(expected)) return true;
  if (!expected || !actual) return false;
  const std::string description = detail::describe_error(expected);
  return description != "an exception not derived from std::exception" &&
         description == detail::describe_error(actual);
}

// "3ms", "1.5ms", "-2ms".
inline std::string format_time(Duration t) {
  const bool negative = t < Duration::zero();
  const auto ns = negative ? -t.count() : t.count();
  const auto per_frame = frame_duration.count();
  std::string out = (negative ? "-" : "") + std::to_string(ns / per_frame);
  if (auto rem = ns % per_frame; rem != 0) {
    std::string digits = std::to_string(rem);
    digits.insert(0, std::to_string(per_frame).size() - 1 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + "ms";
}

namespace detail {

template <class T>
struct IsTuple : std::false_type {};
template <class... A>
struct IsTuple<std::tuple<A...>> : std::true_type {};

// Writes `v` with operator<< when it has one, else as "[x, y]" for ranges (buffer, SetSubject)
// and "(x, y)" for pairs and tuples (pairwise, combine_latest). False if some part has no text.
template <class T>
bool print_value(std::ostream& os, const T& v) {
  if constexpr (requires { os << v; }) {
    os << v;
    return true;
  } else if constexpr (std::ranges::input_range<const T>) {
    os << '[';
    bool first = true;
    for (const auto& e : v) {
      if (!std::exchange(first, false)) os << ", ";
      if (!print_value(os, e)) return false;
    }
    os << ']';
    return true;
  } else if constexpr (requires { v.first, v.second; }) {
    os << '(';
    const bool ok = print_value(os, v.first) && (os << ", ", print_value(os, v.second));
    os << ')';
    return ok;
  } else if constexpr (IsTuple<T>::value) {
    os << '(';
    bool ok = true;
    std::apply(
        [&](const auto&... parts) {
          std::size_t i = 0;
          ((ok = ok && (i++ == 0 || (os << ", ", true)) && print_value(os, parts)), ...);
          (void)i;  // unused for std::tuple<>
        },
        v);
    os << ')';
    return ok;
  } else {
    return false;
  }
}

}  // namespace detail

// How values of type T appear in diagrams and event lists: chars as themselves; otherwise the
// letter that maps to the value in the expectation's values map, the printer's text, or
// operator<< when T has one (ranges, pairs and tuples of such values too).
template <class T>
struct ValueFormat {
  const std::map<char, T>* values = nullptr;
  std::function<std::string(const T&)> printer;

  std::optional<char> letter(const T& v) const {
    if constexpr (std::equality_comparable<T>) {
      if (values != nullptr) {
        for (const auto& [key, mapped] : *values) {
          if (mapped == v) return key;
        }
      }
    }
    if constexpr (std::is_same_v<T, char>) return v;
    return std::nullopt;
  }
  std::optional<std::string> text(const T& v) const {
    if (printer) return printer(v);
    std::ostringstream os;
    if (detail::print_value(os, v)) return os.str();
    return std::nullopt;
  }
  // For the diagram: one letter when there is one.
  std::string label(const T& v) const {
    if (auto c = letter(v)) return std::string(1, *c);
    return text(v).value_or("?");
  }
  // For the event list: "b", "42", "b = 42".
  std::string describe(const T& v) const {
    auto c = letter(v);
    auto t = text(v);
    if (c && t && *t != std::string(1, *c)) return std::string(1, *c) + " = " + *t;
    if (c) return std::string(1, *c);
    return t.value_or("? (give expect_observable a printer to see it)");
  }
};

template <class T>
std::string describe_event(const Recorded<T>& e, const ValueFormat<T>& format) {
  switch (e.kind) {
    case MarbleKind::next:
      return format_time(e.time) + ": next " + (e.value ? format.describe(*e.value) : "<empty>");
    case MarbleKind::error:
      return format_time(e.time) + ": error (" + detail::describe_error(e.error) + ")";
    case MarbleKind::completed:
      return format_time(e.time) + ": complete";
  }
  return {};
}

template <class T>
std::string describe_events(const std::vector<Recorded<T>>& events, const ValueFormat<T>& format) {
  if (events.empty()) return "(none)";
  constexpr std::size_t shown = 100;  // a runaway timeline must not bury the diagrams
  std::string out;
  for (std::size_t i = 0; i < events.size() && i < shown; ++i) {
    out += (i > 0 ? ", " : "") + describe_event(events[i], format);
  }
  if (events.size() > shown) out += ", ... (" + std::to_string(events.size() - shown) + " more)";
  return out;
}

// A point on a rendered timeline.
struct DiagramEvent {
  Duration time{};
  std::string label;
};

namespace detail {

// Whether the characters after the last space of `text` would read as a time progression once a
// space follows them: value letters '1' 's' must not turn into "1s " when a progression comes next.
inline bool ends_like_progression(std::string_view text) {
  std::size_t start = text.size();
  while (start > 0 && !marble_space(text[start - 1])) --start;
  const std::string_view run = text.substr(start);
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < run.size() && run[i] >= '0' && run[i] <= '9') ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i + 1 < run.size() && run[i] == '.' && run[i + 1] >= '0' && run[i + 1] <= '9') {
    ++i;
    digits();
  }
  const std::string_view unit = run.substr(i);
  return unit == "ms" || unit == "s" || unit == "m";
}

}  // namespace detail

// Draws several timelines one above the other with their frames in the same columns: a frame
// holding a group in one line is padded with '-' in the others, and long silences become
// progressions (" 250ms ") in every line. Parses back to the same times when no label is
// wider than one character, no group overlaps the next event, and no letters that spell a
// progression ("1s") are followed by less than a frame of silence.
inline std::vector<std::string> render_aligned(std::vector<std::vector<DiagramEvent>> lines,
                                               std::int64_t max_dashes = 20) {
  std::vector<Duration> keys;
  for (auto& line : lines) {
    // Recorded timelines are already in time order; stable keeps same-frame order.
    std::stable_sort(line.begin(), line.end(),
                     [](const DiagramEvent& a, const DiagramEvent& b) { return a.time < b.time; });
    for (const auto& e : line) keys.push_back(e.time);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string> out(lines.size());
  std::vector<std::size_t> used(lines.size(), 0);
  std::vector<std::size_t> cursor(lines.size(), 0);
  Duration next_free = keys.empty() ? Duration::zero() : std::min(keys.front(), Duration::zero());
  for (Duration key : keys) {
    if (const Duration gap = key - next_free; gap > Duration::zero()) {
      const auto as_dashes = [max_dashes](Duration d) {
        return d % frame_duration == Duration::zero() && d / frame_duration <= max_dashes;
      };
      Duration rest = gap;
      std::string filler;
      // Letters that spell a progression ("1s") before a progression filler would be read as
      // time; one frame of '-' in every line keeps them letters and the columns aligned.
      if (!as_dashes(gap) && gap >= frame_duration &&
          std::any_of(out.begin(), out.end(), [](const std::string& text) {
            return detail::ends_like_progression(text);
          })) {
        filler = "-";
        rest -= frame_duration;
      }
      filler += as_dashes(rest) ? std::string(static_cast<std::size_t>(rest / frame_duration), '-')
                                : " " + format_time(rest) + " ";
      for (auto& text : out) text += filler;
    }
    std::vector<std::string> cells(lines.size());
    std::size_t width = 1;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::size_t count = 0;
      for (; cursor[i] < lines[i].size() && lines[i][cursor[i]].time == key; ++cursor[i], ++count) {
        cells[i] += lines[i][cursor[i]].label;
      }
      if (count > 1) cells[i] = "(" + cells[i] + ")";
      width = std::max(width, cells[i].size());
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out[i] += cells[i];
      if (!cells[i].empty()) used[i] = out[i].size();
      out[i] += std::string(width - cells[i].size(), '-');
    }
    next_free = key + static_cast<Duration::rep>(width) * frame_duration;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) out[i].resize(used[i]);  // no trailing filler
  return out;
}

template <class T>
std::vector<DiagramEvent> to_diagram(const std::vector<Recorded<T>>& events,
                                     const ValueFormat<T>& format) {
  std::vector<DiagramEvent> out;
  for (const auto& e : events) {
    std::string label = e.kind == MarbleKind::completed ? "|"
                        : e.kind == MarbleKind::error   ? "#"
                        : e.value                       ? format.label(*e.value)
                                                        : "?";
    if (label.empty()) label = "?";  // an empty printer result must still mark the frame
    out.push_back({e.time, std::move(label)});
  }
  return out;
}

// A subscription log as a subscription diagram: "--^---!" (parses back to the same log).
inline std::string render_subscription(const SubscriptionLog& log) {
  auto span = [](Duration d) {
    if (d <= Duration::zero()) return std::string();
    if (d % frame_duration == Duration::zero() && d / frame_duration <= 20) {
      return std::string(static_cast<std::size_t>(d / frame_duration), '-');
    }
    return format_time(d) + " ";
  };
  std::string out = span(log.subscribed);
  if (!log.unsubscribed) return out + "^";
  if (*log.unsubscribed <= log.subscribed) return out + "(^!)";
  std::string middle = span(*log.unsubscribed - log.subscribed - frame_duration);
  if (!middle.empty() && middle.back() == ' ') middle.insert(0, " ");
  return out + "^" + middle + "!";
}

inline std::string describe_subscription(const SubscriptionLog& log) {
  return "subscribed at " + format_time(log.subscribed) +
         (log.unsubscribed ? ", unsubscribed at " + format_time(*log.unsubscribed)
                           : ", never unsubscribed");
}

template <class T>
bool same_event(const Recorded<T>& expected, const Recorded<T>& actual) {
  static_assert(std::equality_comparable<T>,
                "rxsync::testing: expect_observable compares values with operator==; "
                "give the value type an operator==");
  if (expected.time != actual.time || expected.kind != actual.kind) return false;
  if (expected.kind == MarbleKind::next) return expected.value == actual.value;
  if (expected.kind == MarbleKind::error) return errors_match(expected.error, actual.error);
  return true;
}

// Empty when the timelines match; otherwise the diagrams one above the other, both event
// lists and the first difference.
template <class T>
std::optional<std::string> compare_recorded(const std::vector<Recorded<T>>& expected,
                                            const std::vector<Recorded<T>>& actual,
                                            const ValueFormat<T>& format) {
  std::size_t i = 0;
  while (i < expected.size() && i < actual.size() && same_event(expected[i], actual[i])) ++i;
  if (i == expected.size() && i == actual.size()) return std::nullopt;
  const auto drawn = render_aligned({to_diagram(expected, format), to_diagram(actual, format)});
  std::string out = "  expected: " + drawn[0] + "\n  actual:   " + drawn[1] + "\n" +
                    "  expected events: " + describe_events(expected, format) + "\n" +
                    "  actual events:   " + describe_events(actual, format) + "\n" +
                    "  first difference at event #" + std::to_string(i + 1) + ": expected " +
                    (i < expected.size() ? describe_event(expected[i], format) : "nothing more") +
                    ", actual " +
                    (i < actual.size() ? describe_event(actual[i], format) : "nothing more");
  return out;
}

inline std::optional<std::string> compare_subscriptions(
    const std::vector<SubscriptionLog>& expected, const std::vector<SubscriptionLog>& actual) {
  if (expected == actual) return std::nullopt;
  std::string out = "  expected subscriptions:";
  if (expected.empty()) out += " (none)";
  for (const auto& log : expected) {
    out += "\n    " + render_subscription(log) + "   (" + describe_subscription(log) + ")";
  }
  out += "\n  actual subscriptions:";
  if (actual.empty()) out += " (none)";
  for (const auto& log : actual) {
    out += "\n    " + render_subscription(log) + "   (" + describe_subscription(log) + ")";
  }
  return out;
}

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
