#include <rxsync/resilience/task_queue.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Priority;
using rxsync::TaskDone;
using rxsync::TaskQueue;
using rxsync::TaskQueueErrc;
using rxsync::TaskQueueError;
using rxsync::TaskQueueOptions;
using rxsync::VirtualTimeScheduler;

namespace {
// Records how each task ended: "ok", "error:<what>", or a TaskQueueErrc name.
struct Log {
  std::vector<std::string> started;
  std::vector<std::pair<std::string, std::string>> ended;
  std::optional<TaskDone> held;  // the latest held task's completion

  auto on_done(std::string name) {
    return [this, name](std::exception_ptr e) {
      std::string what = "ok";
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const TaskQueueError& err) {
          const char* names[] = {"shed", "queue_full", "timed_out", "stopped"};
          what = names[static_cast<int>(err.code())];
        } catch (const std::exception& err) {
          what = std::string("error:") + err.what();
        }
      }
      ended.emplace_back(name, what);
    };
  }
  // A task that stays running until `held` is called.
  auto hold(std::string name) {
    return [this, name](TaskDone done) {
      started.push_back(name);
      held = done;
    };
  }
  auto quick(std::string name) {
    return [this, name](TaskDone done) {
      started.push_back(name);
      done();
    };
  }
  std::string end_of(const std::string& name) const {
    for (const auto& [n, w] : ended) {
      if (n == name) return w;
    }
    return "-";
  }
};

TaskQueueOptions one_at_a_time(std::size_t queue) {
  TaskQueueOptions o;
  o.max_concurrent = 1;
  o.max_queue_size = queue;
  o.queue_timeout = 0s;
  return o;
}
}  // namespace

TEST_CASE("TaskQueue runs queued tasks by priority, FIFO within a priority") {
  VirtualTimeScheduler s;
  TaskQueue q(s, one_at_a_time(10));
  Log log;
  q.submit(Priority::normal, log.hold("blocker"), log.on_done("blocker"));
  s.run();
  q.submit(Priority::low, log.quick("low"), log.on_done("low"));
  q.submit(Priority::normal, log.quick("normal1"), log.on_done("normal1"));
  q.submit(Priority::high, log.quick("high"), log.on_done("high"));
  q.submit(Priority::normal, log.quick("normal2"), log.on_done("normal2"));
  q.submit(Priority::critical, log.quick("critical"), log.on_done("critical"));
  CHECK(q.stats().queued == 5);
  CHECK(q.stats().running == 1);
  (*log.held)();
  s.run();
  CHECK(log.started ==
        std::vector<std::string>{"blocker", "critical", "high", "normal1", "normal2", "low"});
  CHECK(q.stats().completed == 6);
  CHECK(q.stats().running == 0);
}

TEST_CASE("TaskQueue never runs more than max_concurrent tasks") {
  VirtualTimeScheduler s;
  TaskQueueOptions o;
  o.max_concurrent = 2;
  o.queue_timeout = 0s;  // s.run() would otherwise run time forward to the timeout
  TaskQueue q(s, o);
  std::vector<TaskDone> running;
  int finished = 0;
  for (int i = 0; i < 5; ++i) {
    q.submit(
        Priority::normal, [&](TaskDone d) { running.push_back(d); },
        [&](std::exception_ptr) { ++finished; });
  }
  s.run();
  CHECK(running.size() == 2);
  CHECK(q.stats().running == 2);
  CHECK(q.stats().queued == 3);
  running[0]();
  running[0]();  // a second call is ignored
  s.run();
  CHECK(running.size() == 3);
  CHECK(finished == 1);
  for (std::size_t i = 1; i < running.size(); ++i) running[i]();
  s.run();
  for (std::size_t i = 3; i < running.size(); ++i) running[i]();
  s.run();
  CHECK(finished == 5);
  CHECK(q.stats().completed == 5);
}

TEST_CASE("TaskQueue sheds low work when full, escalates normal, refuses when nothing is lower") {
  VirtualTimeScheduler s;
  TaskQueue q(s, one_at_a_time(2));
  Log log;
  q.submit(Priority::normal, log.hold("blocker"), log.on_done("blocker"));
  s.run();
  REQUIRE(q.submit(Priority::normal, log.quick("A"), log.on_done("A")));
  REQUIRE(q.submit(Priority::low, log.quick("B"), log.on_done("B")));
  // Full. A low task is shed at once.
  CHECK_FALSE(q.submit(Priority::low, log.quick("L"), log.on_done("L")));
  CHECK(log.end_of("L") == "shed");
  // A normal task is escalated to high and takes the queued low task's place.
  CHECK(q.submit(Priority::normal, log.quick("C"), log.on_done("C")));
  CHECK(log.end_of("B") == "shed");
  CHECK(q.stats().escalated == 1);
  // Now [A normal, C high(was normal)]: another normal finds nothing lower and is refused.
  CHECK_FALSE(q.submit(Priority::normal, log.quick("D"), log.on_done("D")));
  CHECK(log.end_of("D") == "queue_full");
  CHECK(q.stats().escalated == 1);  // D was refused, so it does not count as escalated
  // A critical task sheds the newest normal-origin task (C).
  CHECK(q.submit(Priority::critical, log.quick("E"), log.on_done("E")));
  CHECK(log.end_of("C") == "shed");
  (*log.held)();
  s.run();
  CHECK(log.started == std::vector<std::string>{"blocker", "E", "A"});
  const auto st = q.stats();
  CHECK(st.shed == 4);
  CHECK(st.completed == 3);
  CHECK(st.submitted == 7);
}

