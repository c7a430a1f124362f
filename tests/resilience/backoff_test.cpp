#include <rxsync/resilience/backoff.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::BackoffOptions;
using rxsync::Duration;
using rxsync::ExponentialBackoff;
using rxsync::FixedDelays;
using rxsync::Jitter;

namespace {

// Replays a fixed list of draws (shared, so copies of the policy consume the same list).
struct Draws {
  std::shared_ptr<std::vector<double>> values;
  std::shared_ptr<std::size_t> next = std::make_shared<std::size_t>(0);
  explicit Draws(std::vector<double> v)
      : values(std::make_shared<std::vector<double>>(std::move(v))) {}
  Draws() : Draws(std::vector<double>{}) {}
  double operator()() { return values->at((*next)++); }
};

std::vector<Duration> take_all(ExponentialBackoff<Draws>& b) {
  std::vector<Duration> out;
  while (auto d = b.next_delay()) out.push_back(*d);
  return out;
}

BackoffOptions table_options(Jitter j) {
  BackoffOptions o;
  o.initial = 100ms;
  o.multiplier = 2.0;
  o.max = 1s;
  o.max_retries = 6;
  o.jitter = j;
  o.jitter_ratio = 0.2;
  return o;
}

const std::vector<double> kDraws{0.5, 0.25, 0.75, 0.0, 0.5, 0.5};

}  // namespace

TEST_CASE("ExponentialBackoff follows the hand-computed table for each jitter mode") {
  // v_n = min(1s, 100ms * 2^n) = 100, 200, 400, 800, 1000, 1000 ms.
  SECTION("none: v_n, and draws nothing") {
    ExponentialBackoff<Draws> b(table_options(Jitter::none), Draws{});
    CHECK(take_all(b) == std::vector<Duration>{100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms});
  }
  SECTION("full: u * v_n") {
    ExponentialBackoff<Draws> b(table_options(Jitter::full), Draws{kDraws});
    CHECK(take_all(b) == std::vector<Duration>{50ms, 50ms, 300ms, 0ms, 500ms, 500ms});
  }
  SECTION("equal: v_n/2 + u * v_n/2") {
    ExponentialBackoff<Draws> b(table_options(Jitter::equal), Draws{kDraws});
    CHECK(take_all(b) == std::vector<Duration>{75ms, 125ms, 350ms, 400ms, 750ms, 750ms});
  }
  SECTION("proportional: v_n * (1 - r + 2 r u), may exceed max by the ratio") {
    auto o = table_options(Jitter::proportional);
    ExponentialBackoff<Draws> b(o, Draws{{0.5, 0.25, 0.75, 0.0, 0.5, 0.75}});
    CHECK(take_all(b) == std::vector<Duration>{100ms, 180ms, 440ms, 640ms, 1000ms, 1100ms});
  }
  SECTION("decorrelated: s_n = min(max, initial + u (3 s_{n-1} - initial)), s_-1 = initial") {
    // 100+.5*(300-100)=200; 100+.25*(600-100)=225; 100+.75*(675-100)=531.25;
    // 100+.9*(1593.75-100) -> capped 1000; 100+.5*(3000-100) -> capped 1000; 100+0=100.
    ExponentialBackoff<Draws> b(table_options(Jitter::decorrelated),
                                Draws{{0.5, 0.25, 0.75, 0.9, 0.5, 0.0}});
    CHECK(take_all(b) == std::vector<Duration>{200ms, 225ms, 531250us, 1000ms, 1000ms, 100ms});
  }
}

TEST_CASE("ExponentialBackoff counts attempts, stops after max_retries, and resets") {
  auto o = table_options(Jitter::none);
  o.max_retries = 3;
  ExponentialBackoff<Draws> b(o, Draws{});
  CHECK(b.attempts() == 0);
  CHECK(b.next_delay() == Duration(100ms));
  CHECK(b.next_delay() == Duration(200ms));
  CHECK(b.next_delay() == Duration(400ms));
  CHECK(b.attempts() == 3);
  CHECK_FALSE(b.next_delay().has_value());
  CHECK_FALSE(b.next_delay().has_value());
  CHECK(b.attempts() == 3);
  b.reset();
  CHECK(b.attempts() == 0);
  CHECK(b.next_delay() == Duration(100ms));

  SECTION("a copy continues independently") {
    auto copy = b;
    CHECK(copy.next_delay() == Duration(200ms));
    CHECK(b.next_delay() == Duration(200ms));
  }
  SECTION("max_retries 0 never retries") {
    o.max_retries = 0;
    ExponentialBackoff<Draws> none(o, Draws{});
    CHECK_FALSE(none.next_delay().has_value());
  }
}

