#include <rxsync/resilience/backoff.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/sync/resilient_client.hpp>

#include "rxsync_catch.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using rxsync::CallError;
using rxsync::CallErrorKind;
using rxsync::CallResult;
using rxsync::Duration;
using Client = rxsync::ResilientClient<rxsync::VirtualTimeScheduler>;

namespace {

// A fake endpoint: records when each attempt started and answers from a script (or leaves the
// reply to the test when the script is empty).
struct Server {
  explicit Server(rxsync::VirtualTimeScheduler& s) : sched(s) {}
  rxsync::VirtualTimeScheduler& sched;
  std::deque<std::optional<CallResult<int>>> script;  // nullopt: never answer
  std::vector<Duration> started;
  std::vector<std::string> tags;
  std::vector<std::function<void(CallResult<int>)>> held;

  auto op(std::string tag = "") {
    return [this, tag](std::function<void(CallResult<int>)> done) {
      started.push_back(sched.now().time_since_epoch());
      tags.push_back(tag);
      if (script.empty()) {
        held.push_back(std::move(done));
        return;
      }
      auto next = script.front();
      script.pop_front();
      if (next) done(*next);
    };
  }
};

struct Outcome {
  std::vector<CallResult<int>> results;
  auto sink() {
    return [this](CallResult<int> r) { results.push_back(std::move(r)); };
  }
};

}  // namespace

TEST_CASE("client options are validated", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::ResilientClientOptions o;
  SECTION("timeout") {
    o.call_timeout = 0s;
    REQUIRE_THROWS_WITH(
        Client(sched, o),
        rxsync_test::contains("ResilientClientOptions.call_timeout must be > 0, got 0ns"));
  }
  SECTION("probe interval") {
    o.probe_interval = -5s;
    REQUIRE_THROWS_WITH(Client(sched, o),
                        rxsync_test::contains("ResilientClientOptions.probe_interval must be > 0"));
  }
  SECTION("max queued") {
    o.max_queued = 0;
    REQUIRE_THROWS_WITH(
        Client(sched, o),
        rxsync_test::contains("ResilientClientOptions.max_queued must be >= 1, got 0"));
  }
}

TEST_CASE("default classification: network, timeout, 5xx and 429 are retryable",
          "[resilient_client]") {
  CHECK(rxsync::default_is_retryable(CallError::network()));
  CHECK(rxsync::default_is_retryable(CallError::timeout()));
  CHECK(rxsync::default_is_retryable(CallError::http(500)));
  CHECK(rxsync::default_is_retryable(CallError::http(503)));
  CHECK(rxsync::default_is_retryable(CallError::http(429)));
  CHECK_FALSE(rxsync::default_is_retryable(CallError::http(400)));
  CHECK_FALSE(rxsync::default_is_retryable(CallError::http(404)));
  CHECK_FALSE(rxsync::default_is_retryable(CallError::other("x")));
  CallResult<int> r = CallError::http(404, "nope");
  REQUIRE_THROWS_WITH(r.value(), rxsync_test::contains("nope"));
  CallResult<int> v = 3;
  REQUIRE_THROWS_AS(v.error(), std::logic_error);
}

TEST_CASE("a call succeeds on the scheduler, the result type is deduced", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  std::vector<std::string> got;
  Client client(sched);
  client.call([](std::function<void(CallResult<std::string>)> done) { done(std::string("pong")); },
              [&](const CallResult<std::string>& r) { got.push_back(r.value()); });
  CHECK(got.empty());  // operations run on the scheduler
  CHECK(client.pending() == 1);
  sched.advance_by(0s);
  CHECK(got == std::vector<std::string>{"pong"});
  CHECK(client.pending() == 0);
  CHECK(client.stats().calls == 1);
  CHECK(client.stats().succeeded == 1);
  CHECK(client.stats().retries == 0);
}

TEST_CASE("retryable errors are retried with the default delays 1, 2, 5, 10, 30 s",
          "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  Server server(sched);
  Outcome out;  // before the client: its destructor reports unresolved calls
  Client client(sched);
  SECTION("recovers") {
    server.script = {CallError::http(503), CallError::network(), CallError::http(429), 7};
    client.call(server.op(), out.sink());
    sched.run();
    CHECK(server.started == std::vector<Duration>{0s, 1s, 3s, 8s});
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].value() == 7);
    CHECK(client.stats().retries == 3);
    CHECK(client.stats().failed == 0);
  }
  SECTION("gives up after the last delay with the last error") {
    for (int i = 0; i < 6; ++i) server.script.push_back(CallError::http(500 + i));
    client.call(server.op(), out.sink());
    sched.run();
    CHECK(server.started == std::vector<Duration>{0s, 1s, 3s, 8s, 18s, 48s});
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].error().status == 505);
    CHECK(client.stats().failed == 1);
    CHECK(client.stats().retries == 5);
  }
  SECTION("a permanent error is not retried") {
    server.script = {CallError::http(404, "no such thread")};
    client.call(server.op(), out.sink());
    sched.run();
    CHECK(server.started.size() == 1);
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].error().kind == CallErrorKind::http);
    CHECK(out.results[0].error().message == "no such thread");
  }
  SECTION("an operation that throws fails permanently") {
    client.call(
        [](std::function<void(CallResult<int>)>) { throw std::runtime_error("bad request body"); },
        out.sink());
    sched.run();
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].error().kind == CallErrorKind::other);
    CHECK(out.results[0].error().message == "operation threw: bad request body");
  }
}

