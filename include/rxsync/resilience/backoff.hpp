// rxsync/resilience/backoff.hpp - retry delay policies: exponential with jitter, fixed tables.
//
// Jittered exponential backoff after AWS "Exponential Backoff and Jitter" and gRPC connection
// backoff. Every policy here satisfies rxsync::BackoffPolicy: next_delay() yields successive
// delays, then nullopt once `max_retries` delays were handed out; reset() starts over.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class Jitter { none, full, equal, decorrelated, proportional };

struct BackoffOptions {
  Duration initial = std::chrono::seconds(1);
  double multiplier = 2.0;
  Duration max = std::chrono::seconds(60);
  std::size_t max_retries = 10;  // next_delay() returns nullopt after this many delays
  Jitter jitter = Jitter::proportional;
  double jitter_ratio = 0.2;  // for proportional: delay * U(1 - r, 1 + r)
};

// A small, fast, seedable uniform source in [0, 1) (splitmix64). A default-constructed one is
// seeded from std::random_device so that a fleet of clients does not retry in lockstep; pass a
// seed for reproducible sequences. Copies replay the same draws. Not thread-safe.
class DefaultRandom {
 public:
  DefaultRandom() : state_(seed_from_device()) {}
  explicit DefaultRandom(std::uint64_t seed) noexcept : state_(seed) {}

  double operator()() noexcept {
    // 53 random bits scaled by 2^-53: uniform over [0, 1), never 1.
    return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  }
  std::uint64_t next_u64() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t seed_from_device() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ static_cast<std::uint64_t>(device());
  }
  std::uint64_t state_;
};

namespace detail {

inline std::string duration_text(Duration d) { return std::to_string(d.count()) + "ns"; }

inline std::string double_text(double v) {
  std::string s = std::to_string(v);
  // std::to_string prints six decimals; trim them so "0.5" reads as 0.5, not 0.500000.
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

// Rounds a non-negative nanosecond count to a Duration, saturating instead of overflowing.
inline Duration to_duration_saturated(double ns) noexcept {
  constexpr double limit = 9.2e18;  // just below INT64_MAX, exactly representable
  if (!(ns > 0.0)) return Duration::zero();
  if (ns >= limit) return Duration::max();
  // Round half up (ns > 0 here); cheaper than std::llround, which is a library call.
  return Duration(static_cast<Duration::rep>(ns + 0.5));
}

}  // namespace detail

// Throws std::invalid_argument naming the first bad option and its value.
inline void validate_backoff_options(const BackoffOptions& o) {
  if (o.initial < Duration::zero()) {
    throw std::invalid_argument("BackoffOptions.initial must be >= 0, got " +
                                detail::duration_text(o.initial));
  }
  if (o.max < o.initial) {
    throw std::invalid_argument("BackoffOptions.max must be >= initial (" +
                                detail::duration_text(o.initial) + "), got " +
                                detail::duration_text(o.max));
  }
  if (!(o.multiplier >= 1.0) || std::isinf(o.multiplier)) {
    throw std::invalid_argument("BackoffOptions.multiplier must be >= 1 and finite, got " +
                                detail::double_text(o.multiplier));
  }
  if (!(o.jitter_ratio >= 0.0 && o.jitter_ratio <= 1.0)) {
    throw std::invalid_argument("BackoffOptions.jitter_ratio must be in [0, 1], got " +
                                detail::double_text(o.jitter_ratio));
  }
  const auto mode = static_cast<int>(o.jitter);
  if (mode < 0 || mode > static_cast<int>(Jitter::proportional)) {
    throw std::invalid_argument("BackoffOptions.jitter is not a Jitter value, got " +
                                std::to_string(mode));
  }
}

// Exponential backoff with one of five jitter modes. With v_n = min(max, initial * multiplier^n)
// for the n-th delay (n from 0) and u the n-th draw of `Random`:
//   none v_n; full u*v_n; equal v_n/2 + u*v_n/2; proportional v_n*(1 - r + 2*r*u);
//   decorrelated s_n = min(max, initial + u*(3*s_{n-1} - initial)), s_{-1} = initial.
// Only jittered modes draw. Copyable (a copy continues independently). Not thread-safe.
// Default template arguments: in <rxsync/fwd/resilience/backoff.hpp>.
template <class Random>
class ExponentialBackoff {
  static_assert(std::is_invocable_r_v<double, Random&>,
                "rxsync: ExponentialBackoff's Random must be callable as `double()` returning a "
                "value in [0, 1)");

