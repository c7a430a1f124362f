// The marble grammar (RxJS run mode) and the diagram renderer.
#include <rxsync/testing/marble_diagram.hpp>
#include <rxsync/testing/marble_parser.hpp>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::testing::MarbleContext;
using rxsync::testing::MarbleKind;
using rxsync::testing::parse_marbles;
using rxsync::testing::parse_subscription_marbles;
using rxsync::testing::parse_time;

namespace {

// "a@3 |@5" : a compact image of the tokens, so each case is one line.
std::string summary(std::string_view marble, MarbleContext ctx = MarbleContext::expected) {
  std::string out;
  for (const auto& t : parse_marbles(marble, ctx)) {
    if (!out.empty()) out += ' ';
    out += t.symbol;
    out += '@';
    out += rxsync::testing::format_time(t.time);
  }
  return out;
}

}  // namespace

TEST_CASE("marble frames, values and terminals") {
  CHECK(summary("") == "");
  CHECK(summary("a") == "a@0ms");
  CHECK(summary("--a-b--|") == "a@2ms b@4ms |@7ms");
  CHECK(summary("-x-#") == "x@1ms #@3ms");
  CHECK(summary("1-2-3") == "1@0ms 2@2ms 3@4ms");  // digits are values when not a progression
  CHECK(summary("-*-$") == "*@1ms $@3ms");         // any printable character is a value
  auto tokens = parse_marbles("-a|");
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0].kind == MarbleKind::next);
  CHECK(tokens[0].position == 1);
  CHECK(tokens[1].kind == MarbleKind::completed);
  CHECK(parse_marbles("#")[0].kind == MarbleKind::error);
}

TEST_CASE("marble spaces are ignored and do not take time") {
  CHECK(summary("  --a  - -b  ") == "a@2ms b@5ms");
  CHECK(summary("a\tb\nc") == "a@0ms b@1ms c@2ms");
}

TEST_CASE("marble groups put events in one frame and advance time by their length") {
  CHECK(summary("(ab)") == "a@0ms b@0ms");
  CHECK(summary("-(ab)c") == "a@1ms b@1ms c@5ms");  // RxJS: "(ab)" occupies 4 frames
  CHECK(summary("--(a|)") == "a@2ms |@2ms");
  CHECK(summary("()a") == "a@2ms");
}

TEST_CASE("marble subscription point sets frame zero") {
  CHECK(summary("--a--^--b--|", MarbleContext::hot) == "a@-3ms b@3ms |@6ms");
  CHECK(summary("^a") == "a@1ms");
  // Spaces, groups and progressions before '^' count by time, not by characters.
  CHECK(summary("a 10ms ^b", MarbleContext::hot) == "a@-11ms b@1ms");
  CHECK(summary("(a^)b", MarbleContext::hot) == "a@0ms b@4ms");
}

TEST_CASE("marble time progressions") {
  CHECK(summary("a 10ms b") == "a@0ms b@11ms");
  CHECK(summary("10ms a") == "a@10ms");
  CHECK(summary("1s a") == "a@1000ms");
  CHECK(summary("2m a") == "a@120000ms");
  CHECK(summary("1.5ms a") == "a@1.5ms");
  CHECK(summary("0.25s a") == "a@250ms");
  CHECK(summary("a 5ms 5ms b") == "a@0ms b@11ms");
  SECTION("not a progression unless it starts the diagram or follows a space") {
    CHECK(summary("a10ms b") == "a@0ms 1@1ms 0@2ms m@3ms s@4ms b@5ms");
  }
  SECTION("not a progression unless a space follows (RxJS)") {
    CHECK(summary("a 1s") == "a@0ms 1@1ms s@2ms");
    CHECK(summary("5x a") == "5@0ms x@1ms a@2ms");
  }
  SECTION("absurd lengths are rejected") {
    REQUIRE_THROWS_AS(parse_marbles("99999999999999999999m a"), std::invalid_argument);
    REQUIRE_THROWS_WITH(parse_marbles("99999999999m a"), rxsync_test::contains("too long"));
  }
}