TEST_CASE("TaskQueue fails tasks that waited past the queue timeout") {
  VirtualTimeScheduler s;
  auto o = one_at_a_time(10);
  o.queue_timeout = 5s;
  TaskQueue q(s, o);
  Log log;
  q.submit(Priority::normal, log.hold("blocker"), log.on_done("blocker"));
  s.run();
  q.submit(Priority::low, log.quick("a"), log.on_done("a"));
  s.advance_by(2s);
  q.submit(Priority::critical, log.quick("b"), log.on_done("b"));
  s.advance_by(2999ms);
  CHECK(log.ended.empty());
  s.advance_by(1ms);  // a waited 5 s
  CHECK(log.end_of("a") == "timed_out");
  CHECK(log.end_of("b") == "-");
  s.advance_by(2s);
  CHECK(log.end_of("b") == "timed_out");
  CHECK(q.stats().timed_out == 2);
  CHECK(q.stats().queued == 0);
  CHECK(s.pending() == 0);
  (*log.held)();
  CHECK(log.end_of("blocker") == "ok");
}

TEST_CASE("TaskQueue reports task failures and exceptions through the callback") {
  VirtualTimeScheduler s;
  TaskQueue q(s);
  Log log;
  q.submit_fn(Priority::high, [] { throw std::runtime_error("boom"); }, log.on_done("sync"));
  q.submit(
      Priority::high, [](TaskDone d) { d(std::make_exception_ptr(std::runtime_error("async"))); },
      log.on_done("async"));
  q.submit(
      Priority::high, [](TaskDone) { throw std::logic_error("thrown"); }, log.on_done("thrown"));
  int ran = 0;
  q.submit_fn(Priority::high, [&] { ++ran; }, log.on_done("fn"));
  s.run();
  CHECK(log.end_of("sync") == "error:boom");
  CHECK(log.end_of("async") == "error:async");
  CHECK(log.end_of("thrown") == "error:thrown");
  CHECK(log.end_of("fn") == "ok");
  CHECK(ran == 1);
  CHECK(q.stats().failed == 3);
}

TEST_CASE("TaskQueue::stop fails queued tasks and refuses new ones") {
  VirtualTimeScheduler s;
  Log log;
  {
    TaskQueue q(s, one_at_a_time(10));
    q.submit(Priority::normal, log.hold("blocker"), log.on_done("blocker"));
    s.run();
    q.submit(Priority::normal, log.quick("x"), log.on_done("x"));
    q.stop();
    CHECK(log.end_of("x") == "stopped");
    CHECK_FALSE(q.submit(Priority::critical, log.quick("y"), log.on_done("y")));
    CHECK(log.end_of("y") == "stopped");
  }
  // The running task may finish after the queue is gone.
  (*log.held)();
  CHECK(log.end_of("blocker") == "ok");
}

TEST_CASE("TaskQueue: an on_done that throws neither stalls the queue nor silences others") {
  VirtualTimeScheduler s;
  Log log;
  TaskQueue q(s, one_at_a_time(10));
  q.submit_fn(
      Priority::normal, [] {}, [](std::exception_ptr) { throw std::runtime_error("on_done A"); });
  q.submit(Priority::normal, log.quick("B"), log.on_done("B"));
  // The exception reaches whoever ran the callback (here the scheduler), not the task's TaskDone.
  REQUIRE_THROWS_WITH(s.run(), "on_done A");
  s.run();
  CHECK(log.end_of("B") == "ok");
  CHECK(q.stats().completed == 2);
  CHECK(q.stats().failed == 0);

  // stop(): every queued task is told, then the first exception is rethrown.
  q.submit(Priority::normal, log.hold("blocker"), log.on_done("blocker"));
  s.run();
  q.submit(Priority::normal, log.quick("T"),
           [](std::exception_ptr) { throw std::runtime_error("T"); });
  q.submit(Priority::normal, log.quick("U"), log.on_done("U"));
  q.submit(Priority::normal, log.quick("V"), log.on_done("V"));
  REQUIRE_THROWS_WITH(q.stop(), "T");
  CHECK(log.end_of("U") == "stopped");
  CHECK(log.end_of("V") == "stopped");
  CHECK(q.stats().queued == 0);
  (*log.held)();
}

TEST_CASE("TaskQueue::submit rejects a priority outside the enum") {
  VirtualTimeScheduler s;
  TaskQueue q(s, one_at_a_time(10));
  Log log;
  REQUIRE_THROWS_AS(q.submit(static_cast<Priority>(7), log.quick("x"), log.on_done("x")),
                    std::invalid_argument);
  REQUIRE_THROWS_WITH(
      q.submit(static_cast<Priority>(-1), log.quick("x"), log.on_done("x")),
      rxsync_test::contains("priority must be critical, high, normal or low, got -1"));
  CHECK(q.stats().submitted == 0);
  CHECK(log.ended.empty());
}

TEST_CASE("TaskQueueOptions are validated") {
  VirtualTimeScheduler s;
  TaskQueueOptions o;
  o.max_concurrent = 0;
  REQUIRE_THROWS_WITH(TaskQueue(s, o), rxsync_test::contains("max_concurrent must be >= 1, got 0"));
  o = {};
  o.max_queue_size = 0;
  REQUIRE_THROWS_WITH(TaskQueue(s, o), rxsync_test::contains("max_queue_size must be >= 1, got 0"));
  o = {};
  o.queue_timeout = -1s;
  REQUIRE_THROWS_WITH(TaskQueue(s, o), rxsync_test::contains("queue_timeout must be >= 0"));
}