 public:
  explicit ExponentialBackoff(BackoffOptions options = {}, Random random = {})
      : options_(options), random_(std::move(random)) {
    validate_backoff_options(options_);
    reset();
  }

  std::optional<Duration> next_delay() {
    if (attempts_ >= options_.max_retries) return std::nullopt;
    const double max_ns = static_cast<double>(options_.max.count());
    const double v = current_ns_;
    // Once saturated v stays at max: multiplying further could only overflow to infinity.
    current_ns_ = v >= max_ns ? max_ns : std::min(max_ns, v * options_.multiplier);
    ++attempts_;
    const double r = options_.jitter_ratio;
    switch (options_.jitter) {
      case Jitter::none:
        // Exact at both ends: a double holds nanosecond counts exactly only below 2^53.
        if (attempts_ == 1) return options_.initial;
        return v >= max_ns ? options_.max : bounded(v);
      case Jitter::full:
        return bounded(draw() * v);
      case Jitter::equal:
        return bounded(v / 2 + draw() * v / 2);
      case Jitter::proportional:  // may exceed max by design: v * (1 + r) at most
        return detail::to_duration_saturated(v * (1 - r + 2 * r * draw()));
      case Jitter::decorrelated: {
        const double initial = static_cast<double>(options_.initial.count());
        decorrelated_ns_ = std::min(max_ns, initial + draw() * (3 * decorrelated_ns_ - initial));
        return bounded(decorrelated_ns_);
      }
    }
    return std::nullopt;  // unreachable: validation rejects other values
  }

  void reset() noexcept {
    attempts_ = 0;
    current_ns_ = static_cast<double>(options_.initial.count());
    decorrelated_ns_ = current_ns_;
  }

  // Delays handed out since construction or the last reset().
  std::size_t attempts() const noexcept { return attempts_; }
  const BackoffOptions& options() const noexcept { return options_; }

 private:
  double draw() {
    const double u = random_();
    // A misbehaving source must not produce negative or huge delays; NaN counts as 1, the
    // longest wait, since a broken source must not turn into a hot retry loop.
    if (!(u <= 1.0)) return 1.0;
    return u < 0.0 ? 0.0 : u;
  }
  // Rounding a double near 2^63 ns can land above max; the formulas say it never does.
  Duration bounded(double ns) const noexcept {
    return std::min(options_.max, detail::to_duration_saturated(ns));
  }

  BackoffOptions options_;
  Random random_;
  std::size_t attempts_ = 0;
  double current_ns_ = 0;       // v_n for the next call
  double decorrelated_ns_ = 0;  // s_{n-1}
};

// An explicit table of delays, e.g. FixedDelays{{1s, 2s, 5s, 10s, 30s}}. By default it yields
// each entry once, then nullopt; with `max_retries` larger than the table the last delay repeats.
// Copyable. Not thread-safe.
class FixedDelays {
 public:
  explicit FixedDelays(std::vector<Duration> delays) : FixedDelays(delays, delays.size()) {}
  FixedDelays(std::vector<Duration> delays, std::size_t max_retries)
      : delays_(std::move(delays)), max_retries_(max_retries) {
    for (std::size_t i = 0; i < delays_.size(); ++i) {
      if (delays_[i] < Duration::zero()) {
        throw std::invalid_argument("FixedDelays.delays[" + std::to_string(i) +
                                    "] must be >= 0, got " + detail::duration_text(delays_[i]));
      }
    }
    if (delays_.empty() && max_retries_ > 0) {
      throw std::invalid_argument(
          "FixedDelays.delays must not be empty when max_retries > 0, got "
          "max_retries " +
          std::to_string(max_retries_));
    }
  }

  std::optional<Duration> next_delay() {
    if (attempts_ >= max_retries_) return std::nullopt;
    const std::size_t i = attempts_ < delays_.size() ? attempts_ : delays_.size() - 1;
    ++attempts_;
    return delays_[i];
  }
  void reset() noexcept { attempts_ = 0; }
  std::size_t attempts() const noexcept { return attempts_; }

 private:
  std::vector<Duration> delays_;
  std::size_t max_retries_;
  std::size_t attempts_ = 0;
};

static_assert(check_backoff_policy<ExponentialBackoff<>>());
static_assert(check_backoff_policy<FixedDelays>());

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