// A diagram may span at most max_marble_time, 2305843009213693951 ns (a quarter of the int64
// range, so that its times can still be added to a scheduler's clock and subtracted from each
// other). Every character that takes time counts, the frame of a final '|' included.
TEST_CASE("marble diagrams longer than max_marble_time are rejected") {
  using rxsync::testing::max_marble_time;
  using rxsync_test::contains;
  const std::string limit = "2305843009213693951ns";
  CHECK(max_marble_time == Duration(2'305'843'009'213'693'951));
  SECTION("up to the limit is accepted") {
    CHECK(parse_time("2305843009212.693951ms |") == max_marble_time - 1ms);
    CHECK(parse_time("2305843009211ms - 0.693951ms |") == max_marble_time - 1ms);
    CHECK(parse_subscription_marbles("^ 2305843009212ms 0.693951ms !").unsubscribed ==
          max_marble_time);
    CHECK(parse_marbles("2305843009213.693951ms ").empty());
  }
  SECTION("one progression beyond the limit, fraction included") {
    const std::string m = "2305843009.5s |";
    REQUIRE_THROWS_AS(parse_time(m), std::invalid_argument);
    REQUIRE_THROWS_WITH(parse_time(m), contains("\"" + m + "\""));
    REQUIRE_THROWS_WITH(parse_time(m), contains("time progression \"2305843009.5s\" is too long"));
    REQUIRE_THROWS_WITH(parse_time(m), contains(limit));
    REQUIRE_THROWS_WITH(parse_time("2305843009213.693952ms |"), contains("too long"));
  }
  SECTION("progressions that each fit but add up to more than the limit") {
    const std::string m = "1s 2305843009s 2305843009s 2305843009s 2305843009s |";
    REQUIRE_THROWS_AS(parse_time(m), std::invalid_argument);
    REQUIRE_THROWS_WITH(parse_time(m), contains("\"" + m + "\""));
    // 1 s plus the first 2305843009 s is already past the limit.
    REQUIRE_THROWS_WITH(parse_time(m),
                        contains("time progression \"2305843009s\" takes the diagram past"));
    REQUIRE_THROWS_WITH(parse_time(m), contains("at position 3"));
    REQUIRE_THROWS_WITH(parse_time(m), contains(limit));
    REQUIRE_THROWS_AS(parse_marbles("a 2000000000s 2000000000s b"), std::invalid_argument);
    REQUIRE_THROWS_AS(parse_subscription_marbles("^ 2000000000s 2000000000s !"),
                      std::invalid_argument);
  }
  SECTION("frames, values, groups and markers count towards the limit too") {
    const std::string m = "2305843009213.693951ms -";
    REQUIRE_THROWS_WITH(parse_marbles(m), contains("\"" + m + "\""));
    REQUIRE_THROWS_WITH(parse_marbles(m), contains("'-' takes the diagram past"));
    REQUIRE_THROWS_WITH(parse_marbles(m), contains("at position 23"));
    REQUIRE_THROWS_WITH(parse_marbles(m), contains(limit));
    REQUIRE_THROWS_WITH(parse_marbles("2305843009213.693951ms a"),
                        contains("'a' takes the diagram past"));
    REQUIRE_THROWS_WITH(parse_marbles("2305843009213.69ms (ab)"),
                        contains("'(' takes the diagram past"));
    REQUIRE_THROWS_WITH(parse_time("2305843009213.693951ms |"),
                        contains("'|' takes the diagram past"));
  }
}