TEST_CASE("a custom classifier and backoff policy are used", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::ResilientClientOptions o;
  o.is_retryable = [](const CallError& e) {
    return e.kind == CallErrorKind::http && e.status == 409;
  };
  rxsync::BackoffOptions b;
  b.initial = 100ms;
  b.jitter = rxsync::Jitter::none;
  b.max_retries = 2;
  Server server(sched);
  Outcome out;
  rxsync::ResilientClient<rxsync::VirtualTimeScheduler, rxsync::ExponentialBackoff<>> client(
      sched, o, rxsync::ExponentialBackoff<>(b));
  server.script = {CallError::http(409), CallError::http(409), CallError::http(409),
                   CallError::network()};
  client.call(server.op(), out.sink());
  sched.run();
  client.call(server.op(), out.sink());
  sched.run();
  CHECK(server.started == std::vector<Duration>{0ms, 100ms, 300ms, 300ms});
  REQUIRE(out.results.size() == 2);
  CHECK(out.results[0].error().status == 409);                   // out of retries
  CHECK(out.results[1].error().kind == CallErrorKind::network);  // not retryable here
}

TEST_CASE("a call times out after 10 s, is retried, and its late reply is ignored",
          "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  Server server(sched);
  Outcome out;  // before the client: its destructor reports unresolved calls
  Client client(sched);
  client.call(server.op(), out.sink());
  sched.advance_by(9999ms);
  CHECK(out.results.empty());
  sched.advance_by(1ms);  // timeout at 10 s, retry after 1 s
  CHECK(client.stats().timeouts == 1);
  sched.advance_by(1s);
  REQUIRE(server.started == std::vector<Duration>{0s, 11s});
  server.held[0](1);  // the first attempt answers late
  sched.advance_by(0s);
  CHECK(out.results.empty());
  CHECK(client.stats().late_replies == 1);
  server.held[1](2);
  server.held[1](3);  // a second reply to the same attempt
  sched.advance_by(0s);
  REQUIRE(out.results.size() == 1);
  CHECK(out.results[0].value() == 2);
  CHECK(client.stats().late_replies == 2);
  CHECK(sched.pending() == 0);  // the timeout timer was cancelled
}

TEST_CASE("calls made offline wait, then run in FIFO order, a full queue is reported",
          "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::ResilientClientOptions o;
  o.start_online = false;
  o.max_queued = 3;
  Server server(sched);
  Outcome out;
  Client client(sched, o);
  std::vector<bool> online;
  auto sub = client.online().subscribe([&](bool v) { online.push_back(v); });
  for (const char* tag : {"a", "b", "c", "d"}) client.call(server.op(tag), out.sink());
  sched.advance_by(60s);
  CHECK(server.started.empty());
  CHECK(client.waiting() == 3);
  REQUIRE(out.results.size() == 1);  // "d": rejected, not dropped
  CHECK(out.results[0].error().kind == CallErrorKind::queue_full);
  CHECK(out.results[0].error().message.find("max_queued = 3") != std::string::npos);
  CHECK(client.stats().rejected == 1);

  server.script = {1, 2, 3};
  client.set_online(true);
  client.set_online(true);  // no change, no emission
  sched.advance_by(0s);
  CHECK(server.tags == std::vector<std::string>{"a", "b", "c"});
  CHECK(out.results.size() == 4);
  CHECK(online == std::vector<bool>{false, true});
  CHECK(client.is_online());
  CHECK(client.waiting() == 0);
}

