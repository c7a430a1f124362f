#include <rxsync/resilience/perf_monitor.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::Duration;
using rxsync::PerfAnomaly;
using rxsync::PerfMonitor;
using rxsync::PerfMonitorOptions;

TEST_CASE("PerfMonitor computes window statistics") {
  PerfMonitor m;
  CHECK_FALSE(m.stats("op").has_value());
  // 1..100 ms, every 10th a failure.
  for (int i = 1; i <= 100; ++i) m.record("op", std::chrono::milliseconds(i), i % 10 != 0);
  const auto s = m.stats("op").value();
  CHECK(s.count == 100);
  CHECK(s.total == 100);
  CHECK(s.mean == Duration(50500us));
  // Population stddev of 1..100 is sqrt((100^2 - 1) / 12) = 28.866 ms.
  CHECK(static_cast<double>(s.stddev.count()) == Approx(28.8660700e6).epsilon(1e-6));
  CHECK(s.p50 == Duration(50ms));
  CHECK(s.p95 == Duration(95ms));
  CHECK(s.p99 == Duration(99ms));
  CHECK(s.min == Duration(1ms));
  CHECK(s.max == Duration(100ms));
  CHECK(s.success_rate == Approx(0.9));
  CHECK(m.names() == std::vector<std::string>{"op"});
}

TEST_CASE("PerfMonitor keeps a sliding window per name") {
  PerfMonitorOptions o;
  o.window = 4;
  PerfMonitor m(o);
  for (int i = 1; i <= 10; ++i) m.record("a", std::chrono::milliseconds(i), i != 9);
  m.record("b", 1s);
  auto a = m.stats("a").value();
  CHECK(a.count == 4);  // 7, 8, 9, 10
  CHECK(a.total == 10);
  CHECK(a.mean == Duration(8500us));
  CHECK(a.min == Duration(7ms));
  CHECK(a.success_rate == Approx(0.75));
  // Many laps of the ring keep the running sums exact.
  for (int i = 0; i < 10001; ++i) m.record("a", 5ms);
  a = m.stats("a").value();
  CHECK(a.mean == Duration(5ms));
  CHECK(a.stddev == Duration(0));
  CHECK(a.success_rate == 1.0);
  CHECK(m.stats("b")->count == 1);
}

TEST_CASE("PerfMonitor reports samples beyond 3 sigma") {
  PerfMonitorOptions o;
  o.anomaly_min_samples = 10;
  PerfMonitor m(o);
  std::vector<PerfAnomaly> seen;
  auto sub = m.on_anomaly([&](const PerfAnomaly& a) { seen.push_back(a); });
  // Alternating 90/110 ms: mean 100, stddev 10.
  for (int i = 0; i < 20; ++i) m.record("sync", i % 2 == 0 ? 90ms : 110ms);
  CHECK(seen.empty());
  m.record("sync", 130ms);  // exactly 3 sigma: not beyond
  CHECK(seen.empty());
  m.record("sync", 200ms);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].name == "sync");
  CHECK(seen[0].duration == Duration(200ms));
  CHECK(seen[0].sigmas > 3.0);
  m.record("sync", 1ms);  // far below is an anomaly too
  CHECK(seen.size() == 2);
  CHECK(seen[1].sigmas < -3.0);
  sub.unsubscribe();
  m.record("sync", 10s);
  CHECK(seen.size() == 2);
}

TEST_CASE("PerfMonitor::anomalies() is an observable of the same reports") {
  PerfMonitorOptions o;
  o.anomaly_min_samples = 10;
  PerfMonitor m(o);
  std::vector<rxsync::Duration> seen;
  auto sub = m.anomalies().subscribe([&](const PerfAnomaly& a) { seen.push_back(a.duration); });
  for (int i = 0; i < 20; ++i) m.record("op", i % 2 == 0 ? 90ms : 110ms);
  m.record("op", 500ms);
  m.record("op", 100ms);
  CHECK(seen == std::vector<rxsync::Duration>{500ms});
  sub.unsubscribe();
  m.record("op", 5s);
  CHECK(seen.size() == 1);
}

