// rxsync/testing/marble_parser.hpp - the RxJS run-mode marble grammar, without any values.
//
// Turns a diagram such as "--a--^--(bc)--| " into timed tokens (value letters, '|', '#') and a
// subscription diagram such as "^--!" into a pair of times. Pure functions: thread-safe.
// Bad diagrams throw std::invalid_argument quoting the diagram and the 0-based position.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rxsync/core/time.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace testing {

// One marble frame. RxJS run mode uses 1 ms as well, so "10ms" and "----------" agree.
inline constexpr Duration frame_duration = std::chrono::milliseconds(1);

// The longest time a diagram may span (about 73 years). A quarter of the Duration range, so the
// times of a diagram can still be added to a scheduler's clock and subtracted from each other
// without overflowing. A diagram that goes past it throws std::invalid_argument.
inline constexpr Duration max_marble_time{std::numeric_limits<Duration::rep>::max() / 4};

enum class MarbleKind { next, error, completed };

// One event of a parsed diagram. `time` is relative to the diagram's origin: its first
// character, or its '^' when it has one.
struct MarbleToken {
  Duration time{};
  MarbleKind kind = MarbleKind::next;
  char symbol = '\0';        // the value letter, '#' or '|'
  std::size_t position = 0;  // index in the diagram, for error messages
};

// What a diagram describes; decides which markers it may contain.
enum class MarbleContext {
  hot,       // may have one '^'
  cold,      // no '^': a cold observable starts when subscribed
  expected,  // an expect_observable(...).to_be() diagram; may have one '^' (RxJS allows it)
};

// Times of '^' and '!' in a subscription diagram ("^---!", "--^-", "---!").
struct SubscriptionMarble {
  std::optional<Duration> subscribed;
  std::optional<Duration> unsubscribed;
};

namespace detail {

[[noreturn]] inline void marble_error(std::string_view marble, std::size_t pos,
                                      const std::string& what) {
  throw std::invalid_argument("rxsync::testing: bad marble diagram \"" + std::string(marble) +
                              "\": " + what + " at position " + std::to_string(pos));
}

inline std::string marble_time_limit_text() {
  return std::to_string(max_marble_time.count()) + "ns (about 73 years)";
}

inline bool marble_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// RxJS: a time progression ("10ms", "1.5s", "2m") starts the diagram or follows whitespace,
// and must be followed by whitespace; otherwise its characters are ordinary values. On a match,
// returns the duration and sets `length` to the characters consumed (without the space).
inline std::optional<Duration> match_progression(std::string_view m, std::size_t i,
                                                 std::size_t& length) {
  if (i > 0 && !marble_space(m[i - 1])) return std::nullopt;
  std::size_t j = i;
  std::uint64_t whole = 0;
  std::uint64_t frac = 0;
  std::uint64_t frac_scale = 1;
  bool overflow = false;
  auto digit = [&](std::size_t k) { return k < m.size() && m[k] >= '0' && m[k] <= '9'; };
  if (!digit(j)) return std::nullopt;
  while (digit(j)) {
    if (whole > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) overflow = true;
    whole = whole * 10 + static_cast<std::uint64_t>(m[j] - '0');
    ++j;
  }
  if (j < m.size() && m[j] == '.' && digit(j + 1)) {
    ++j;
    while (digit(j)) {
      if (frac_scale < 1'000'000'000'000ULL) {  // finer than a nanosecond is dropped
        frac = frac * 10 + static_cast<std::uint64_t>(m[j] - '0');
        frac_scale *= 10;
      }
      ++j;
    }
  }
  std::uint64_t unit_ns = 0;
  if (m.substr(j, 2) == "ms") {
    unit_ns = 1'000'000ULL;
    j += 2;
  } else if (j < m.size() && m[j] == 's') {
    unit_ns = 1'000'000'000ULL;
    j += 1;
  } else if (j < m.size() && m[j] == 'm') {
    unit_ns = 60'000'000'000ULL;
    j += 1;
  } else {
    return std::nullopt;
  }
  if (j >= m.size() || !marble_space(m[j])) return std::nullopt;
  constexpr auto max_ns = static_cast<std::uint64_t>(max_marble_time.count());
  // The fraction goes through long double: frac * unit_ns could overflow 64 bits.
  const auto frac_ns = static_cast<std::uint64_t>(static_cast<long double>(frac) *
                                                      static_cast<long double>(unit_ns) /
                                                      static_cast<long double>(frac_scale) +
                                                  0.5L);
  // frac_ns < unit_ns, so once whole * unit_ns is known to fit, the sum cannot wrap.
  if (overflow || whole > max_ns / unit_ns || whole * unit_ns + frac_ns > max_ns) {
    marble_error(m, i,
                 "time progression \"" + std::string(m.substr(i, j - i)) +
                     "\" is too long: the limit is " + marble_time_limit_text());
  }
  length = j - i;
  return Duration(static_cast<Duration::rep>(whole * unit_ns + frac_ns));
}

// Walks a diagram applying RxJS run-mode timing: '-' and every marker advance one frame, a
// group "(ab)" starts at the frame of its '(' and advances time by its length in characters,
// whitespace is ignored, and a progression advances by its duration. `on_symbol(c, pos, time)`
// sees every other character with its frame time (the group's start inside a group) and
// returns false when the character must not advance time ('!' in a subscription diagram).
// Time may not go past max_marble_time.
template <class OnSymbol>
void scan_marbles(std::string_view m, OnSymbol&& on_symbol) {
  Duration now{};
  // `now` stays within [0, max_marble_time], so the subtraction cannot wrap either.
  // progression_length is 0 for a one-character step.
  auto advance = [&](Duration step, std::size_t pos, std::size_t progression_length = 0) {
    if (step > max_marble_time - now) {
      const std::string what =
          progression_length == 0
              ? "'" + std::string(1, m[pos]) + "'"
              : "time progression \"" + std::string(m.substr(pos, progression_length)) + "\"";
      marble_error(m, pos,
                   what + " takes the diagram past the time limit of " + marble_time_limit_text());
    }
    now += step;
  };
  std::optional<Duration> group_start;
  std::size_t group_pos = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const char c = m[i];
    if (marble_space(c)) continue;
    if (c == '-') {
      advance(frame_duration, i);
    } else if (c == '(') {
      if (group_start)
        marble_error(m, i,
                     "'(' inside the group opened at " + std::to_string(group_pos) +
                         " (groups do not nest)");
      group_start = now;
      group_pos = i;
      advance(frame_duration, i);
    } else if (c == ')') {
      if (!group_start) marble_error(m, i, "')' without a matching '('");
      group_start.reset();
      advance(frame_duration, i);
    } else if (c >= '0' && c <= '9') {
      std::size_t length = 0;
      if (auto step = match_progression(m, i, length)) {
        advance(*step, i, length);
        i += length - 1;
        continue;
      }
      if (on_symbol(c, i, group_start.value_or(now))) advance(frame_duration, i);
    } else {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        marble_error(m, i,
                     "character code " + std::to_string(static_cast<unsigned char>(c)) +
                         " is not a marble (use printable ASCII)");
      }
      if (on_symbol(c, i, group_start.value_or(now))) advance(frame_duration, i);
    }
  }
  if (group_start) marble_error(m, group_pos, "'(' is never closed");
}

}  // namespace detail