TEST_CASE("going offline mid-call", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  Server server(sched);
  Outcome out;  // before the client: its destructor reports unresolved calls
  Client client(sched);
  client.call(server.op(), out.sink());
  sched.advance_by(0s);
  REQUIRE(server.held.size() == 1);
  client.set_online(false);
  SECTION("a reply that still arrives is delivered") {
    server.held[0](5);
    sched.advance_by(0s);
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].value() == 5);
  }
  SECTION("a network error waits for the network, then retries at once") {
    server.held[0](CallError::network());
    sched.advance_by(120s);
    CHECK(server.started.size() == 1);
    CHECK(client.waiting() == 1);
    server.script = {9};
    client.set_online(true);
    sched.advance_by(0s);
    CHECK(server.started == std::vector<Duration>{0s, 120s});
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].value() == 9);
    CHECK(client.stats().retries == 1);
  }
  SECTION("a timeout while offline parks the call too") {
    sched.advance_by(10s);
    CHECK(client.stats().timeouts == 1);
    CHECK(client.waiting() == 1);
    client.set_online(true);
    sched.advance_by(0s);
    CHECK(server.started.size() == 2);
  }
  SECTION("a retry that falls due while offline waits") {
    client.set_online(true);
    server.held[0](CallError::http(502));
    sched.advance_by(0s);
    client.set_online(false);
    sched.advance_by(5s);
    CHECK(server.started.size() == 1);
    CHECK(client.waiting() == 1);
    server.script = {4};
    client.set_online(true);
    sched.advance_by(0s);
    REQUIRE(out.results.size() == 1);
    CHECK(out.results[0].value() == 4);
  }
}

TEST_CASE("the connectivity probe runs every probe_interval while offline", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::ResilientClientOptions o;
  o.start_online = false;
  Server server(sched);
  Outcome out;  // before the client: its destructor reports unresolved calls
  Client client(sched, o);
  std::vector<Duration> probes;
  std::vector<std::function<void(bool)>> answers;
  client.set_probe([&](std::function<void(bool)> done) {
    probes.push_back(sched.now().time_since_epoch());
    answers.push_back(std::move(done));
  });
  server.script = {1};
  client.call(server.op(), out.sink());
  sched.advance_by(60s);
  CHECK(probes == std::vector<Duration>{30s, 60s});
  answers[0](false);
  CHECK_FALSE(client.is_online());
  answers[1](true);
  CHECK(client.is_online());
  sched.advance_by(0s);
  REQUIRE(out.results.size() == 1);
  CHECK(out.results[0].value() == 1);
  sched.advance_by(120s);
  CHECK(probes.size() == 2);  // online: no probing
  CHECK(client.stats().probes == 2);

  SECTION("an answer from an earlier offline period is ignored") {
    client.set_online(false);
    sched.advance_by(30s);
    REQUIRE(answers.size() == 3);
    client.set_online(true);
    client.set_online(false);
    answers[2](true);
    CHECK_FALSE(client.is_online());
  }
  SECTION("removing the probe stops probing") {
    client.set_online(false);
    client.set_probe(nullptr);
    sched.advance_by(300s);
    CHECK(probes.size() == 2);
    CHECK(sched.pending() == 0);
  }
}

TEST_CASE("destroying the client cancels unresolved calls visibly", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  Server server(sched);
  Outcome out;
  std::function<void(CallResult<int>)> late;
  {
    rxsync::ResilientClientOptions o;
    o.start_online = false;
    Client client(sched, o);
    client.call(server.op(), out.sink());
    client.set_online(true);
    sched.advance_by(0s);
    late = server.held.at(0);
    client.set_online(false);
    client.call(server.op(), out.sink());
  }
  REQUIRE(out.results.size() == 2);
  CHECK(out.results[0].error().kind == CallErrorKind::cancelled);
  CHECK(out.results[1].error().kind == CallErrorKind::cancelled);
  late(1);  // the in-flight one answers after destruction: ignored
  sched.run();
  CHECK(out.results.size() == 2);
}

TEST_CASE("a call rejected as queue_full is settled once, even if the client is destroyed first",
          "[resilient_client]") {
  // The rejection is delivered on the scheduler; destroying the client before it runs must
  // settle it then (on_result's state only has to outlive the client), not later.
  rxsync::VirtualTimeScheduler sched;
  Server server(sched);
  auto out = std::make_unique<Outcome>();
  {
    rxsync::ResilientClientOptions o;
    o.start_online = false;
    o.max_queued = 1;
    Client client(sched, o);
    client.call(server.op(), out->sink());
    client.call(server.op(), out->sink());  // rejected: queue full
    CHECK(out->results.empty());
  }
  REQUIRE(out->results.size() == 2);
  CHECK(out->results[0].error().kind == CallErrorKind::cancelled);
  CHECK(out->results[1].error().kind == CallErrorKind::cancelled);
  out.reset();  // under ASan, a late rejection would now be a use after free
  sched.run();
}

TEST_CASE("an operation that replies and then throws keeps its reply", "[resilient_client]") {
  rxsync::VirtualTimeScheduler sched;
  Outcome out;
  Client client(sched);
  client.call(
      [](std::function<void(CallResult<int>)> done) {
        done(7);
        throw std::runtime_error("cleanup failed after replying");
      },
      out.sink());
  sched.run();
  REQUIRE(out.results.size() == 1);
  REQUIRE(out.results[0].ok());
  CHECK(out.results[0].value() == 7);
  CHECK(client.stats().succeeded == 1);
  CHECK(client.stats().failed == 0);
}
