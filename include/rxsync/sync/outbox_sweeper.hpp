// rxsync/sync/outbox_sweeper.hpp - the fallback daemon that re-offers unsynced Outbox records.
//
// Every `interval` on the scheduler it offers each record that is not in flight and older than
// `min_age` to a callback (which re-sends it and reports back through the Outbox). A record that
// has failed `max_attempts` times is marked failed in the Outbox (kept, never deleted) and
// reported on failures(). Thread-safe; sweeps and offers run on the scheduler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/detail/callback_gate.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/sync/batch_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SweeperOptions {
  Duration interval = std::chrono::seconds(30);  // between sweeps
  Duration min_age =
      std::chrono::seconds(30);    // fresh, never-tried records belong to the fast path
  std::uint32_t max_attempts = 5;  // failures after which a record is given up
                                   // (unlimited_attempts: never)
  Duration in_flight_timeout =
      std::chrono::minutes(5);  // an offer with no news since is re-offered
};

inline void validate_sweeper_options(const SweeperOptions& o) {
  auto ns = [](Duration d) { return std::to_string(d.count()) + "ns"; };
  if (o.interval <= Duration::zero()) {
    throw std::invalid_argument("SweeperOptions.interval must be > 0, got " + ns(o.interval));
  }
  if (o.min_age < Duration::zero()) {
    throw std::invalid_argument("SweeperOptions.min_age must be >= 0, got " + ns(o.min_age));
  }
  if (o.max_attempts == 0)
    throw std::invalid_argument("SweeperOptions.max_attempts must be >= 1, got 0");
  if (o.in_flight_timeout <= Duration::zero()) {
    throw std::invalid_argument("SweeperOptions.in_flight_timeout must be > 0, got " +
                                ns(o.in_flight_timeout));
  }
}

template <class OutboxT, class Sched>
class OutboxSweeper {
  static_assert(check_scheduler<Sched>());

 public:
  using Record = typename OutboxT::Record;
  using Key = decltype(Record::key);
  using Offer = std::function<void(const Record&)>;

  OutboxSweeper(OutboxT& outbox, Sched& scheduler, Offer offer, SweeperOptions options = {})
      : state_(std::make_shared<State>(outbox, scheduler, std::move(offer), checked(options))) {}
  OutboxSweeper(const OutboxSweeper&) = delete;
  OutboxSweeper& operator=(const OutboxSweeper&) = delete;
  // Waits for a sweep running on another thread to finish (its offers use what the owner owns).
  ~OutboxSweeper() {
    stop();
    state_->gate.close();
  }

  // Sweeps every `interval`, the first one `interval` from now.
  void start() {
    std::lock_guard lock(state_->mutex);
    if (state_->running) return;
    state_->running = true;
    State::arm_locked(state_);
  }
  void stop() {
    std::lock_guard lock(state_->mutex);
    state_->running = false;
    state_->timer.unsubscribe();
  }

  // One pass now (on the calling thread). Returns how many records were offered.
  std::size_t sweep() { return state_->sweep(); }

  // Records given up by this sweeper, as they are marked failed.
  Observable<Record> failures() const { return state_->failures.as_observable(); }

 private:
  static SweeperOptions checked(SweeperOptions o) {
    validate_sweeper_options(o);
    return o;
  }

  struct Offered {
    std::uint64_t version;
    std::uint32_t attempts;
    TimePoint at;
  };

  struct State {
    State(OutboxT& o, Sched& s, Offer f, SweeperOptions opt)
        : outbox(o), sched(s), offer(std::move(f)), options(opt) {}

    static void arm_locked(const std::shared_ptr<State>& self) {
      self->timer =
          self->sched.schedule_after(self->options.interval, [weak = std::weak_ptr<State>(self)] {
            auto s = weak.lock();
            if (!s) return;
            detail::CallbackGate::Pass pass(s->gate);
            if (!pass) return;
            try {
              s->sweep();
            } catch (...) {  // an offer threw: the next sweep still comes, then report it
              s->rearm(s);
              throw;
            }
            s->rearm(s);
          });
    }
    static void rearm(const std::shared_ptr<State>& self) {
      std::lock_guard lock(self->mutex);
      if (self->running) arm_locked(self);
    }

    std::size_t sweep() {
      const TimePoint now = sched.now();
      std::vector<Record> to_offer;
      std::vector<Record> given_up;
      {
        std::lock_guard lock(mutex);
        std::unordered_map<Key, Offered> still_offered;
        for (Record& rec : outbox.pending()) {
          if (rec.failed) continue;
          if (options.max_attempts != unlimited_attempts && rec.attempts >= options.max_attempts) {
            const std::string error = "gave up after " + std::to_string(rec.attempts) +
                                      " attempts; last error: " + rec.last_error;
            if (outbox.mark_failed(rec.key, rec.version, error)) {
              rec.failed = true;
              rec.last_error = error;
              given_up.push_back(std::move(rec));
            }
            continue;
          }
          if (auto it = offered.find(rec.key); it != offered.end()) {
            const Offered& o = it->second;
            // No news about what we offered (not synced, no failure recorded) and not too long
            // ago: it is still in flight.
            if (o.version == rec.version && o.attempts == rec.attempts &&
                now - o.at < options.in_flight_timeout) {
              still_offered.emplace(rec.key, o);
              continue;
            }
          }
          if (rec.attempts == 0 && now - rec.enqueued_at < options.min_age) continue;
          still_offered.emplace(rec.key, Offered{rec.version, rec.attempts, now});
          to_offer.push_back(std::move(rec));
        }
        offered = std::move(still_offered);  // forgets synced records
      }
      // Give-ups first: they are already marked failed in the outbox, so they must be reported
      // whatever the offers do. An offer that throws is forgotten (offered again next sweep)
      // and the first exception is rethrown after the rest were offered.
      for (const Record& rec : given_up) failures.on_next(rec);
      std::exception_ptr first_error;
      for (const Record& rec : to_offer) {
        try {
          offer(rec);
        } catch (...) {
          if (!first_error) first_error = std::current_exception();
          std::lock_guard lock(mutex);
          offered.erase(rec.key);
        }
      }
      if (first_error) std::rethrow_exception(first_error);
      return to_offer.size();
    }

    OutboxT& outbox;
    Sched& sched;
    Offer offer;
    const SweeperOptions options;
    std::mutex mutex;
    std::unordered_map<Key, Offered> offered;
    PublishSubject<Record, Synchronized> failures;
    Subscription timer;
    bool running = false;
    detail::CallbackGate gate;
  };

  std::shared_ptr<State> state_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