TEST_CASE("bad marble diagrams throw invalid_argument naming the position") {
  using rxsync_test::contains;
  REQUIRE_THROWS_AS(parse_marbles("-(a-"), std::invalid_argument);
  REQUIRE_THROWS_WITH(parse_marbles("-(a-"), contains("'(' is never closed at position 1"));
  REQUIRE_THROWS_WITH(parse_marbles("-a)-"), contains("')' without a matching '(' at position 2"));
  REQUIRE_THROWS_WITH(parse_marbles("(a(b))"), contains("groups do not nest"));
  REQUIRE_THROWS_WITH(parse_marbles("-^-^", MarbleContext::hot),
                      contains("second '^' (the first is at 1) at position 3"));
  REQUIRE_THROWS_WITH(parse_marbles("-^-a", MarbleContext::cold), contains("cold observable"));
  REQUIRE_THROWS_WITH(parse_marbles("-a-!"), contains("'!' belongs in a subscription diagram"));
  REQUIRE_THROWS_WITH(parse_marbles("-a|b"),
                      contains("'b' after the terminal '|' at 2 at position 3"));
  REQUIRE_THROWS_WITH(parse_marbles("#-|"), contains("after the terminal '#'"));
  REQUIRE_THROWS_WITH(parse_marbles("(|a)"), contains("after the terminal"));
  REQUIRE_THROWS_WITH(parse_marbles("a\x01"), contains("character code 1"));
  REQUIRE_THROWS_WITH(parse_marbles("--(a"), contains("\"--(a\""));  // quotes the diagram
  CHECK_NOTHROW(parse_marbles("-a-|---"));  // frames after the terminal are fine
}

TEST_CASE("subscription diagrams") {
  auto s = parse_subscription_marbles("^---!");
  CHECK(s.subscribed == Duration(0ms));
  CHECK(s.unsubscribed == Duration(4ms));
  s = parse_subscription_marbles("--^--!");
  CHECK(s.subscribed == Duration(2ms));
  CHECK(s.unsubscribed == Duration(5ms));
  s = parse_subscription_marbles("---!");
  CHECK_FALSE(s.subscribed);
  CHECK(s.unsubscribed == Duration(3ms));
  s = parse_subscription_marbles("^!");  // '^' takes a frame, '!' does not
  CHECK(s.unsubscribed == Duration(1ms));
  s = parse_subscription_marbles("-(^!)");
  CHECK(s.subscribed == Duration(1ms));
  CHECK(s.unsubscribed == Duration(1ms));
  s = parse_subscription_marbles("^ 100ms !");
  CHECK(s.unsubscribed == Duration(101ms));
  s = parse_subscription_marbles("");
  CHECK_FALSE(s.subscribed);
  CHECK_FALSE(s.unsubscribed);

  using rxsync_test::contains;
  REQUIRE_THROWS_WITH(parse_subscription_marbles("^-^"), contains("second '^'"));
  REQUIRE_THROWS_WITH(parse_subscription_marbles("^-!-!"), contains("second '!' at position 4"));
  REQUIRE_THROWS_WITH(parse_subscription_marbles("!-^"), contains("'^' after '!'"));
  REQUIRE_THROWS_WITH(parse_subscription_marbles("^-a-!"),
                      contains("'a' in a subscription diagram"));
  REQUIRE_THROWS_AS(parse_subscription_marbles("^-(-!"), std::invalid_argument);
}

TEST_CASE("time() measures up to the completion marker") {
  CHECK(parse_time("--|") == Duration(2ms));
  CHECK(parse_time("|") == Duration(0ms));
  CHECK(parse_time("10ms |") == Duration(10ms));
  CHECK(parse_time("-a-|") == Duration(3ms));
  REQUIRE_THROWS_WITH(parse_time("---"), rxsync_test::contains("needs a completion marker"));
  REQUIRE_THROWS_AS(parse_time("-^-|"), std::invalid_argument);
}

TEST_CASE("format_time") {
  using rxsync::testing::format_time;
  CHECK(format_time(0ms) == "0ms");
  CHECK(format_time(1500us) == "1.5ms");
  CHECK(format_time(Duration(1)) == "0.000001ms");
  CHECK(format_time(-2ms) == "-2ms");
  CHECK(format_time(2s) == "2000ms");
}

