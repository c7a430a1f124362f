// Fuzz target: the marble diagram parser and TestScheduler's use of it.
//
// Input: one mode byte, then the diagram. Modes: 0 the parser functions (parse_marbles in every
// context, parse_subscription_marbles, parse_time) and the renderers; 1 a cold observable played
// by a TestScheduler; 2 a hot one; 3 a subscription diagram given to expect_observable.
// Checks: a bad diagram throws std::invalid_argument with the parser's message, nothing else
// escapes; parsed events are in diagram order with times that never go back, within
// max_marble_time, with at most one terminal event, last; rendering the events and parsing the
// drawing gives the same events; parse_time() and ts.time() agree with the '|' event; a cold or
// hot observable played by TestScheduler emits exactly its diagram (a hot one from its '^' on)
// and logs its subscription; a subscription diagram subscribes and unsubscribes at its '^' and
// '!'.
#include <rxsync/testing/marbles.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using rxsync::Duration;
using rxsync::testing::DiagramEvent;
using rxsync::testing::MarbleContext;
using rxsync::testing::MarbleKind;
using rxsync::testing::MarbleToken;
using rxsync::testing::max_marble_time;
using rxsync::testing::parse_marbles;
using rxsync::testing::TestScheduler;

void check_marble_error(const std::invalid_argument& e) {
  const std::string_view what = e.what();
  RXSYNC_FUZZ_CHECK(what.rfind("rxsync::testing: ", 0) == 0,
                    std::string("invalid_argument not from the marble parser: ") + e.what());
}

template <class F>
auto parse_or_null(F&& parse) -> std::optional<decltype(parse())> {
  try {
    return parse();
  } catch (const std::invalid_argument& e) {
    check_marble_error(e);
    return std::nullopt;
  }
}

std::string summary(const std::vector<MarbleToken>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    out += t.symbol;
    out += '@' + std::to_string(t.time.count()) + ' ';
  }
  return out;
}

void check_tokens(std::string_view m, const std::vector<MarbleToken>& tokens, bool from_zero) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    RXSYNC_FUZZ_CHECK(t.position < m.size() && m[t.position] == t.symbol,
                      "token position does not point at its symbol");
    const MarbleKind kind = t.symbol == '|'   ? MarbleKind::completed
                            : t.symbol == '#' ? MarbleKind::error
                                              : MarbleKind::next;
    RXSYNC_FUZZ_CHECK(t.kind == kind, "token kind does not match its symbol");
    RXSYNC_FUZZ_CHECK(kind == MarbleKind::next || i + 1 == tokens.size(),
                      "an event after the terminal one");
    RXSYNC_FUZZ_CHECK(t.time <= max_marble_time && t.time >= -max_marble_time,
                      "event time beyond max_marble_time: " + summary(tokens));
    RXSYNC_FUZZ_CHECK(!from_zero || t.time >= Duration::zero(), "negative time without '^'");
    if (i > 0) {
      RXSYNC_FUZZ_CHECK(tokens[i - 1].position < t.position, "tokens out of diagram order");
      RXSYNC_FUZZ_CHECK(tokens[i - 1].time <= t.time, "time goes back: " + summary(tokens));
    }
  }
}

std::vector<DiagramEvent> events_of(const std::vector<MarbleToken>& tokens) {
  std::vector<DiagramEvent> out;
  for (const auto& t : tokens) out.push_back({t.time, std::string(1, t.symbol)});
  return out;
}

