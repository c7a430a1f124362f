#include <rxsync/resilience/retry.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <functional>
#include <optional>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::BackoffOptions;
using rxsync::Classification;
using rxsync::Duration;
using rxsync::ExponentialBackoff;
using rxsync::FixedDelays;
using rxsync::HttpClassifier;
using rxsync::Jitter;
using rxsync::RetryBudget;
using rxsync::RetryReport;
using rxsync::RetryStop;
using rxsync::Verdict;
using rxsync::VirtualTimeScheduler;

namespace {
struct Response {
  int status = 200;
  std::optional<Duration> retry_after;
};

// A scripted server: answers attempt i with statuses[i] at the current virtual time, recording
// when each attempt was made.
struct Server {
  VirtualTimeScheduler* sched;
  std::vector<Response> script;
  std::vector<Duration> attempt_times;
  std::optional<std::function<void(Response)>> held;  // set when answering later
  bool defer = false;

  auto op() {
    return [this](auto complete) {
      attempt_times.push_back(sched->now().time_since_epoch());
      const auto i = attempt_times.size() - 1;
      Response r = i < script.size() ? script[i] : script.back();
      if (defer) {
        held = [complete](Response x) { complete(x); };
      } else {
        complete(r);
      }
    };
  }
};

struct Outcome {
  std::optional<Response> last;
  std::optional<RetryReport> report;
  int calls = 0;
  auto done() {
    return [this](Response r, RetryReport rep) {
      ++calls;
      last = r;
      report = rep;
    };
  }
};

FixedDelays delays() { return FixedDelays{{1s, 2s, 5s, 10s, 30s}}; }
}  // namespace

TEST_CASE("classify_http_status") {
  using rxsync::classify_http_status;
  CHECK(classify_http_status(200).verdict == Verdict::success);
  CHECK(classify_http_status(304).verdict == Verdict::success);
  CHECK(classify_http_status(400).verdict == Verdict::permanent);
  CHECK(classify_http_status(404).verdict == Verdict::permanent);
  CHECK(classify_http_status(429).verdict == Verdict::retryable);
  CHECK(classify_http_status(500).verdict == Verdict::retryable);
  CHECK(classify_http_status(503, 7s).retry_after == Duration(7s));
  CHECK(classify_http_status(0).verdict == Verdict::retryable);
  CHECK(HttpClassifier{}(Response{429, 3s}).retry_after == Duration(3s));
  struct Bare {
    int status;
  };
  CHECK(HttpClassifier{}(Bare{418}).verdict == Verdict::permanent);
}

TEST_CASE("retry waits the policy's delays on the scheduler until success") {
  VirtualTimeScheduler s;
  Server server{&s, {{500, {}}, {502, {}}, {200, {}}}, {}, {}, false};
  Outcome out;
  rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done());
  CHECK(server.attempt_times.size() == 1);
  s.advance_by(999ms);
  CHECK(server.attempt_times.size() == 1);
  s.advance_by(1ms);
  CHECK(server.attempt_times.size() == 2);
  s.run();
  CHECK(server.attempt_times == std::vector<Duration>{0s, 1s, 3s});
  REQUIRE(out.calls == 1);
  CHECK(out.last->status == 200);
  CHECK(out.report->stop == RetryStop::succeeded);
  CHECK(out.report->attempts == 3);
  CHECK(out.report->elapsed == Duration(3s));
}

TEST_CASE("retry stops at once on a permanent error") {
  VirtualTimeScheduler s;
  Server server{&s, {{503, {}}, {404, {}}}, {}, {}, false};
  Outcome out;
  rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done());
  s.run();
  CHECK(out.report->stop == RetryStop::permanent);
  CHECK(out.report->attempts == 2);
  CHECK(out.last->status == 404);
}

TEST_CASE("retry reports exhaustion with the last result") {
  VirtualTimeScheduler s;
  Server server{&s, {{500, {}}}, {}, {}, false};
  Outcome out;
  rxsync::retry<Response>(server.op(), FixedDelays{{1s, 1s}}, s, HttpClassifier{}, out.done());
  s.run();
  CHECK(out.calls == 1);
  CHECK(out.report->stop == RetryStop::exhausted);
  CHECK(out.report->attempts == 3);  // the first plus two retries
}

TEST_CASE("retry honours a server's retry-after instead of the backoff delay") {
  VirtualTimeScheduler s;
  Server server{&s, {{429, 20s}, {503, {}}, {200, {}}}, {}, {}, false};
  Outcome out;
  rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done());
  s.run();
  // 20 s from the server, then the policy's second delay (2 s): retry-after used one step.
  CHECK(server.attempt_times == std::vector<Duration>{0s, 20s, 22s});
  CHECK(out.report->stop == RetryStop::succeeded);
}

TEST_CASE("retry gives up when the next attempt would start after the deadline") {
  VirtualTimeScheduler s;
  Server server{&s, {{500, {}}}, {}, {}, false};
  Outcome out;
  rxsync::RetryOptions opt;
  opt.deadline = 8s;
  rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done(), opt);
  s.run();
  // attempts at 0, 1, 3, 8 (exactly at the deadline is allowed); the next would be at 18.
  CHECK(server.attempt_times == std::vector<Duration>{0s, 1s, 3s, 8s});
  CHECK(out.report->stop == RetryStop::deadline);
  CHECK(out.report->elapsed == Duration(8s));
}

