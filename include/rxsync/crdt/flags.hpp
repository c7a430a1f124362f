// rxsync/crdt/flags.hpp - boolean CRDTs whose concurrent enable/disable conflicts resolve one way.
//
// Plain value types (not thread-safe). Both start disabled. A write made after observing the
// other side's write always wins over it; only truly concurrent writes use the bias in the name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/flags.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Enable wins: a pin concurrent with an unpin stays pinned; an unpin made after seeing the pin
// unpins. enable() mints a dot; disable() removes the dots it has seen (so a concurrent enable,
// whose dot it has not seen, survives).
// Default template arguments: in <rxsync/fwd/crdt/flags.hpp>.
template <class Actor>
class EnableWinsFlag : public detail::CrdtCodecMembers<EnableWinsFlag<Actor>> {
 public:
  void enable(const Actor& actor) { kernel_.assign(detail::Unit{}, actor, detail::Unit{}); }
  void disable() noexcept { kernel_.clear(); }
  bool value() const noexcept { return !kernel_.empty(); }
  void merge(const EnableWinsFlag& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const EnableWinsFlag& a, const EnableWinsFlag& b) {
    return a.kernel_ == b.kernel_;
  }

 private:
  friend struct Serializer<EnableWinsFlag>;

  DotMap<detail::Unit, detail::Unit, Actor> kernel_;
};

// Disable wins: both writes mint a dot carrying the written value; the flag is on only when
// every surviving (concurrent) write says on. A disable concurrent with an enable wins; an enable
// made after seeing the disable enables.
// Default template arguments: in <rxsync/fwd/crdt/flags.hpp>.
template <class Actor>
class DisableWinsFlag : public detail::CrdtCodecMembers<DisableWinsFlag<Actor>> {
 public:
  void enable(const Actor& actor) { kernel_.assign(detail::Unit{}, actor, true); }
  void disable(const Actor& actor) { kernel_.assign(detail::Unit{}, actor, false); }
  bool value() const noexcept {
    const auto* entries = kernel_.find(detail::Unit{});
    if (entries == nullptr) return false;
    for (const auto& e : *entries) {
      if (!e.second) return false;
    }
    return true;
  }
  void merge(const DisableWinsFlag& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const DisableWinsFlag& a, const DisableWinsFlag& b) {
    return a.kernel_ == b.kernel_;
  }

 private:
  friend struct Serializer<DisableWinsFlag>;

  DotMap<detail::Unit, bool, Actor> kernel_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
