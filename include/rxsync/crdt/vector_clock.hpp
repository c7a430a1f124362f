// rxsync/crdt/vector_clock.hpp - version vectors: which replica has seen which updates.
//
// VectorClock is a plain value type (not thread-safe; copy it between threads). Entries live in
// one flat vector sorted by actor, with no zero counters stored, so an absent actor and a zero
// counter are the same thing and equality of the representation is equality of the clock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/fwd/crdt/vector_clock.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

enum class Causality { equal, before, after, concurrent };

inline const char* to_string(Causality c) noexcept {
  switch (c) {
    case Causality::equal:
      return "equal";
    case Causality::before:
      return "before";
    case Causality::after:
      return "after";
    case Causality::concurrent:
      return "concurrent";
  }
  return "?";
}

// Actor: any totally ordered, copyable type with a binary form (std::string, integer ids...).
// Default template arguments: in <rxsync/fwd/crdt/vector_clock.hpp>.
template <class Actor>
class VectorClock : public detail::CrdtCodecMembers<VectorClock<Actor>> {
 public:
  using Entry = std::pair<Actor, std::uint64_t>;

  VectorClock() = default;
  VectorClock(std::initializer_list<std::pair<Actor, std::uint64_t>> init) {
    for (const auto& [actor, counter] : init) {
      if (counter > get(actor)) set(actor, counter);
    }
  }

  std::uint64_t get(const Actor& actor) const {
    const auto it = find(actor);
    return it != entries_.end() && it->first == actor ? it->second : 0;
  }

  std::uint64_t tick(const Actor& actor) { return advance(actor, 1); }

  // Adds n to the actor's counter (GCounter uses this); throws std::overflow_error on wrap.
  std::uint64_t advance(const Actor& actor, std::uint64_t n) {
    auto it = find(actor);
    if (it == entries_.end() || !(it->first == actor)) {
      if (n == 0) return 0;
      it = entries_.insert(it, Entry(actor, 0));
    }
    if (it->second > std::numeric_limits<std::uint64_t>::max() - n) {
      throw std::overflow_error("rxsync::VectorClock: counter overflow");
    }
    it->second += n;
    return it->second;
  }

  // Pointwise max, O(n + m). In place (no allocation) when other has no actor we lack, which is
  // the common case once replicas have exchanged state.
  void merge(const VectorClock& other) {
    if (this == &other) return;
    auto mine = entries_.begin();
    auto theirs = other.entries_.begin();
    while (theirs != other.entries_.end()) {
      if (mine == entries_.end() || theirs->first < mine->first) {
        merge_slow(other);
        return;
      }
      if (mine->first < theirs->first) {
        ++mine;
        continue;
      }
      if (mine->second < theirs->second) mine->second = theirs->second;
      ++mine;
      ++theirs;
    }
  }

  // Over the union of actors, absent == 0. O(n + m); replicas that have met usually share the
  // same actors, so that case is a branch-light zip before the general ordered walk.
  Causality compare(const VectorClock& other) const {
    bool less = false;     // some entry of ours is below theirs
    bool greater = false;  // some entry of ours is above theirs
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    const auto ae = entries_.end();
    const auto be = other.entries_.end();
    if (entries_.size() == other.entries_.size()) {
      for (; a != ae && a->first == b->first; ++a, ++b) {
        less |= a->second < b->second;
        greater |= b->second < a->second;
      }
    }
    while (a != ae && b != be) {
      if (less && greater) return Causality::concurrent;
      if (a->first < b->first) {
        greater = true;  // stored counters are never 0
        ++a;
      } else if (b->first < a->first) {
        less = true;
        ++b;
      } else {
        less |= a->second < b->second;
        greater |= b->second < a->second;
        ++a;
        ++b;
      }
    }
    if (a != ae) greater = true;
    if (b != be) less = true;
    if (less && greater) return Causality::concurrent;
    if (less) return Causality::before;
    if (greater) return Causality::after;
    return Causality::equal;
  }

  bool operator==(const VectorClock& other) const { return entries_ == other.entries_; }
  // Every update this clock has seen, other has seen too.
  bool dominated_by(const VectorClock& other) const {
    const Causality c = compare(other);
    return c == Causality::before || c == Causality::equal;
  }

  // Pruning (for storage size). A pruned clock compares differently from the original, so prune
  // only copies that are about to be stored or sent to peers that agreed the actors are retired;
  // every comparison must use the live, unpruned clock. Both return a copy for that reason.
  template <class Pred>
  [[nodiscard]] VectorClock without(Pred&& is_retired) const {
    VectorClock out;
    out.entries_.reserve(entries_.size());
    for (const auto& e : entries_) {
      if (!std::invoke(is_retired, e.first)) out.entries_.push_back(e);
    }
    return out;
  }
  // Keeps the max_entries actors with the highest counters (ties: the smaller actor id).
  [[nodiscard]] VectorClock capped(std::size_t max_entries) const {
    if (entries_.size() <= max_entries) return *this;
    std::vector<Entry> by_recency = entries_;
    std::partial_sort(by_recency.begin(),
                      by_recency.begin() + static_cast<std::ptrdiff_t>(max_entries),
                      by_recency.end(), [](const Entry& x, const Entry& y) {
                        return x.second != y.second ? x.second > y.second : x.first < y.first;
                      });
    by_recency.resize(max_entries);
    std::sort(by_recency.begin(), by_recency.end(),
              [](const Entry& x, const Entry& y) { return x.first < y.first; });
    VectorClock out;
    out.entries_ = std::move(by_recency);
    return out;
  }

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  // Sum of all counters (the number of updates seen, for GCounter).
  std::uint64_t sum() const {
    std::uint64_t total = 0;
    for (const auto& e : entries_) {
      if (total > std::numeric_limits<std::uint64_t>::max() - e.second) {
        throw std::overflow_error("rxsync::VectorClock: sum of counters overflows uint64");
      }
      total += e.second;
    }
    return total;
  }

 private:
  friend struct Serializer<VectorClock>;

  typename std::vector<Entry>::const_iterator find(const Actor& actor) const {
    return std::lower_bound(entries_.begin(), entries_.end(), actor,
                            [](const Entry& e, const Actor& a) { return e.first < a; });
  }
  typename std::vector<Entry>::iterator find(const Actor& actor) {
    return std::lower_bound(entries_.begin(), entries_.end(), actor,
                            [](const Entry& e, const Actor& a) { return e.first < a; });
  }
  void set(const Actor& actor, std::uint64_t counter) {
    auto it = find(actor);
    if (it != entries_.end() && it->first == actor) {
      it->second = counter;
    } else {
      entries_.insert(it, Entry(actor, counter));
    }
  }
  void merge_slow(const VectorClock& other) {
    std::vector<Entry> out;
    out.reserve(entries_.size() + other.entries_.size());
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() && b != other.entries_.end()) {
      if (a->first < b->first) {
        out.push_back(std::move(*a++));
      } else if (b->first < a->first) {
        out.push_back(*b++);
      } else {
        out.emplace_back(std::move(a->first), std::max(a->second, b->second));
        ++a;
        ++b;
      }
    }
    for (; a != entries_.end(); ++a) out.push_back(std::move(*a));
    for (; b != other.entries_.end(); ++b) out.push_back(*b);
    entries_ = std::move(out);
  }

  std::vector<Entry> entries_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
