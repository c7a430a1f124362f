// rxsync/crdt/or_map.hpp - observed-remove map whose values are themselves CRDTs.
//
// OrMap<K, V> is a plain value type (not thread-safe). Key presence is add-wins (an update
// concurrent with an erase keeps the key); values merge with V::merge. Erase hides a key but does
// not reset its value: the value keeps merging in the background, so a key that is updated again
// shows everything ever written to it (for counters: counts from before the erase too). Use a
// fresh key (e.g. with a generation suffix) when a reset is wanted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/or_map.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// V: default-constructible (the state a new key starts from), with merge(const V&), operator==
// and a binary form.
// Default template arguments: in <rxsync/fwd/crdt/or_map.hpp>.
template <class K, class V, class Actor>
class OrMap : public detail::CrdtCodecMembers<OrMap<K, V, Actor>> {
 public:
  // Marks key present (as a write by actor) and lets change mutate its value.
  template <class F>
  void update(const Actor& actor, const K& key, F&& change) {
    keys_.assign(key, actor, detail::Unit{});
    std::invoke(std::forward<F>(change), values_[key]);
  }
  // Returns whether the key was present here.
  bool erase(const K& key) { return keys_.remove(key); }

  bool contains(const K& key) const { return keys_.find(key) != nullptr; }
  // nullptr when the key is absent (or erased).
  const V* find(const K& key) const {
    if (!contains(key)) return nullptr;
    const auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::set<K> keys() const {
    std::set<K> out;
    for (const auto& entry : keys_.map()) out.insert(out.end(), entry.first);
    return out;
  }
  std::size_t size() const noexcept { return keys_.map().size(); }
  bool empty() const noexcept { return keys_.empty(); }

  void merge(const OrMap& other) {
    if (this == &other) return;
    keys_.join(other.keys_);
    // A value this side lacks is copied rather than merged into a V{}: V{} need not be below
    // every value (an LWW register stamped before TimePoint{}, a MaxRegister<int> holding -3),
    // and merging into it would make a.merge(b) and b.merge(a) disagree.
    for (const auto& [key, value] : other.values_) {
      if (auto [it, inserted] = values_.try_emplace(key, value); !inserted) it->second.merge(value);
    }
  }

  friend bool operator==(const OrMap& a, const OrMap& b) {
    return a.keys_ == b.keys_ && a.values_ == b.values_;
  }

 private:
  friend struct Serializer<OrMap>;

  DotMap<K, detail::Unit, Actor> keys_;
  std::map<K, V> values_;  // also holds the values of erased keys (see the class comment)
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