TEST_CASE("ExponentialBackoff decorrelated restarts from initial after reset") {
  ExponentialBackoff<Draws> b(table_options(Jitter::decorrelated), Draws{{1.0, 0.5}});
  // A draw of exactly 1 is out of contract but harmless: 100 + 1*(300-100) = 300.
  CHECK(b.next_delay() == Duration(300ms));
  b.reset();
  CHECK(b.next_delay() == Duration(200ms));
}

TEST_CASE("ExponentialBackoff saturates at max instead of overflowing") {
  BackoffOptions o;
  o.initial = 1ns;
  o.max = Duration::max();
  o.jitter = Jitter::none;
  o.max_retries = std::numeric_limits<std::size_t>::max();
  SECTION("huge multiplier") {
    o.multiplier = 1e300;
    ExponentialBackoff<> b(o, rxsync::DefaultRandom(1));
    CHECK(b.next_delay() == Duration(1ns));
    CHECK(b.next_delay() == Duration::max());
    CHECK(b.next_delay() == Duration::max());
  }
  SECTION("many attempts") {
    o.multiplier = 2.0;
    ExponentialBackoff<> b(o, rxsync::DefaultRandom(1));
    Duration last{};
    for (int i = 0; i < 5000; ++i) {
      auto d = b.next_delay();
      REQUIRE(d.has_value());
      REQUIRE(*d >= last);
      last = *d;
    }
    CHECK(last == Duration::max());
  }
  SECTION("proportional jitter above max saturates too") {
    o.multiplier = 10.0;
    o.jitter = Jitter::proportional;
    o.jitter_ratio = 1.0;
    ExponentialBackoff<Draws> b(o, Draws{std::vector<double>(100, 0.999)});
    for (int i = 0; i < 100; ++i) REQUIRE(b.next_delay().value() >= Duration::zero());
  }
}

TEST_CASE("ExponentialBackoff never exceeds max, exactly, beyond double precision") {
  // 2^53 + 1 ns (~104 days) is not a double; max near 2^63 rounds up past Duration::max().
  BackoffOptions o;
  o.jitter = Jitter::none;
  o.multiplier = 2.0;
  o.max_retries = 3;
  o.initial = Duration((std::int64_t{1} << 53) + 1);
  o.max = o.initial * 4;
  ExponentialBackoff<> exact(o);
  CHECK(exact.next_delay() == o.initial);
  exact.next_delay();
  CHECK(exact.next_delay() == o.max);

  o.initial = o.max = Duration(9'210'000'000'000'000'000);
  for (const Jitter j : {Jitter::none, Jitter::full, Jitter::equal, Jitter::decorrelated}) {
    o.jitter = j;
    ExponentialBackoff<Draws> b(o, Draws{std::vector<double>(3, 0.999999)});
    while (auto d = b.next_delay()) CHECK(*d <= o.max);
  }
}

TEST_CASE("ExponentialBackoff treats a NaN draw as the longest delay") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BackoffOptions o = table_options(Jitter::full);
  ExponentialBackoff<Draws> full(o, Draws{{nan}});
  CHECK(full.next_delay() == Duration(100ms));  // u = 1: the whole v_0
  o.jitter = Jitter::proportional;
  ExponentialBackoff<Draws> prop(o, Draws{{nan}});
  CHECK(prop.next_delay() == Duration(120ms));  // v_0 * (1 + r)
}

TEST_CASE("ExponentialBackoff with zero initial delay stays at zero") {
  BackoffOptions o;
  o.initial = 0ns;
  o.max = 1s;
  o.jitter = GENERATE(Jitter::none, Jitter::full, Jitter::equal, Jitter::decorrelated,
                      Jitter::proportional);
  ExponentialBackoff<> b(o, rxsync::DefaultRandom(7));
  for (int i = 0; i < 10; ++i) CHECK(b.next_delay() == Duration::zero());
}

