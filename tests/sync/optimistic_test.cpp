#include <rxsync/sync/optimistic.hpp>

#include "rxsync_catch.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using Updates = rxsync::OptimisticUpdates<std::string, int>;
using Event = Updates::RollbackEvent;

namespace {

// A fake backend: remembers each persist call and lets the test answer it.
struct Backend {
  struct Call {
    int value;
    Updates::DoneFn done;
  };
  std::vector<Call> calls;
  Updates::PersistFn persist() {
    return [this](const int& v, Updates::DoneFn done) { calls.push_back({v, std::move(done)}); };
  }
};

Updates::UpdateFn add(int n) {
  return [n](const int& v) { return v + n; };
}
Updates::UpdateFn times(int n) {
  return [n](const int& v) { return v * n; };
}

struct Recorder {
  std::vector<Event> events;
  rxsync::Subscription sub;
  explicit Recorder(const Updates& u) {
    sub = u.rollbacks().subscribe([this](const Event& e) { events.push_back(e); });
  }
};

}  // namespace

TEST_CASE("apply returns the optimistic value at once and confirms on success", "[optimistic]") {
  Updates u;
  Backend backend;
  Recorder rec(u);
  int idle = 0;
  u.when_idle([&] { ++idle; });  // nothing pending: called now
  CHECK(idle == 1);

  CHECK(u.apply("unread", 3, add(1), backend.persist()) == 4);
  CHECK(u.has_pending());
  CHECK(u.pending_count() == 1);
  CHECK(u.value("unread") == 4);
  REQUIRE(backend.calls.size() == 1);
  CHECK(backend.calls[0].value == 4);
  u.when_idle([&] { ++idle; });
  CHECK(idle == 1);

  backend.calls[0].done(true, "");
  CHECK_FALSE(u.has_pending());
  CHECK(u.value("unread") == std::nullopt);
  CHECK(idle == 2);
  CHECK(rec.events.empty());
  CHECK(u.stats().confirmed == 1);
  backend.calls[0].done(false, "again");  // a second answer is ignored
  CHECK(rec.events.empty());
  CHECK(u.stats().ignored_replies == 1);
}

TEST_CASE("a failed update rolls back to the original and is reported", "[optimistic]") {
  Updates u;
  Backend backend;
  Recorder rec(u);
  CHECK(u.apply("pin", 0, [](const int&) { return 1; }, backend.persist()) == 1);
  backend.calls.at(0).done(false, "HTTP 500");
  REQUIRE(rec.events.size() == 1);
  CHECK(rec.events[0].key == "pin");
  CHECK(rec.events[0].original == 0);
  CHECK(rec.events[0].attempted == 1);
  CHECK(rec.events[0].error == "HTTP 500");
  CHECK(rec.events[0].current == 0);
  CHECK_FALSE(u.has_pending());
  CHECK(u.stats().rolled_back == 1);
}

TEST_CASE("overlapping updates of one key persist in order and rebase on failure", "[optimistic]") {
  Updates u;
  Backend backend;
  Recorder rec(u);
  CHECK(u.apply("k", 1, add(1), backend.persist()) == 2);
  CHECK(u.apply("k", 999, times(10), backend.persist()) == 20);  // `current` ignored: pending
  CHECK(u.pending_count("k") == 2);
  CHECK(u.value("k") == 20);
  REQUIRE(backend.calls.size() == 1);  // one persist per key at a time

  SECTION("the first fails: the second is re-applied on the original") {
    backend.calls[0].done(false, "conflict");
    REQUIRE(rec.events.size() == 1);
    CHECK(rec.events[0].original == 1);
    CHECK(rec.events[0].attempted == 2);
    CHECK(rec.events[0].current == 10);
    CHECK(u.value("k") == 10);
    REQUIRE(backend.calls.size() == 2);
    CHECK(backend.calls[1].value == 10);
    backend.calls[1].done(true, "");
    CHECK_FALSE(u.has_pending());
    CHECK(rec.events.size() == 1);
  }
  SECTION("the first succeeds, the second fails: back to the first's value") {
    backend.calls[0].done(true, "");
    REQUIRE(backend.calls.size() == 2);
    CHECK(backend.calls[1].value == 20);
    CHECK(u.value("k") == 20);
    backend.calls[1].done(false, "quota");
    REQUIRE(rec.events.size() == 1);
    CHECK(rec.events[0].original == 2);
    CHECK(rec.events[0].attempted == 20);
    CHECK(rec.events[0].current == 2);
    CHECK(u.value("k") == std::nullopt);
  }
  SECTION("a third update applied after a rollback builds on the rebased value") {
    backend.calls[0].done(false, "x");
    CHECK(u.apply("k", 0, add(5), backend.persist()) == 15);
    backend.calls[1].done(true, "");
    REQUIRE(backend.calls.size() == 3);
    CHECK(backend.calls[2].value == 15);
    backend.calls[2].done(true, "");
    CHECK(u.stats().confirmed == 2);
    CHECK(u.stats().rolled_back == 1);
  }
  SECTION("an answer for an update that is not the one in flight is ignored") {
    u.apply("k", 0, add(100), backend.persist());
    backend.calls[0].done(true, "");
    backend.calls[0].done(true, "");
    CHECK(u.pending_count("k") == 2);
    CHECK(u.stats().ignored_replies == 1);
  }
}