TEST_CASE("retry can be cancelled, then on_done is never called") {
  VirtualTimeScheduler s;
  Server server{&s, {{500, {}}}, {}, {}, false};
  Outcome out;
  auto sub = rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done());
  s.advance_by(1s);
  sub.unsubscribe();
  CHECK(s.pending() == 0);
  s.run();
  CHECK(server.attempt_times.size() == 2);
  CHECK(out.calls == 0);
}

TEST_CASE("retry ignores stale and repeated completions") {
  VirtualTimeScheduler s;
  Server server{&s, {{500, {}}}, {}, {}, true};
  Outcome out;
  rxsync::retry<Response>(server.op(), delays(), s, HttpClassifier{}, out.done());
  REQUIRE(server.held);
  auto first = *server.held;
  first(Response{500, {}});
  first(Response{200, {}});  // a second call of the same completion is ignored
  s.advance_by(1s);
  REQUIRE(server.attempt_times.size() == 2);
  first(Response{200, {}});  // stale: belongs to attempt 1
  CHECK(out.calls == 0);
  (*server.held)(Response{200, {}});
  CHECK(out.calls == 1);
  CHECK(out.report->attempts == 2);
}

TEST_CASE("retry works with a jittered exponential policy and a custom classifier") {
  VirtualTimeScheduler s;
  int calls = 0;
  std::optional<RetryReport> rep;
  BackoffOptions o;
  o.initial = 100ms;
  o.max_retries = 4;
  o.jitter = Jitter::full;
  auto op = [&](auto complete) { complete(++calls); };
  rxsync::retry<int>(
      op, ExponentialBackoff<>(o, rxsync::DefaultRandom(1)), s,
      [](const int& n) { return n < 3 ? Classification::retryable() : Classification::success(); },
      [&](int, RetryReport r) { rep = r; });
  s.run();
  CHECK(calls == 3);
  REQUIRE(rep);
  CHECK(rep->stop == RetryStop::succeeded);
  CHECK(rep->elapsed <= Duration(300ms));
}

TEST_CASE("RetryBudget: failures spend, successes refill, retries stop below half") {
  RetryBudget b(10, 0.5);
  CHECK(b.tokens() == 10.0);
  for (int i = 0; i < 4; ++i) b.on_failure();
  CHECK(b.allow_retry());  // 6 > 5
  b.on_failure();
  CHECK_FALSE(b.allow_retry());  // 5 is not > 5
  b.on_success();
  CHECK(b.tokens() == Approx(5.5));
  CHECK(b.allow_retry());
  for (int i = 0; i < 100; ++i) b.on_failure();
  CHECK(b.tokens() == 0.0);
  for (int i = 0; i < 100; ++i) b.on_success();
  CHECK(b.tokens() == 10.0);

  REQUIRE_THROWS_WITH(RetryBudget(0), rxsync_test::contains("RetryBudget.max_tokens"));
  REQUIRE_THROWS_WITH(RetryBudget(2000), rxsync_test::contains("got 2000"));
  REQUIRE_THROWS_WITH(RetryBudget(10, 0), rxsync_test::contains("RetryBudget.token_ratio"));
  REQUIRE_THROWS_WITH(RetryBudget(10, 1.5), rxsync_test::contains("got 1.5"));
  // Below one milli-token the bucket would round to nothing: refused, not silently zero.
  REQUIRE_THROWS_WITH(RetryBudget(0.0004), rxsync_test::contains("[0.001, 1000], got 0.0004"));
  REQUIRE_THROWS_WITH(RetryBudget(10, 0.0004), rxsync_test::contains("[0.001, 1], got 0.0004"));
  RetryBudget smallest(0.001, 0.001);
  CHECK(smallest.allow_retry());
}

TEST_CASE("a shared RetryBudget stops a fleet of failing calls from retrying") {
  VirtualTimeScheduler s;
  RetryBudget budget(10, 0.1);
  rxsync::RetryOptions opt;
  opt.budget = &budget;
  int attempts = 0, throttled = 0;
  auto op = [&](auto complete) {
    ++attempts;
    complete(Response{503, {}});
  };
  for (int i = 0; i < 20; ++i) {
    rxsync::retry<Response>(
        op, delays(), s, HttpClassifier{},
        [&](Response, RetryReport r) { throttled += r.stop == RetryStop::throttled; }, opt);
  }
  s.run();
  // Without the budget: 20 * 6 attempts. With it, retrying stops once 5 tokens were spent.
  CHECK(attempts == 24);
  CHECK(throttled == 20);
}

TEST_CASE("retry rejects a negative deadline") {
  VirtualTimeScheduler s;
  rxsync::RetryOptions opt;
  opt.deadline = -1s;
  auto op = [](auto complete) { complete(Response{}); };
  REQUIRE_THROWS_WITH(rxsync::retry<Response>(
                          op, delays(), s, HttpClassifier{}, [](Response, RetryReport) {}, opt),
                      rxsync_test::contains("RetryOptions.deadline must be >= 0"));
}
