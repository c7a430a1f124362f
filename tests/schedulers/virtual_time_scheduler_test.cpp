#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::Subscription;
using rxsync::TimePoint;
using rxsync::VirtualTimeScheduler;

namespace {

TimePoint at(Duration d) { return TimePoint{} + d; }

// Appends `id` to `log` when run.
struct Record {
  std::vector<int>* log;
  int id;
  void operator()() const { log->push_back(id); }
};

}  // namespace

TEST_CASE("VirtualTimeScheduler: starts at the epoch with nothing queued", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  CHECK(s.now() == TimePoint{});
  CHECK(s.pending() == 0);
  CHECK_FALSE(s.next_due().has_value());
  CHECK(s.run() == 0);
  s.advance_by(5s);
  CHECK(s.now() == at(5s));

  VirtualTimeScheduler later(at(1h));
  CHECK(later.now() == at(1h));
  later.advance_by(0s);
  CHECK(later.now() == at(1h));
}

TEST_CASE("VirtualTimeScheduler: runs by due time, then by order of scheduling",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  s.schedule_at(at(3s), Record{&log, 1});
  s.schedule_at(at(1s), Record{&log, 2});
  s.schedule_after(2s, Record{&log, 3});
  s.schedule_at(at(1s), Record{&log, 4});  // ties with 2: runs after it
  s.schedule(Record{&log, 5});             // due now (t=0)
  s.schedule_at(at(1s), Record{&log, 6});
  CHECK(s.pending() == 6);
  CHECK(s.next_due() == at(0s));

  s.advance_by(0s);  // runs what is due now, and only that
  CHECK(log == std::vector<int>{5});
  CHECK(s.now() == at(0s));

  s.advance_by(1s);  // due times are inclusive
  CHECK(log == std::vector<int>{5, 2, 4, 6});
  CHECK(s.now() == at(1s));
  CHECK(s.pending() == 2);
  CHECK(s.next_due() == at(2s));

  s.advance_to(at(2500ms));
  CHECK(log == std::vector<int>{5, 2, 4, 6, 3});
  CHECK(s.now() == at(2500ms));

  s.advance_to(at(10s));
  CHECK(log == std::vector<int>{5, 2, 4, 6, 3, 1});
  CHECK(s.now() == at(10s));  // time reaches the target even after the last action
  CHECK(s.pending() == 0);
}

TEST_CASE("VirtualTimeScheduler: now() inside an action is its due time", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<TimePoint> seen;
  for (auto d : {700ms, 100ms, 400ms}) {
    s.schedule_after(d, [&] { seen.push_back(s.now()); });
  }
  s.advance_by(1s);
  CHECK(seen == std::vector<TimePoint>{at(100ms), at(400ms), at(700ms)});
}

TEST_CASE("VirtualTimeScheduler: ordering holds for many random actions", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::mt19937 rng(12345);  // seeded: the same sequence on every run
  std::uniform_int_distribution<int> due_ms(0, 50);
  struct Entry {
    Duration due;
    int seq;
  };
  std::vector<Entry> ran;
  for (int i = 0; i < 2000; ++i) {
    const Duration due = std::chrono::milliseconds(due_ms(rng));
    s.schedule_at(at(due), [&ran, &s, i] { ran.push_back({s.now().time_since_epoch(), i}); });
  }
  CHECK(s.run() == 2000);
  REQUIRE(ran.size() == 2000);
  for (std::size_t i = 1; i < ran.size(); ++i) {
    const auto& a = ran[i - 1];
    const auto& b = ran[i];
    INFO("position " << i);
    REQUIRE((a.due < b.due || (a.due == b.due && a.seq < b.seq)));
  }
  CHECK(s.now() == at(ran.back().due));
}