TEST_CASE("PerfMonitor needs enough samples and some spread before judging") {
  PerfMonitor m;
  int anomalies = 0;
  auto sub = m.on_anomaly([&](const PerfAnomaly&) { ++anomalies; });
  for (int i = 0; i < 19; ++i) m.record("x", 10ms);
  m.record("x", 10s);  // only 19 earlier samples
  for (int i = 0; i < 30; ++i) m.record("y", 10ms);
  m.record("y", 10s);  // stddev 0: no judgement
  CHECK(anomalies == 0);
}

TEST_CASE("PerfMonitor stddev stays exact for large equal samples and after an outlier leaves") {
  // sq/n - mean^2 over raw nanoseconds cancels catastrophically for ~2-minute samples.
  PerfMonitor m;
  int anomalies = 0;
  auto sub = m.on_anomaly([&](const PerfAnomaly&) { ++anomalies; });
  const Duration x(123'456'789'123);
  for (int i = 0; i < 21; ++i) m.record("slow", x);
  CHECK(m.stats("slow")->stddev == Duration::zero());
  m.record("slow", x + 1us);  // no spread yet: nothing to judge against
  CHECK(anomalies == 0);

  // A stuck call leaves the window; the rest alternate 1000/3000 ns.
  PerfMonitor w({.window = 10});
  w.record("op", Duration(1'000'000'000'000'000));
  for (int i = 0; i < 10; ++i) w.record("op", Duration(i % 2 ? 3000 : 1000));
  const auto s = w.stats("op").value();
  CHECK(s.mean == Duration(2000));
  CHECK(s.stddev == Duration(1000));
}

TEST_CASE("PerfMonitor::track times a function on the scheduler's clock") {
  rxsync::VirtualTimeScheduler s;
  PerfMonitor m(s);
  const int r = m.track("work", [&] {
    s.advance_by(250ms);
    return 42;
  });
  CHECK(r == 42);
  REQUIRE_THROWS_AS(m.track("work",
                            [&] {
                              s.advance_by(50ms);
                              throw std::runtime_error("x");
                            }),
                    std::runtime_error);
  const auto st = m.stats("work").value();
  CHECK(st.count == 2);
  CHECK(st.max == Duration(250ms));
  CHECK(st.min == Duration(50ms));
  CHECK(st.success_rate == Approx(0.5));

  PerfMonitor no_clock;
  REQUIRE_THROWS_AS(no_clock.track("w", [] {}), std::logic_error);
}

TEST_CASE("PerfMonitor::optimal_batch_size stays within 10 to 100") {
  PerfMonitor m;
  CHECK(m.optimal_batch_size() == 50);
  for (int i = 0; i < 50; ++i) m.record("sync", 200ms);
  CHECK(m.optimal_batch_size() == 100);  // fast and healthy
  m.clear();
  for (int i = 0; i < 50; ++i) m.record("sync", 4s);
  CHECK(m.optimal_batch_size() == 25);  // p95 4x the 1 s target
  m.clear();
  for (int i = 0; i < 50; ++i) m.record("sync", 100s, i % 2 == 0);
  CHECK(m.optimal_batch_size() == 10);
  m.clear();
  for (int i = 0; i < 50; ++i) m.record("sync", 100ms, i % 5 != 0);
  CHECK(m.optimal_batch_size() == 80);
}

TEST_CASE("PerfMonitor rejects bad options and negative durations") {
  PerfMonitorOptions o;
  o.window = 1;
  REQUIRE_THROWS_WITH(PerfMonitor(o),
                      rxsync_test::contains("PerfMonitorOptions.window must be >= 2, got 1"));
  o = {};
  o.anomaly_sigma = 0;
  REQUIRE_THROWS_WITH(PerfMonitor(o), rxsync_test::contains("anomaly_sigma"));
  o = {};
  o.anomaly_min_samples = 1;
  REQUIRE_THROWS_WITH(PerfMonitor(o), rxsync_test::contains("anomaly_min_samples"));
  o = {};
  o.batch_target_latency = 0s;
  REQUIRE_THROWS_WITH(PerfMonitor(o), rxsync_test::contains("batch_target_latency"));
  PerfMonitor m;
  REQUIRE_THROWS_WITH(m.record("op", -1ms), rxsync_test::contains("duration must be >= 0"));
}