void parse_functions(std::string_view m) {
  const auto cold = parse_or_null([&] { return parse_marbles(m, MarbleContext::cold); });
  const auto hot = parse_or_null([&] { return parse_marbles(m, MarbleContext::hot); });
  const auto expected = parse_or_null([&] { return parse_marbles(m, MarbleContext::expected); });
  RXSYNC_FUZZ_CHECK(
      hot.has_value() == expected.has_value() && (!hot || summary(*hot) == summary(*expected)),
      "hot and expected diagrams parse differently");
  const bool has_origin = m.find('^') != std::string_view::npos;
  if (cold) {
    check_tokens(m, *cold, true);
    RXSYNC_FUZZ_CHECK(hot && summary(*hot) == summary(*cold),
                      "a cold diagram parses differently as a hot one");
    // The renderer draws long silences as progressions and groups as groups; parsing the
    // drawing must give the same events, except in the case it documents: digits spelling a
    // progression followed by less than a frame of silence (which needs fractional times).
    const std::string drawn = rxsync::testing::render_aligned({events_of(*cold)})[0];
    bool whole_frames = true;
    bool digits = false;
    for (const auto& t : *cold) {
      whole_frames = whole_frames && t.time % rxsync::testing::frame_duration == Duration::zero();
      digits = digits || (t.symbol >= '0' && t.symbol <= '9');
    }
    if (whole_frames || !digits) {
      const auto again = parse_or_null([&] { return parse_marbles(drawn, MarbleContext::cold); });
      RXSYNC_FUZZ_CHECK(again && summary(*again) == summary(*cold),
                        "rendered \"" + drawn + "\" does not parse back to " + summary(*cold));
    }
  } else if (hot) {
    RXSYNC_FUZZ_CHECK(has_origin, "only '^' may make a diagram hot but not cold");
  }
  if (hot) check_tokens(m, *hot, !has_origin);

  const auto time = parse_or_null([&] { return rxsync::testing::parse_time(m); });
  std::optional<Duration> completion;
  if (cold) {
    for (const auto& t : *cold) {
      if (t.kind == MarbleKind::completed) completion = t.time;
    }
  }
  RXSYNC_FUZZ_CHECK(time == completion, "parse_time disagrees with the '|' event");
  RXSYNC_FUZZ_CHECK(parse_or_null([&] { return TestScheduler::time(m); }) == time,
                    "TestScheduler::time disagrees with parse_time");

  const auto sub = parse_or_null([&] { return rxsync::testing::parse_subscription_marbles(m); });
  if (sub) {
    for (const auto& t : {sub->subscribed, sub->unsubscribed}) {
      RXSYNC_FUZZ_CHECK(!t || (*t >= Duration::zero() && *t <= max_marble_time),
                        "subscription time out of range");
    }
    RXSYNC_FUZZ_CHECK(
        !sub->subscribed || !sub->unsubscribed || *sub->subscribed <= *sub->unsubscribed,
        "unsubscribed before subscribing");
    if (sub->subscribed) {
      const rxsync::testing::SubscriptionLog log{*sub->subscribed, sub->unsubscribed};
      const std::string drawn = rxsync::testing::render_subscription(log);
      const auto again =
          parse_or_null([&] { return rxsync::testing::parse_subscription_marbles(drawn); });
      RXSYNC_FUZZ_CHECK(
          again && again->subscribed == sub->subscribed && again->unsubscribed == sub->unsubscribed,
          "rendered subscription \"" + drawn + "\" does not parse back");
    }
  }
}

void require_ok(TestScheduler& ts, std::string_view m) {
  const auto result = ts.flush();
  RXSYNC_FUZZ_CHECK(result.ok(), "diagram \"" + std::string(m) + "\":\n" + result.message());
}

// A cold observable replays its own diagram for a subscriber at frame 0, and its subscription
// ends at its terminal event.
void cold_observable(std::string_view m) {
  TestScheduler ts;
  ts.set_max_time(max_marble_time);
  auto cold = parse_or_null([&] { return ts.cold(m); });
  if (!cold) return;
  ts.expect_observable(*cold).to_be(m);
  require_ok(ts, m);
  RXSYNC_FUZZ_CHECK(cold->subscriptions().size() == 1, "cold observable subscribed once");
  const auto& log = cold->subscriptions()[0];
  std::optional<Duration> end;
  for (const auto& e : cold->messages()) {
    if (e.kind != MarbleKind::next) end = e.time;
  }
  RXSYNC_FUZZ_CHECK(log.subscribed == Duration::zero() && log.unsubscribed == end,
                    "cold subscription log is " + rxsync::testing::describe_subscription(log));
}

