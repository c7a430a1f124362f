// rxsync/crdt/dot_context.hpp - the causal machinery shared by the observed-remove CRDTs.
//
// Every write gets a unique dot (actor, n). A DotMap keeps the live dots per key and a causal
// context (a VectorClock) of every dot it has ever seen; a dot that the other side has seen but
// no longer holds was removed there, so the join drops it. That one rule gives add-wins sets,
// enable-wins flags, multi-value registers and observed-remove maps. Plain value types; not
// thread-safe.
//
// The context is a version vector without a "dot cloud": with full-state merges every replica's
// dots are contiguous (1..n), so the vector is exact. An actor must never be reused by a replica
// that lost its state (it would mint dots that others already saw and have removed).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/fwd/crdt/dot_context.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Default template arguments: in <rxsync/fwd/crdt/dot_context.hpp>.
template <class Actor>
struct Dot {
  Actor actor;
  std::uint64_t counter = 0;

  friend bool operator==(const Dot& a, const Dot& b) {
    return a.counter == b.counter && a.actor == b.actor;
  }
  friend bool operator<(const Dot& a, const Dot& b) {
    if (a.actor < b.actor) return true;
    if (b.actor < a.actor) return false;
    return a.counter < b.counter;
  }
};

namespace detail {

// The payload of dot stores that need none (set membership, flags).
struct Unit {
  friend bool operator==(Unit, Unit) noexcept { return true; }
  friend bool operator<(Unit, Unit) noexcept { return false; }
};

}  // namespace detail

// Key -> live dots (each with a payload), plus the causal context.
// Default template arguments: in <rxsync/fwd/crdt/dot_context.hpp>.
template <class Key, class Payload, class Actor>
class DotMap {
 public:
  using DotT = Dot<Actor>;
  using Entries = std::vector<std::pair<DotT, Payload>>;  // sorted by dot, never empty

  const VectorClock<Actor>& context() const noexcept { return context_; }
  const std::map<Key, Entries>& map() const noexcept { return map_; }
  bool empty() const noexcept { return map_.empty(); }
  const Entries* find(const Key& key) const {
    const auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  bool seen(const DotT& dot) const { return dot.counter <= context_.get(dot.actor); }

  // A new dot for actor, recorded in the context.
  DotT next_dot(const Actor& actor) { return DotT{actor, context_.tick(actor)}; }

  // Replaces the dots of key this replica has observed with one fresh dot: a concurrent write
  // elsewhere (a dot we have not seen) survives the join; the ones we saw are superseded.
  void assign(const Key& key, const Actor& actor, Payload payload) {
    DotT dot = next_dot(actor);
    Entries& entries = map_[key];
    entries.clear();
    entries.emplace_back(std::move(dot), std::move(payload));
  }
  // Adds a dot minted by next_dot() (for writes that first clear several keys).
  void add(const Key& key, DotT dot, Payload payload) {
    Entries& entries = map_[key];
    const auto pos = std::lower_bound(entries.begin(), entries.end(), dot,
                                      [](const auto& e, const DotT& d) { return e.first < d; });
    entries.emplace(pos, std::move(dot), std::move(payload));
  }
  // Observed removal: the dots stay in the context, so the join removes them elsewhere too.
  bool remove(const Key& key) { return map_.erase(key) > 0; }
  void clear() noexcept { map_.clear(); }

  void join(const DotMap& other) {
    if (this == &other) return;
    auto mine = map_.begin();
    auto theirs = other.map_.begin();
    while (mine != map_.end() || theirs != other.map_.end()) {
      if (theirs == other.map_.end() || (mine != map_.end() && mine->first < theirs->first)) {
        std::erase_if(mine->second, [&](const auto& e) { return other.seen(e.first); });
        mine = mine->second.empty() ? map_.erase(mine) : std::next(mine);
      } else if (mine == map_.end() || theirs->first < mine->first) {
        Entries kept;
        for (const auto& e : theirs->second) {
          if (!seen(e.first)) kept.push_back(e);
        }
        if (!kept.empty()) {
          mine = std::next(map_.emplace_hint(mine, theirs->first, std::move(kept)));
        }
        ++theirs;
      } else {
        // Same dots on both sides (the common case after a sync): nothing to do.
        if (!(mine->second == theirs->second)) {
          mine->second = join_entries(mine->second, theirs->second, other);
        }
        mine = mine->second.empty() ? map_.erase(mine) : std::next(mine);
        ++theirs;
      }
    }
    context_.merge(other.context_);
  }

  friend bool operator==(const DotMap& a, const DotMap& b) {
    return a.context_ == b.context_ && a.map_ == b.map_;
  }

 private:
  // The codec builds a decoded DotMap from its parts, after checking them.
  friend struct Serializer<DotMap>;

  // (both) + (mine not seen by them) + (theirs not seen by me); payloads of a dot are identical.
  Entries join_entries(const Entries& a, const Entries& b, const DotMap& other) const {
    Entries out;
    out.reserve(std::max(a.size(), b.size()));
    auto x = a.begin();
    auto y = b.begin();
    while (x != a.end() || y != b.end()) {
      if (y == b.end() || (x != a.end() && x->first < y->first)) {
        if (!other.seen(x->first)) out.push_back(*x);
        ++x;
      } else if (x == a.end() || y->first < x->first) {
        if (!seen(y->first)) out.push_back(*y);
        ++y;
      } else {
        out.push_back(*x);
        ++x;
        ++y;
      }
    }
    return out;
  }

  VectorClock<Actor> context_;
  std::map<Key, Entries> map_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
