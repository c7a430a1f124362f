// rxsync/crdt/sets.hpp - observed-remove sets: add-wins (OrSet) and remove-wins.
//
// Plain value types (not thread-safe). Each add mints a dot; a remove drops the dots it has
// observed. So a remove never cancels an add it has not seen, and re-adding works forever (no
// tombstones for add-wins; the causal context is one counter per actor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/sets.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Add-wins observed-remove set. An add concurrent with a remove of the same element keeps it.
// T must be totally ordered (std::map key). Cost: O(live elements + actors).
// Default template arguments: in <rxsync/fwd/crdt/sets.hpp>.
template <class T, class Actor>
class OrSet : public detail::CrdtCodecMembers<OrSet<T, Actor>> {
 public:
  void add(const Actor& actor, const T& value) { kernel_.assign(value, actor, detail::Unit{}); }
  // Returns whether the element was present here.
  bool erase(const T& value) { return kernel_.remove(value); }
  void clear() noexcept { kernel_.clear(); }
  bool contains(const T& value) const { return kernel_.find(value) != nullptr; }
  std::set<T> values() const {
    std::set<T> out;
    for (const auto& entry : kernel_.map()) out.insert(out.end(), entry.first);
    return out;
  }
  std::size_t size() const noexcept { return kernel_.map().size(); }
  bool empty() const noexcept { return kernel_.empty(); }
  void merge(const OrSet& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const OrSet& a, const OrSet& b) { return a.kernel_ == b.kernel_; }

 private:
  friend struct Serializer<OrSet>;

  DotMap<T, detail::Unit, Actor> kernel_;
};

// Remove-wins observed-remove set. add and erase both mint a dot carrying the operation; an
// element is present when it has surviving dots and all are adds, so a remove concurrent with an
// add wins, and an add after observing the remove restores the element. A removed element keeps
// one small entry (its remove dot) until it is added again.
// Default template arguments: in <rxsync/fwd/crdt/sets.hpp>.
template <class T, class Actor>
class RemoveWinsSet : public detail::CrdtCodecMembers<RemoveWinsSet<T, Actor>> {
 public:
  void add(const Actor& actor, const T& value) { kernel_.assign(value, actor, true); }
  void erase(const Actor& actor, const T& value) { kernel_.assign(value, actor, false); }
  bool contains(const T& value) const {
    const auto* entries = kernel_.find(value);
    return entries != nullptr && all_adds(*entries);
  }
  std::set<T> values() const {
    std::set<T> out;
    for (const auto& [value, entries] : kernel_.map()) {
      if (all_adds(entries)) out.insert(out.end(), value);
    }
    return out;
  }
  void merge(const RemoveWinsSet& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const RemoveWinsSet& a, const RemoveWinsSet& b) {
    return a.kernel_ == b.kernel_;
  }

 private:
  friend struct Serializer<RemoveWinsSet>;

  template <class Entries>
  static bool all_adds(const Entries& entries) {
    for (const auto& e : entries) {
      if (!e.second) return false;
    }
    return true;
  }

  DotMap<T, bool, Actor> kernel_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
