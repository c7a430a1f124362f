// The Memobase seed as a scenario: dialogue turns logged durably with a synced flag, a realtime
// worker that sends each turn at once, a fallback sweeper that retries unsynced turns up to 5
// times, statistics, and stop(timeout) that drains the queue. Built from Outbox +
// BatchOrchestrator + OutboxSweeper, in virtual time.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>
#include <rxsync/sync/outbox.hpp>
#include <rxsync/sync/outbox_sweeper.hpp>

#include "batch_test_support.hpp"
#include "rxsync_catch.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Turn = std::string;
using Log = rxsync::Outbox<std::string, Turn, rxsync::MemoryStorage>;
using Transport = rxsync_test::ScriptedTransport<std::string, Turn>;

// What an app would write: log first (durable), send at once, let the sweeper catch up.
class DialogueWorker {
 public:
  struct Stats {
    std::uint64_t enqueued = 0, synced = 0, failed = 0;
    double success_rate() const {
      return enqueued == 0 ? 1.0 : static_cast<double>(synced) / static_cast<double>(enqueued);
    }
  };

  DialogueWorker(rxsync::VirtualTimeScheduler& sched, rxsync::MemoryStorage& storage,
                 Transport& transport)
      : sched_(sched),
        log_(storage, sched),
        orch_(sched, transport, realtime_options()),
        sweeper_(
            log_, sched, [this](const Log::Record& r) { orch_.enqueue(r.key, r.value); },
            sweeper_options()) {
    events_ = orch_.events().subscribe([this](const auto& e) {
      const auto rec = log_.get(e.item.key);
      if (!rec) return;
      if (e.kind == rxsync::BatchEventKind::delivered && log_.mark_synced(e.item.key, rec->version))
        ++stats_.synced;
      if (e.kind == rxsync::BatchEventKind::dead_lettered)
        log_.record_failure(e.item.key, rec->version, "send failed");
    });
    failures_ = sweeper_.failures().subscribe([this](const Log::Record&) { ++stats_.failed; });
    sweeper_.start();
  }

  void log_turn(const std::string& id, const Turn& text) {
    if (stopping_) throw std::logic_error("log_turn after stop");
    log_.put(id, text);  // durable before anything else happens
    ++stats_.enqueued;
    orch_.enqueue(id, text);  // realtime path: window 0, sent on the scheduler's next turn
  }

  // Drains: true if every turn was synced or given up within `timeout` (virtual time).
  bool stop(rxsync::Duration timeout) {
    const auto deadline = sched_.now() + timeout;
    stopping_ = true;  // no new turns; the sweeper still re-sends through the orchestrator
    orch_.flush();
    while (sched_.now() < deadline) {
      if (unsynced() == 0) break;
      sched_.advance_by(std::min<rxsync::Duration>(1s, deadline - sched_.now()));
    }
    sweeper_.stop();
    return unsynced() == 0;
  }

  std::size_t unsynced() const {
    std::size_t n = 0;
    for (const auto& r : log_.pending()) n += r.failed ? 0 : 1;
    return n;
  }
  const Stats& stats() const { return stats_; }
  Log& log() { return log_; }

 private:
  static rxsync::BatchOptions realtime_options() {
    rxsync::BatchOptions o;
    o.window = 0ms;
    o.max_attempts = 1;  // the realtime path tries once; the sweeper owns retries
    return o;
  }
  static rxsync::SweeperOptions sweeper_options() {
    rxsync::SweeperOptions o;
    o.interval = 10s;
    o.min_age = 10s;
    o.max_attempts = 5;
    return o;
  }

  rxsync::VirtualTimeScheduler& sched_;
  Log log_;
  rxsync::BatchOrchestrator<std::string, Turn, Transport, rxsync::VirtualTimeScheduler> orch_;
  rxsync::OutboxSweeper<Log, rxsync::VirtualTimeScheduler> sweeper_;
  Stats stats_;
  bool stopping_ = false;
  rxsync::ScopedSubscription events_, failures_;
};

}  // namespace

TEST_CASE("dialogue turns: realtime sync, sweeper retries up to 5 times, stop drains",
          "[sync][dialogue]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::MemoryStorage storage;
  Transport transport;
  // The memory service is down for turn-2 and turn-3 until t = 25 s; turn-4 is refused forever.
  transport.auto_reply = [&](const std::vector<Transport::Item>& items) {
    std::vector<rxsync::ItemOutcome> out;
    for (const auto& item : items) {
      const bool down =
          sched.now() < rxsync::TimePoint(25s) && (item.key == "turn-2" || item.key == "turn-3");
      out.push_back(down || item.key == "turn-4" ? rxsync::ItemOutcome::retry
                                                 : rxsync::ItemOutcome::ok);
    }
    return out;
  };
  DialogueWorker worker(sched, storage, transport);
  for (int i = 1; i <= 4; ++i)
    worker.log_turn("turn-" + std::to_string(i), "user said " + std::to_string(i));
  sched.advance_by(0ms);
  CHECK(worker.stats().synced == 1);  // turn-1 went through at once
  CHECK(worker.unsynced() == 3);

  const bool drained = worker.stop(120s);
  CHECK(drained);
  CHECK(worker.stats().enqueued == 4);
  CHECK(worker.stats().synced == 3);  // the sweeper delivered turn-2 and turn-3 after the outage
  CHECK(worker.stats().failed == 1);  // turn-4 given up after 5 attempts...
  auto rec = worker.log().get("turn-4");
  REQUIRE(rec);  // ...but kept in the log with its error, not deleted
  CHECK(rec->failed);
  CHECK(rec->attempts == 5);
  CHECK(worker.stats().success_rate() == Approx(0.75));
}