TEST_CASE("VirtualTimeScheduler: actions scheduled while running run in the same pass when due",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<std::string> log;
  s.schedule_at(at(1s), [&] {
    log.push_back("a@1");
    s.schedule([&] { log.push_back("now@" + std::to_string(s.now().time_since_epoch() / 1s)); });
    s.schedule_after(1s, [&] { log.push_back("b@2"); });
    s.schedule_after(5s, [&] { log.push_back("c@6"); });
  });
  s.schedule_at(at(1s), [&] { log.push_back("d@1"); });  // queued earlier: runs before "now@1"

  s.advance_to(at(2s));
  CHECK(log == std::vector<std::string>{"a@1", "d@1", "now@1", "b@2"});
  CHECK(s.pending() == 1);
  CHECK(s.next_due() == at(6s));
}

TEST_CASE("VirtualTimeScheduler: cancellation before a run", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  auto keep = s.schedule_after(1s, Record{&log, 1});
  auto drop = s.schedule_after(1s, Record{&log, 2});
  auto drop_first = s.schedule_after(500ms, Record{&log, 3});
  CHECK(s.pending() == 3);
  CHECK(drop.is_subscribed());

  drop.unsubscribe();
  drop_first.unsubscribe();
  CHECK_FALSE(drop.is_subscribed());
  CHECK(s.pending() == 1);
  CHECK(s.next_due() == at(1s));  // the cancelled earlier action no longer counts
  drop.unsubscribe();             // idempotent
  CHECK(s.pending() == 1);

  s.advance_by(2s);
  CHECK(log == std::vector<int>{1});
  CHECK_FALSE(keep.is_subscribed());
}

TEST_CASE("VirtualTimeScheduler: a cancelled action releases its captures at once",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto sub = s.schedule_after(1h, [r = std::move(resource)] { ++*r; });
  CHECK_FALSE(watch.expired());
  sub.unsubscribe();
  CHECK(watch.expired());  // not kept until time reaches 1h
}

TEST_CASE("VirtualTimeScheduler: a timer's Subscription ends when it ran", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto sub = s.schedule_after(1s, [r = std::move(resource)] { ++*r; });
  REQUIRE(sub.is_subscribed());
  s.advance_by(1s);
  CHECK_FALSE(sub.is_subscribed());
  CHECK(watch.expired());  // the action is released after it ran
  sub.unsubscribe();       // harmless afterwards
  CHECK(s.pending() == 0);
}

TEST_CASE("VirtualTimeScheduler: cancellation from inside an action", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;

  SECTION("an action cancels another due at the same time") {
    Subscription victim;
    s.schedule_at(at(1s), [&] {
      log.push_back(1);
      victim.unsubscribe();
      CHECK(s.pending() == 1);  // only the later survivor is left
    });
    victim = s.schedule_at(at(1s), Record{&log, 2});
    s.schedule_at(at(1s), Record{&log, 3});
    s.advance_by(1s);
    CHECK(log == std::vector<int>{1, 3});
  }
  SECTION("an action cancels itself while running") {
    Subscription self;
    self = s.schedule_after(1s, [&] {
      CHECK(self.is_subscribed());  // a running action has not finished yet
      self.unsubscribe();
      log.push_back(1);  // the running action is not interrupted
    });
    s.schedule_after(1s, Record{&log, 2});
    s.advance_by(1s);
    CHECK(log == std::vector<int>{1, 2});
    CHECK_FALSE(self.is_subscribed());
    CHECK(s.pending() == 0);
  }
  SECTION("an action cancels a later action and one scheduled by itself") {
    auto later = s.schedule_after(5s, Record{&log, 9});
    s.schedule_after(1s, [&] {
      auto mine = s.schedule_after(1s, Record{&log, 8});
      mine.unsubscribe();
      later.unsubscribe();
      log.push_back(1);
    });
    s.run();
    CHECK(log == std::vector<int>{1});
    CHECK(s.now() == at(1s));  // run() moved time only as far as the last action that ran
  }
}