TEST_CASE("rendered diagrams align frames and parse back to the same times") {
  using rxsync::testing::DiagramEvent;
  using rxsync::testing::render_aligned;
  auto lines = render_aligned({{{2ms, "a"}, {2ms, "b"}, {7ms, "|"}}, {{2ms, "a"}, {9ms, "|"}}});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "--(ab)-|");
  CHECK(lines[1] == "--a------|");
  CHECK(summary(lines[0]) == "a@2ms b@2ms |@7ms");
  CHECK(summary(lines[1]) == "a@2ms |@9ms");

  auto far = render_aligned({{{0ms, "a"}, {500ms, "b"}}});
  CHECK(far[0] == "a 499ms b");
  CHECK(summary(far[0]) == "a@0ms b@500ms");
  CHECK(render_aligned({{}, {}}) == std::vector<std::string>{"", ""});
}

TEST_CASE("rendered letters that spell a progression stay letters") {
  using rxsync::testing::render_aligned;
  // '1' 's' followed by a long silence drawn as a progression must not become "1s ".
  const auto drawn = render_aligned({{{0ms, "1"}, {1ms, "s"}, {100ms, "2"}}})[0];
  CHECK(drawn == "1s- 97ms 2");
  CHECK(summary(drawn) == "1@0ms s@1ms 2@100ms");
  // The same after a progression, and with a fraction, in every aligned line.
  const auto lines = render_aligned(
      {{{0ms, "a"}, {50ms, "2"}, {51ms, "."}, {52ms, "5"}, {53ms, "m"}, {54ms, "s"}, {300ms, "b"}},
       {{0ms, "a"}, {300ms, "c"}}});
  CHECK(lines[0] == "a 49ms 2.5ms- 244ms b");
  CHECK(lines[1] == "a 49ms ------ 244ms c");
  CHECK(summary(lines[0]) == "a@0ms 2@50ms .@51ms 5@52ms m@53ms s@54ms b@300ms");
  CHECK(summary(lines[1]) == "a@0ms c@300ms");
  // Letters that do not spell one are left alone.
  CHECK(render_aligned({{{0ms, "1"}, {1ms, "x"}, {100ms, "2"}}})[0] == "1x 98ms 2");
}

TEST_CASE("rendered subscription logs parse back") {
  using rxsync::testing::render_subscription;
  using rxsync::testing::SubscriptionLog;
  for (auto log :
       {SubscriptionLog{0ms, 4ms}, SubscriptionLog{3ms, std::nullopt}, SubscriptionLog{2ms, 2ms},
        SubscriptionLog{50ms, 400ms}, SubscriptionLog{0ms, 1ms}}) {
    const std::string text = render_subscription(log);
    auto parsed = parse_subscription_marbles(text);
    INFO(text);
    CHECK(parsed.subscribed == log.subscribed);
    CHECK(parsed.unsubscribed == log.unsubscribed);
  }
  CHECK(render_subscription({0ms, 4ms}) == "^---!");
  CHECK(render_subscription({1ms, 1ms}) == "-(^!)");
}

TEST_CASE("property: random diagrams parse or throw invalid_argument, and render round-trips") {
  std::mt19937 rng(20261122);  // seeded: failures reproduce
  const std::vector<std::string> pieces{"-", "-", "-", "a",     "b",       "7", "|", "#",
                                        "(", ")", " ", " 3ms ", " 1.5ms ", "^", "!", "x"};
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 14);
  int valid = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string marble;
    for (int n = length(rng); n > 0; --n) marble += pieces[pick(rng)];
    INFO(marble);
    std::vector<rxsync::testing::MarbleToken> tokens;
    try {
      tokens = parse_marbles(marble, MarbleContext::cold);
    } catch (const std::invalid_argument&) {
      continue;  // any other exception type fails the test
    }
    ++valid;
    std::vector<rxsync::testing::DiagramEvent> events;
    for (const auto& t : tokens) events.push_back({t.time, std::string(1, t.symbol)});
    const std::string drawn = rxsync::testing::render_aligned({events})[0];
    INFO(drawn);
    CHECK(summary(drawn, MarbleContext::cold) == summary(marble, MarbleContext::cold));
  }
  CHECK(valid > 300);  // the generator must exercise the valid path too
}