TEST_CASE("an update that throws while rebased is rolled back too", "[optimistic]") {
  Updates u;
  Backend backend;
  Recorder rec(u);
  u.apply("k", 1, add(1), backend.persist());  // 2
  u.apply(
      "k", 0,
      [](const int& v) {  // fine on 2, throws on 1
        if (v < 2) throw std::domain_error("needs at least 2");
        return v * 3;
      },
      backend.persist());
  u.apply("k", 0, add(1), backend.persist());  // 7
  CHECK(u.value("k") == 7);
  backend.calls[0].done(false, "boom");
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[0].error == "boom");
  CHECK(rec.events[1].error == "update threw while rebased: needs at least 2");
  CHECK(rec.events[1].attempted == 6);
  CHECK(rec.events[0].current == 2);  // 1, then the third update (+1)
  CHECK(rec.events[1].current == 2);
  CHECK(u.pending_count() == 1);
  REQUIRE(backend.calls.size() == 2);
  CHECK(backend.calls[1].value == 2);
}

TEST_CASE("independent keys persist concurrently, when_idle waits for all", "[optimistic]") {
  Updates u;
  Backend backend;
  std::vector<std::string> idle;
  u.apply("a", 0, add(1), backend.persist());
  u.apply("b", 0, add(2), backend.persist());
  CHECK(backend.calls.size() == 2);
  u.when_idle([&] { idle.push_back("first"); });
  u.when_idle([&] { idle.push_back("second"); });
  backend.calls[1].done(true, "");
  CHECK(idle.empty());
  backend.calls[0].done(false, "x");
  CHECK(idle == std::vector<std::string>{"first", "second"});
  u.apply("a", 0, add(1), backend.persist());
  backend.calls[2].done(true, "");
  CHECK(idle.size() == 2);  // each callback runs once
}

TEST_CASE("bad input and misbehaving callbacks", "[optimistic]") {
  Updates u;
  Recorder rec(u);
  SECTION("an update that throws records nothing") {
    REQUIRE_THROWS_AS(u.apply(
                          "k", 1, [](const int&) -> int { throw std::runtime_error("no"); },
                          [](const int&, Updates::DoneFn) {}),
                      std::runtime_error);
    CHECK_FALSE(u.has_pending());
    CHECK(u.value("k") == std::nullopt);
  }
  SECTION("empty functions are rejected") {
    REQUIRE_THROWS_AS(u.apply("k", 1, nullptr, [](const int&, Updates::DoneFn) {}),
                      std::invalid_argument);
    REQUIRE_THROWS_AS(u.apply("k", 1, add(1), nullptr), std::invalid_argument);
    REQUIRE_THROWS_AS(u.when_idle(nullptr), std::invalid_argument);
  }
  SECTION("a persist that throws is a failure") {
    CHECK(u.apply("k", 1, add(1),
                  [](const int&, Updates::DoneFn) { throw std::runtime_error("disk full"); }) == 2);
    REQUIRE(rec.events.size() == 1);
    CHECK(rec.events[0].error == "persist threw: disk full");
    CHECK_FALSE(u.has_pending());
  }
  SECTION("a persist that answers synchronously") {
    CHECK(u.apply("k", 1, add(1), [](const int& v, Updates::DoneFn done) { done(v == 2, ""); }) ==
          2);
    CHECK_FALSE(u.has_pending());
    CHECK(rec.events.empty());
  }
  SECTION("an answer after destruction is ignored") {
    Backend backend;
    {
      Updates scoped;
      scoped.apply("k", 1, add(1), backend.persist());
    }
    backend.calls.at(0).done(false, "late");
    SUCCEED("no crash");
  }
}