TEST_CASE("VirtualTimeScheduler: many cancellations keep the order of the rest",
          "[schedulers][vts]") {
  // Enough cancelled slots that the queue sweeps them out and rebuilds its heap.
  VirtualTimeScheduler s;
  std::vector<int> log;
  std::vector<Subscription> subs;
  for (int i = 0; i < 300; ++i) {
    subs.push_back(s.schedule_at(at(std::chrono::seconds(300 - i)), Record{&log, i}));
  }
  for (int i = 0; i < 300; ++i) {
    if (i % 4 != 0) subs[static_cast<std::size_t>(i)].unsubscribe();
  }
  CHECK(s.pending() == 75);
  s.advance_by(0s);  // touches the queue so it may sweep
  CHECK(s.pending() == 75);
  s.run();
  REQUIRE(log.size() == 75);
  for (std::size_t k = 0; k < log.size(); ++k) {
    CHECK(log[k] == 296 - static_cast<int>(k) * 4);  // latest-scheduled is earliest-due
  }
}

TEST_CASE("VirtualTimeScheduler: a negative delay or a past time runs as soon as possible",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  s.advance_to(at(10s));
  std::vector<int> log;
  std::vector<TimePoint> times;
  auto record_time = [&](int id) {
    return [&, id] {
      log.push_back(id);
      times.push_back(s.now());
    };
  };
  s.schedule(record_time(1));
  s.schedule_at(at(3s), record_time(2));  // in the past
  s.schedule_after(-5s, record_time(3));  // negative delay
  s.schedule_at(TimePoint::min(), record_time(4));
  s.schedule_after(Duration::min(), record_time(5));
  CHECK(s.next_due() == at(10s));
  CHECK(s.pending() == 5);

  s.advance_by(0s);
  // All at now(), after what was already due, in order of scheduling; time never goes back.
  CHECK(log == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(times == std::vector<TimePoint>(5, at(10s)));
  CHECK(s.now() == at(10s));
}

TEST_CASE("VirtualTimeScheduler: a past time scheduled during a run goes after due actions",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  s.schedule_at(at(2s), [&] {
    log.push_back(1);
    s.schedule_at(at(0s), Record{&log, 4});
    s.schedule_after(-1s, Record{&log, 5});
  });
  s.schedule_at(at(2s), Record{&log, 2});
  s.schedule_at(at(2s), Record{&log, 3});
  s.advance_by(2s);
  CHECK(log == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("VirtualTimeScheduler: moving time backwards is refused", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  s.schedule_after(1s, Record{&log, 1});
  s.advance_to(at(5s));
  REQUIRE(log == std::vector<int>{1});
  s.schedule_after(1s, Record{&log, 2});

  REQUIRE_THROWS_AS(s.advance_to(at(4s)), std::invalid_argument);
  REQUIRE_THROWS_WITH(s.advance_to(at(4s)), rxsync_test::contains("advance_to"));
  REQUIRE_THROWS_WITH(s.advance_to(at(4s)), rxsync_test::contains("4000000000ns"));
  REQUIRE_THROWS_AS(s.advance_by(-1ns), std::invalid_argument);
  REQUIRE_THROWS_WITH(s.advance_by(-1ns), rxsync_test::contains("advance_by"));
  REQUIRE_THROWS_WITH(s.advance_by(-1ns), rxsync_test::contains("-1ns"));

  // A refused call changes nothing.
  CHECK(s.now() == at(5s));
  CHECK(s.pending() == 1);
  CHECK(log == std::vector<int>{1});

  s.advance_to(at(5s));  // the present is not the past
  CHECK(s.now() == at(5s));
  s.advance_by(1s);
  CHECK(log == std::vector<int>{1, 2});
}

TEST_CASE("VirtualTimeScheduler: run() drains the queue and moves time", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  s.schedule_after(3s, Record{&log, 3});
  s.schedule_after(1s, [&] {
    log.push_back(1);
    s.schedule_after(10s, Record{&log, 11});
  });
  CHECK(s.run() == 3);
  CHECK(log == std::vector<int>{1, 3, 11});
  CHECK(s.now() == at(11s));
  CHECK(s.pending() == 0);
  CHECK(s.run() == 0);
  CHECK(s.now() == at(11s));
}

TEST_CASE("VirtualTimeScheduler: run(max_actions) bounds a self-rescheduling action",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    s.schedule_after(1s, tick);  // a periodic source never lets the queue empty
  };
  s.schedule_after(1s, tick);

  CHECK(s.run(0) == 0);
  CHECK(ticks == 0);
  CHECK(s.run(5) == 5);
  CHECK(ticks == 5);
  CHECK(s.now() == at(5s));
  CHECK(s.pending() == 1);

  s.advance_by(3s);  // advance_by bounds it too
  CHECK(ticks == 8);
  CHECK(s.now() == at(8s));
  CHECK(s.pending() == 1);
}

TEST_CASE("VirtualTimeScheduler: an action's exception propagates and the scheduler stays usable",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  std::vector<int> log;
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  auto failing = s.schedule_after(1s, [r = std::move(resource)] {
    (void)r;
    throw std::runtime_error("action failed");
  });
  s.schedule_after(1s, Record{&log, 1});
  s.schedule_after(2s, Record{&log, 2});

  SECTION("advance_by") {
    REQUIRE_THROWS_WITH(s.advance_by(3s), rxsync_test::contains("action failed"));
    // Time stops at the failing action; what came after it is still queued.
    CHECK(s.now() == at(1s));
    CHECK(log.empty());
    CHECK(s.pending() == 2);
    CHECK_FALSE(failing.is_subscribed());
    CHECK(watch.expired());  // the failed action was released like any other that ran

    s.advance_to(at(3s));
    CHECK(log == std::vector<int>{1, 2});
    CHECK(s.now() == at(3s));
  }
  SECTION("run") {
    REQUIRE_THROWS_AS(s.run(), std::runtime_error);
    CHECK(s.pending() == 2);
    CHECK(s.run() == 2);
    CHECK(log == std::vector<int>{1, 2});
  }
}

TEST_CASE("VirtualTimeScheduler: destruction releases queued actions without running them",
          "[schedulers][vts]") {
  auto resource = std::make_shared<int>(0);
  std::weak_ptr<int> watch = resource;
  Subscription sub;
  {
    VirtualTimeScheduler s;
    sub = s.schedule_after(1s, [r = std::move(resource)] { ++*r; });
    s.schedule([r = watch] { (void)r; });
    CHECK(s.pending() == 2);
  }
  CHECK(watch.expired());
  // The handle outlives the scheduler: it reports finished and unsubscribing is harmless.
  CHECK_FALSE(sub.is_subscribed());
  sub.unsubscribe();
}

TEST_CASE("VirtualTimeScheduler: a handle that outlives the scheduler can still be cancelled",
          "[schedulers][vts]") {
  // The teardown of an action destroyed with the scheduler cancels a sibling's handle: the
  // queue is already going away, so this must neither deadlock nor touch freed memory.
  struct CancelOnDestroy {
    std::shared_ptr<Subscription> other;
    explicit CancelOnDestroy(std::shared_ptr<Subscription> o) : other(std::move(o)) {}
    CancelOnDestroy(CancelOnDestroy&&) noexcept = default;  // moved-from ones cancel nothing
    CancelOnDestroy& operator=(CancelOnDestroy&&) = delete;
    ~CancelOnDestroy() {
      if (other) other->unsubscribe();
    }
    void operator()() const {}
  };
  auto other = std::make_shared<Subscription>();
  {
    VirtualTimeScheduler s;
    s.schedule_after(1s, CancelOnDestroy(other));
    *other = s.schedule_after(2s, [] {});
  }
  CHECK_FALSE(other->is_subscribed());
}

TEST_CASE("VirtualTimeScheduler: a nested advance never moves time backwards",
          "[schedulers][vts]") {
  VirtualTimeScheduler s;
  s.schedule_at(at(1s), [&] { s.advance_by(5s); });
  s.advance_to(at(2s));
  CHECK(s.now() == at(6s));
}

TEST_CASE("VirtualTimeScheduler: a delay of Duration::max() means never", "[schedulers][vts]") {
  VirtualTimeScheduler s;
  s.advance_by(1s);
  bool ran = false;
  s.schedule_after(Duration::max(), [&] { ran = true; });
  CHECK(s.next_due() == TimePoint::max());
  s.advance_by(1h);
  CHECK_FALSE(ran);
  CHECK(s.pending() == 1);
}