// A hot observable plays from the scheduler's start; a subscriber at frame 0 sees what follows
// its '^', or only its terminal event if that came before.
void hot_observable(std::string_view m) {
  const auto tokens = parse_or_null([&] { return parse_marbles(m, MarbleContext::hot); });
  TestScheduler ts;
  ts.set_max_time(max_marble_time);
  auto hot = parse_or_null([&] { return ts.hot(m); });
  RXSYNC_FUZZ_CHECK(hot.has_value() == tokens.has_value(), "ts.hot and parse_marbles disagree");
  if (!hot) return;
  std::vector<MarbleToken> seen;
  for (const auto& t : *tokens) {
    if (t.time >= Duration::zero()) {
      seen.push_back(t);
    } else if (t.kind != MarbleKind::next) {
      seen.push_back(t);
      seen.back().time = Duration::zero();
    }
  }
  // Recorded by hand: a diagram drawn from `seen` would not always parse back (see
  // render_aligned), and the events must match exactly anyway.
  std::vector<MarbleToken> actual;
  auto record = [&](char symbol, MarbleKind kind) {
    actual.push_back({ts.elapsed(), kind, symbol, 0});
  };
  rxsync::Subscription subscription;
  ts.schedule([&] {
    subscription = hot->subscribe([&](char c) { record(c, MarbleKind::next); },
                                  [&](std::exception_ptr) { record('#', MarbleKind::error); },
                                  [&] { record('|', MarbleKind::completed); });
  });
  require_ok(ts, m);
  RXSYNC_FUZZ_CHECK(summary(actual) == summary(seen), "hot diagram \"" + std::string(m) +
                                                          "\" played " + summary(actual) +
                                                          ", expected " + summary(seen));
  RXSYNC_FUZZ_CHECK(hot->subscriptions().size() == 1, "hot observable subscribed once");
  const auto& log = hot->subscriptions()[0];
  std::optional<Duration> end;
  if (!seen.empty() && seen.back().kind != MarbleKind::next) end = seen.back().time;
  RXSYNC_FUZZ_CHECK(log.subscribed == Duration::zero() && log.unsubscribed == end,
                    "hot subscription log is " + rxsync::testing::describe_subscription(log));
}

// expect_observable(obs, m) subscribes at m's '^' (or 0) and unsubscribes at its '!'.
void subscription_diagram(std::string_view m) {
  const auto sub = parse_or_null([&] { return rxsync::testing::parse_subscription_marbles(m); });
  TestScheduler ts;
  ts.set_max_time(max_marble_time);
  auto never = ts.cold("-");
  try {
    ts.expect_observable(never, m).to_be("");
  } catch (const std::invalid_argument& e) {
    check_marble_error(e);
    RXSYNC_FUZZ_CHECK(!sub, "expect_observable refused a diagram the parser accepts");
    return;
  }
  RXSYNC_FUZZ_CHECK(sub.has_value(), "expect_observable took a diagram the parser refuses");
  if (sub->subscribed) ts.expect_subscriptions(never.subscriptions()).to_be({m});
  require_ok(ts, m);
  RXSYNC_FUZZ_CHECK(never.subscriptions().size() == 1, "subscribed once");
  const auto& log = never.subscriptions()[0];
  RXSYNC_FUZZ_CHECK(log.subscribed == sub->subscribed.value_or(Duration::zero()) &&
                        log.unsubscribed == sub->unsubscribed,
                    "subscription log is " + rxsync::testing::describe_subscription(log));
}

constexpr void (*modes[])(std::string_view) = {&parse_functions, &cold_observable, &hot_observable,
                                               &subscription_diagram};
constexpr std::size_t mode_count = sizeof(modes) / sizeof(modes[0]);

int run_one(std::string_view input) {
  if (input.empty()) return 0;
  try {
    modes[static_cast<std::uint8_t>(input[0]) % mode_count](input.substr(1));
  } catch (...) {
    rxsync_fuzz::unexpected_exception("marbles");
  }
  return 0;
}

std::vector<rxsync_fuzz::Seed> seeds() {
  const std::vector<std::string> diagrams{
      "--a--^--b--|",
      "-a-#",
      "-(ab)c-|",
      "a 10ms b 1.5s |",
      "^ 2m (x|)",
      "--^---!",
      "(^!)",
      "^ 100ms !",
      "1-2-3",
      "a10ms b",
      "abcdefabcdefa|",
      "  --a  -\t-b\n|",
      "2305843009212.693951ms |",
      "1s 2305843009s 2305843009s 2305843009s 2305843009s |",
      "-(a-",
      "(a(b))",
      "-a|b",
      "a\x01",
  };
  std::vector<rxsync_fuzz::Seed> out;
  const char* names[] = {"parse", "cold", "hot", "subscription"};
  for (std::size_t mode = 0; mode < mode_count; ++mode) {
    for (std::size_t i = 0; i < diagrams.size(); ++i) {
      // Every mode sees the valid diagrams; the rejected ones (the last five) only the parser.
      if (mode > 0 && i + 5 >= diagrams.size()) continue;
      out.push_back({std::string(names[mode]) + "-" + std::to_string(i),
                     static_cast<char>(mode) + diagrams[i]});
    }
  }
  return out;
}

}  // namespace

RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)
