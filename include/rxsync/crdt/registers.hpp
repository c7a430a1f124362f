// rxsync/crdt/registers.hpp - single-value CRDTs: last-writer-wins, max, multi-value.
//
// All three are plain value types (not thread-safe). merge() is commutative, associative and
// idempotent on every reachable state, so replicas that saw the same writes read the same value
// whatever the order, duplication or batching of deliveries.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <rxsync/core/time.hpp>
#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/registers.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Last writer wins by (timestamp, actor), then by value, so the winner never depends on the
// order of merges. Timestamps are rxsync::TimePoint values passed in by the caller (from a
// Scheduler, or wall/hybrid time converted to TimePoint when replicas are on different machines).
// assign() stamps max(now, current + 1ns), so a write made after observing a state wins over it
// even when the local clock is behind. T must be totally ordered.
// Default template arguments: in <rxsync/fwd/crdt/registers.hpp>.
template <class T, class Actor>
class LwwRegister : public detail::CrdtCodecMembers<LwwRegister<T, Actor>> {
 public:
  LwwRegister() = default;
  LwwRegister(T value, TimePoint timestamp, Actor actor)
      : value_(std::move(value)), timestamp_(timestamp), actor_(std::move(actor)) {}

  void assign(T value, TimePoint now, Actor actor) {
    if (timestamp_ == TimePoint::max()) {
      throw std::overflow_error("rxsync::LwwRegister: timestamp is at TimePoint::max()");
    }
    const TimePoint next = timestamp_ + Duration{1};
    timestamp_ = now > next ? now : next;
    value_ = std::move(value);
    actor_ = std::move(actor);
  }

  const T& value() const noexcept { return value_; }
  TimePoint timestamp() const noexcept { return timestamp_; }
  const Actor& actor() const noexcept { return actor_; }

  void merge(const LwwRegister& other) {
    if (precedes(*this, other)) *this = other;
  }

  friend bool operator==(const LwwRegister& a, const LwwRegister& b) {
    return a.timestamp_ == b.timestamp_ && a.actor_ == b.actor_ && a.value_ == b.value_;
  }

 private:
  // Strict total order on (timestamp, actor, value).
  static bool precedes(const LwwRegister& a, const LwwRegister& b) {
    if (a.timestamp_ != b.timestamp_) return a.timestamp_ < b.timestamp_;
    if (a.actor_ < b.actor_) return true;
    if (b.actor_ < a.actor_) return false;
    return a.value_ < b.value_;
  }

  T value_{};
  TimePoint timestamp_{};
  Actor actor_{};
};

// Keeps the largest value ever assigned (unread counters, last-modified times, high-water
// marks). Starts at T{} unless given an initial value.
template <class T>
class MaxRegister : public detail::CrdtCodecMembers<MaxRegister<T>> {
 public:
  MaxRegister() = default;
  explicit MaxRegister(T initial) : value_(std::move(initial)) {}

  // Returns whether the value grew (a smaller value is absorbed, by design).
  bool assign(const T& v) {
    if (!(value_ < v)) return false;
    value_ = v;
    return true;
  }
  const T& value() const noexcept { return value_; }
  void merge(const MaxRegister& other) { assign(other.value_); }

  friend bool operator==(const MaxRegister& a, const MaxRegister& b) {
    return a.value_ == b.value_;
  }

 private:
  T value_{};
};

// Multi-value register: concurrent writes are all kept (siblings) and values() returns them; a
// write made after observing siblings replaces them all. Causality comes from dots, so there are
// no false conflicts (a write never becomes a sibling of something it has seen).
// Default template arguments: in <rxsync/fwd/crdt/registers.hpp>.
template <class T, class Actor>
class MvRegister : public detail::CrdtCodecMembers<MvRegister<T, Actor>> {
 public:
  void assign(const Actor& actor, T value) {
    auto dot = kernel_.next_dot(actor);
    kernel_.clear();
    kernel_.add(std::move(value), std::move(dot), detail::Unit{});
  }
  // Sorted, duplicates folded; empty before the first write.
  std::set<T> values() const {
    std::set<T> out;
    for (const auto& entry : kernel_.map()) out.insert(out.end(), entry.first);
    return out;
  }
  // True while concurrent writes are unresolved.
  bool has_conflict() const noexcept { return kernel_.map().size() > 1; }
  void merge(const MvRegister& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const MvRegister& a, const MvRegister& b) {
    return a.kernel_ == b.kernel_;
  }

 private:
  friend struct Serializer<MvRegister>;

  DotMap<T, detail::Unit, Actor> kernel_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