TEST_CASE("BackoffOptions are validated with the option name and value") {
  BackoffOptions o;
  SECTION("negative initial") {
    o.initial = -5ns;
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o),
                        rxsync_test::contains("BackoffOptions.initial must be >= 0, got -5ns"));
  }
  SECTION("max below initial") {
    o.initial = 2s;
    o.max = 1s;
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o), rxsync_test::contains("BackoffOptions.max"));
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o), rxsync_test::contains("1000000000ns"));
  }
  SECTION("multiplier below 1") {
    o.multiplier = 0.5;
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o),
                        rxsync_test::contains("BackoffOptions.multiplier must be >= 1"));
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o), rxsync_test::contains("got 0.5"));
  }
  SECTION("multiplier NaN or infinite") {
    o.multiplier =
        GENERATE(std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity());
    REQUIRE_THROWS_AS(ExponentialBackoff<>(o), std::invalid_argument);
  }
  SECTION("jitter_ratio out of range") {
    o.jitter_ratio = GENERATE(-0.1, 1.5, std::numeric_limits<double>::quiet_NaN());
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o),
                        rxsync_test::contains("BackoffOptions.jitter_ratio"));
  }
  SECTION("bad jitter enum value") {
    o.jitter = static_cast<Jitter>(42);
    REQUIRE_THROWS_WITH(ExponentialBackoff<>(o), rxsync_test::contains("got 42"));
  }
  SECTION("boundaries are accepted") {
    o.initial = 0ns;
    o.max = 0ns;
    o.multiplier = 1.0;
    o.jitter_ratio = GENERATE(0.0, 1.0);
    ExponentialBackoff<> b(o);
    CHECK(b.next_delay() == Duration::zero());
  }
}

TEST_CASE("DefaultRandom is seedable and uniform in the unit interval") {
  rxsync::DefaultRandom a(42), b(42), c(43);
  double sum = 0;
  bool differs = false;
  for (int i = 0; i < 10000; ++i) {
    const double x = a();
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
    REQUIRE(x == b());
    differs = differs || x != c();
    sum += x;
  }
  CHECK(differs);
  CHECK(sum / 10000 == Approx(0.5).margin(0.02));
}

TEST_CASE("Jittered delays stay within their formula bounds with the default source") {
  auto o = table_options(
      GENERATE(Jitter::full, Jitter::equal, Jitter::proportional, Jitter::decorrelated));
  o.max_retries = 200;
  ExponentialBackoff<> b(o, rxsync::DefaultRandom(3));
  double v = 100e6;
  while (auto d = b.next_delay()) {
    const auto ns = static_cast<double>(d->count());
    switch (o.jitter) {
      case Jitter::full:
        REQUIRE(ns <= v);
        break;
      case Jitter::equal:
        REQUIRE((ns >= v / 2 && ns <= v));
        break;
      case Jitter::proportional:
        REQUIRE((ns >= 0.8 * v - 1 && ns <= 1.2 * v + 1));
        break;
      default:
        REQUIRE((ns >= 100e6 && ns <= 1e9));
        break;
    }
    v = std::min(1e9, v * 2);
  }
}

TEST_CASE("FixedDelays yields its table, then nullopt, and can repeat the last entry") {
  FixedDelays f{{1s, 2s, 5s, 10s, 30s}};
  std::vector<Duration> got;
  while (auto d = f.next_delay()) got.push_back(*d);
  CHECK(got == std::vector<Duration>{1s, 2s, 5s, 10s, 30s});
  CHECK(f.attempts() == 5);
  f.reset();
  CHECK(f.next_delay() == Duration(1s));

  FixedDelays repeat({1s, 2s}, 4);
  CHECK(repeat.next_delay() == Duration(1s));
  CHECK(repeat.next_delay() == Duration(2s));
  CHECK(repeat.next_delay() == Duration(2s));
  CHECK(repeat.next_delay() == Duration(2s));
  CHECK_FALSE(repeat.next_delay().has_value());

  FixedDelays empty({}, 0);
  CHECK_FALSE(empty.next_delay().has_value());
}

TEST_CASE("FixedDelays rejects negative delays and an empty table") {
  REQUIRE_THROWS_WITH(FixedDelays({1s, -1ns}),
                      rxsync_test::contains("FixedDelays.delays[1] must be >= 0, got -1ns"));
  REQUIRE_THROWS_WITH(FixedDelays({}, 3), rxsync_test::contains("FixedDelays.delays"));
}
