// rxsync/crdt/counters.hpp - grow-only and up/down counters.
//
// Plain value types (not thread-safe). Each actor counts its own increments; merge takes the
// per-actor max, so a delivery counted twice is still counted once.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/fwd/crdt/counters.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Grow-only counter. Space: one entry per actor that ever incremented.
// Default template arguments: in <rxsync/fwd/crdt/counters.hpp>.
template <class Actor>
class GCounter : public detail::CrdtCodecMembers<GCounter<Actor>> {
 public:
  // Throws std::overflow_error if the actor's count would wrap.
  void increment(const Actor& actor, std::uint64_t n = 1) { counts_.advance(actor, n); }
  // Throws std::overflow_error if the total does not fit in 64 bits.
  std::uint64_t value() const { return counts_.sum(); }
  std::uint64_t value_of(const Actor& actor) const { return counts_.get(actor); }
  void merge(const GCounter& other) { counts_.merge(other.counts_); }
  // The per-actor counts double as a version vector of this counter's updates.
  const VectorClock<Actor>& counts() const noexcept { return counts_; }

  friend bool operator==(const GCounter& a, const GCounter& b) { return a.counts_ == b.counts_; }

 private:
  friend struct Serializer<GCounter>;

  VectorClock<Actor> counts_;
};

// Counter that goes both ways: two grow-only counters, value = increments - decrements.
// Default template arguments: in <rxsync/fwd/crdt/counters.hpp>.
template <class Actor>
class PNCounter : public detail::CrdtCodecMembers<PNCounter<Actor>> {
 public:
  void increment(const Actor& actor, std::uint64_t n = 1) { up_.increment(actor, n); }
  void decrement(const Actor& actor, std::uint64_t n = 1) { down_.increment(actor, n); }
  // Throws std::overflow_error if the difference does not fit in int64.
  std::int64_t value() const {
    const std::uint64_t p = up_.value();
    const std::uint64_t n = down_.value();
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (p >= n) {
      if (p - n > kMax) throw std::overflow_error("rxsync::PNCounter: value exceeds int64");
      return static_cast<std::int64_t>(p - n);
    }
    const std::uint64_t neg = n - p;
    if (neg > kMax + 1) throw std::overflow_error("rxsync::PNCounter: value below int64 min");
    return neg == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                           : -static_cast<std::int64_t>(neg);
  }
  void merge(const PNCounter& other) {
    up_.merge(other.up_);
    down_.merge(other.down_);
  }
  const GCounter<Actor>& increments() const noexcept { return up_; }
  const GCounter<Actor>& decrements() const noexcept { return down_; }

  friend bool operator==(const PNCounter& a, const PNCounter& b) {
    return a.up_ == b.up_ && a.down_ == b.down_;
  }

 private:
  friend struct Serializer<PNCounter>;

  GCounter<Actor> up_;
  GCounter<Actor> down_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
