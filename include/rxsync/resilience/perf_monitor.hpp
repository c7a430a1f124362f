// rxsync/resilience/perf_monitor.hpp - per-operation latency statistics and anomaly detection.
//
// The seeds' performance monitor: record(name, duration, ok) or track(name, fn) feed a sliding
// window of the last `window` samples per name, from which stats() gives count, mean, stddev,
// p50/p95/p99 and success rate; a sample beyond `anomaly_sigma` standard deviations of the
// window's mean is reported to anomaly listeners; optimal_batch_size() turns a sync operation's
// recent latency and success into a batch size in [10, 100].
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct PerfMonitorOptions {
  std::size_t window = 1000;             // samples kept per name (>= 2)
  double anomaly_sigma = 3.0;            // > 0
  std::size_t anomaly_min_samples = 20;  // window samples needed before judging (>= 2)
  Duration batch_target_latency = std::chrono::seconds(1);  // for optimal_batch_size(); > 0
};

struct PerfStats {
  std::size_t count = 0;    // samples in the window
  std::uint64_t total = 0;  // samples ever recorded
  Duration mean{0};
  Duration stddev{0};               // population standard deviation over the window
  Duration p50{0}, p95{0}, p99{0};  // nearest-rank percentiles over the window
  Duration min{0}, max{0};
  double success_rate = 1.0;  // ok samples / samples, over the window
};

struct PerfAnomaly {
  std::string name;
  Duration duration;
  Duration mean;  // of the window before this sample
  Duration stddev;
  double sigmas;  // (duration - mean) / stddev, signed
};

namespace detail {

// PerfMonitor's members, in a class template so that their bodies (and the map, function and
// subject instantiations they need) are compiled only in a program that uses the monitor, not
// in every one that includes this header.
template <class = void>
class PerfMonitorImpl {
 public:
  using AnomalyListener = std::function<void(const PerfAnomaly&)>;

  explicit PerfMonitorImpl(PerfMonitorOptions options = {})
      : opt_(options), shared_(std::make_shared<Shared>()) {
    validate();
  }
  // With a clock for track(); only its now() is called. It must outlive the monitor.
  // Constrained only against copying (which is deleted): a clock without now() gets
  // check_clock's message, not "no matching constructor".
  template <class S>
    requires(!std::is_base_of_v<PerfMonitorImpl, std::remove_cv_t<S>>)
  explicit PerfMonitorImpl(S& clock, PerfMonitorOptions options = {}) : PerfMonitorImpl(options) {
    static_assert(check_clock<S>());
    clock_ = &clock;
    if constexpr (SchedulerHasNow<S>) {
      now_ = [](const void* c) { return static_cast<S*>(const_cast<void*>(c))->now(); };
    }
  }
  PerfMonitorImpl(const PerfMonitorImpl&) = delete;
  PerfMonitorImpl& operator=(const PerfMonitorImpl&) = delete;

  void record(std::string_view name, Duration duration, bool ok = true) {
    if (duration < Duration::zero()) {
      throw std::invalid_argument("PerfMonitor::record: duration must be >= 0, got " +
                                  detail::duration_text(duration) + " for '" + std::string(name) +
                                  "'");
    }
    std::optional<PerfAnomaly> anomaly;
    {
      std::lock_guard lock(shared_->mutex);
      auto it = series_.find(name);
      if (it == series_.end()) it = series_.emplace(std::string(name), Series(opt_.window)).first;
      Series& s = it->second;
      const auto n = s.size();
      if (n >= opt_.anomaly_min_samples) {
        const double mean = s.mean();
        const double sd = s.stddev();
        const double x = static_cast<double>(duration.count());
        if (sd > 0 && std::abs(x - mean) > opt_.anomaly_sigma * sd) {
          anomaly = PerfAnomaly{std::string(name), duration, to_duration(mean), to_duration(sd),
                                (x - mean) / sd};
        }
      }
      s.add(duration, ok);
    }
    if (anomaly) {
      for (auto& l : listeners_snapshot()) (*l)(*anomaly);
      shared_->subject.on_next(*anomaly);
    }
  }