// Parses an observable diagram into its events, in diagram order. With a '^', times are shifted
// so that '^' is at zero (events before it get negative times).
inline std::vector<MarbleToken> parse_marbles(std::string_view marble,
                                              MarbleContext context = MarbleContext::expected) {
  std::vector<MarbleToken> tokens;
  std::optional<Duration> origin;
  std::size_t origin_pos = 0;
  std::optional<std::size_t> terminal_pos;
  detail::scan_marbles(marble, [&](char c, std::size_t pos, Duration time) {
    if (c == '^') {
      if (context == MarbleContext::cold) {
        detail::marble_error(marble, pos, "'^' in a cold observable (it starts when subscribed)");
      }
      if (origin) {
        detail::marble_error(marble, pos,
                             "second '^' (the first is at " + std::to_string(origin_pos) + ")");
      }
      origin = time;
      origin_pos = pos;
      return true;
    }
    if (c == '!') {
      detail::marble_error(marble, pos,
                           "'!' belongs in a subscription diagram, not an observable diagram");
    }
    if (terminal_pos) {
      detail::marble_error(marble, pos,
                           std::string("'") + c + "' after the terminal '" + marble[*terminal_pos] +
                               "' at " + std::to_string(*terminal_pos));
    }
    MarbleToken token{time, MarbleKind::next, c, pos};
    if (c == '|' || c == '#') {
      token.kind = c == '|' ? MarbleKind::completed : MarbleKind::error;
      terminal_pos = pos;
    }
    tokens.push_back(token);
    return true;
  });
  if (origin) {
    for (auto& token : tokens) token.time -= *origin;
  }
  return tokens;
}

// Parses a subscription diagram: only '-', '^', '!', groups, whitespace and progressions.
// '!' does not advance time (RxJS), so "^!" subscribes and unsubscribes in frame 0.
inline SubscriptionMarble parse_subscription_marbles(std::string_view marble) {
  SubscriptionMarble result;
  std::size_t sub_pos = 0;
  detail::scan_marbles(marble, [&](char c, std::size_t pos, Duration time) {
    if (c == '^') {
      if (result.subscribed) {
        detail::marble_error(marble, pos,
                             "second '^' (the first is at " + std::to_string(sub_pos) + ")");
      }
      if (result.unsubscribed) detail::marble_error(marble, pos, "'^' after '!'");
      result.subscribed = time;
      sub_pos = pos;
      return true;
    }
    if (c == '!') {
      if (result.unsubscribed) detail::marble_error(marble, pos, "second '!'");
      result.unsubscribed = time;
      return false;
    }
    detail::marble_error(marble, pos,
                         std::string("'") + c +
                             "' in a subscription diagram (only '-', '^', '!', '(', ')', spaces "
                             "and time progressions are allowed)");
  });
  return result;
}

// The time of the '|' in a diagram: time("---|") is 3 ms, time("1s |") is one second.
inline Duration parse_time(std::string_view marble) {
  for (const auto& token : parse_marbles(marble, MarbleContext::cold)) {
    if (token.kind == MarbleKind::completed) return token.time;
  }
  throw std::invalid_argument("rxsync::testing: time diagram \"" + std::string(marble) +
                              "\" needs a completion marker '|'");
}

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