  // Times fn() on the clock and records it; an exception records a failure and is rethrown.
  template <class F>
  decltype(auto) track(std::string_view name, F&& fn) {
    if (clock_ == nullptr) {
      throw std::logic_error("PerfMonitor::track needs a monitor constructed with a clock");
    }
    const TimePoint start = now_(clock_);
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        fn();
        record(name, now_(clock_) - start, true);
      } else {
        decltype(auto) r = fn();
        record(name, now_(clock_) - start, true);
        return r;
      }
    } catch (...) {
      record(name, now_(clock_) - start, false);
      throw;
    }
  }

  std::optional<PerfStats> stats(std::string_view name) const {
    std::lock_guard lock(shared_->mutex);
    auto it = series_.find(name);
    if (it == series_.end() || it->second.size() == 0) return std::nullopt;
    return it->second.stats();
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(shared_->mutex);
    std::vector<std::string> out;
    for (const auto& [k, v] : series_) out.push_back(k);
    return out;
  }

  // Batch size for a sync operation recorded under `name` (one sample per batch): the largest
  // batch (100) scaled down by how far its p95 exceeds the target latency and by its failure
  // rate, i.e. clamp(round(100 * min(1, target / p95) * success_rate), 10, 100). 50 with no data.
  std::size_t optimal_batch_size(std::string_view name = "sync") const {
    const auto st = stats(name);
    if (!st) return 50;
    double factor = st->success_rate;
    if (st->p95 > opt_.batch_target_latency) {
      factor *= static_cast<double>(opt_.batch_target_latency.count()) /
                static_cast<double>(st->p95.count());
    }
    const double size = std::round(100.0 * factor);
    return static_cast<std::size_t>(std::clamp(size, 10.0, 100.0));
  }

  // Every anomaly from now on (a synchronized PublishSubject; never completes).
  Observable<PerfAnomaly> anomalies() const { return shared_->subject.as_observable(); }

  // Registers an anomaly listener; unsubscribe the handle to remove it.
  Subscription on_anomaly(AnomalyListener listener) {
    std::lock_guard lock(shared_->mutex);
    const auto id = shared_->next_id++;
    shared_->listeners.emplace(id, std::make_shared<AnomalyListener>(std::move(listener)));
    return Subscription::create([weak = std::weak_ptr<Shared>(shared_), id] {
      if (auto s = weak.lock()) {
        std::lock_guard l(s->mutex);
        s->listeners.erase(id);
      }
    });
  }

  void clear() {
    std::lock_guard lock(shared_->mutex);
    series_.clear();
  }

 private:
  // A ring of the last `capacity` samples with running sums. The sums are rebuilt from the ring
  // once per lap so floating-point drift cannot accumulate.
  class Series {
   public:
    explicit Series(std::size_t capacity) : cap_(capacity) {
      ring_.reserve(std::min<std::size_t>(capacity, 64));
    }
    std::size_t size() const noexcept { return ring_.size(); }
    void add(Duration d, bool ok) {
      ++total_;
      if (ring_.empty()) shift_ = static_cast<long double>(d.count());
      bool lap_done = false;
      if (ring_.size() < cap_) {
        ring_.push_back({d, ok});
      } else {
        const Sample old = ring_[next_];
        const long double y = dev(old.d);
        sum_ -= y;
        sq_ -= y * y;
        if (!old.ok) --failures_;
        ring_[next_] = {d, ok};
        next_ = (next_ + 1) % cap_;
        lap_done = next_ == 0;
      }
      const long double x = dev(d);
      sum_ += x;
      sq_ += x * x;
      if (!ok) ++failures_;
      // Rebuild exactly once per lap (running sums drift), and whenever the variance has
      // become a tiny difference of large sums: after a far outlier left the window, or once
      // the mean has moved far from the shift the sums are taken about.
      const auto n = static_cast<long double>(ring_.size());
      const long double m = sum_ / n;
      if (lap_done || (sq_ > 0 && sq_ / n - m * m < 1e-6L * (sq_ / n))) rebuild();
    }
    double mean() const {
      return static_cast<double>(shift_ + sum_ / static_cast<long double>(ring_.size()));
    }
    double stddev() const {
      const auto n = static_cast<long double>(ring_.size());
      const long double m = sum_ / n;
      const long double var = sq_ / n - m * m;
      return var > 0 ? static_cast<double>(std::sqrt(var)) : 0.0;
    }
    PerfStats stats() const {
      PerfStats s;
      s.count = ring_.size();
      s.total = total_;
      s.mean = to_duration(mean());
      s.stddev = to_duration(stddev());
      std::vector<Duration> sorted;
      sorted.reserve(ring_.size());
      for (const auto& x : ring_) sorted.push_back(x.d);
      std::sort(sorted.begin(), sorted.end());
      const auto rank = [&](double p) {
        const auto r = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
        return sorted[std::clamp<std::size_t>(r, 1, sorted.size()) - 1];
      };
      s.p50 = rank(0.50);
      s.p95 = rank(0.95);
      s.p99 = rank(0.99);
      s.min = sorted.front();
      s.max = sorted.back();
      s.success_rate = 1.0 - static_cast<double>(failures_) / static_cast<double>(ring_.size());
      return s;
    }

   private:
    struct Sample {
      Duration d;
      bool ok;
    };
    long double dev(Duration d) const { return static_cast<long double>(d.count()) - shift_; }
    // Two passes: the exact mean becomes the shift, then the sums of deviations from it.
    // Samples that are all equal give sums of exactly zero.
    void rebuild() {
      long double total = 0;
      for (const auto& s : ring_) total += static_cast<long double>(s.d.count());
      shift_ = total / static_cast<long double>(ring_.size());
      sum_ = sq_ = 0;
      failures_ = 0;
      for (const auto& s : ring_) {
        const long double y = dev(s.d);
        sum_ += y;
        sq_ += y * y;
        if (!s.ok) ++failures_;
      }
    }
    std::size_t cap_;
    std::vector<Sample> ring_;
    std::size_t next_ = 0;
    long double shift_ = 0;  // the sums are of deviations from this, to keep them small
    long double sum_ = 0;
    long double sq_ = 0;
    std::size_t failures_ = 0;
    std::uint64_t total_ = 0;
  };

  struct Shared {
    std::mutex mutex;
    std::map<std::uint64_t, std::shared_ptr<AnomalyListener>> listeners;
    std::uint64_t next_id = 0;
    PublishSubject<PerfAnomaly, Synchronized> subject;
  };

  static Duration to_duration(double ns) { return detail::to_duration_saturated(ns); }

  std::vector<std::shared_ptr<AnomalyListener>> listeners_snapshot() {
    std::lock_guard lock(shared_->mutex);
    std::vector<std::shared_ptr<AnomalyListener>> out;
    for (auto& [id, l] : shared_->listeners) out.push_back(l);
    return out;
  }

  void validate() const {
    if (opt_.window < 2) {
      throw std::invalid_argument("PerfMonitorOptions.window must be >= 2, got " +
                                  std::to_string(opt_.window));
    }
    if (!(opt_.anomaly_sigma > 0) || std::isinf(opt_.anomaly_sigma)) {
      throw std::invalid_argument("PerfMonitorOptions.anomaly_sigma must be > 0, got " +
                                  detail::double_text(opt_.anomaly_sigma));
    }
    if (opt_.anomaly_min_samples < 2) {
      throw std::invalid_argument("PerfMonitorOptions.anomaly_min_samples must be >= 2, got " +
                                  std::to_string(opt_.anomaly_min_samples));
    }
    if (opt_.batch_target_latency <= Duration::zero()) {
      throw std::invalid_argument("PerfMonitorOptions.batch_target_latency must be > 0, got " +
                                  detail::duration_text(opt_.batch_target_latency));
    }
  }

  PerfMonitorOptions opt_;
  std::shared_ptr<Shared> shared_;
  std::map<std::string, Series, std::less<>> series_;  // guarded by shared_->mutex
  const void* clock_ = nullptr;
  TimePoint (*now_)(const void*) = nullptr;
};

}  // namespace detail

// Thread-safe. Anomalies go to anomalies() subscribers and on_anomaly listeners, outside the
// monitor's lock, on the recording thread.
class PerfMonitor : public detail::PerfMonitorImpl<> {
 public:
  using PerfMonitorImpl::PerfMonitorImpl;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
