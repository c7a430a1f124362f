// rxsync/crdt/flags.hpp - boolean CRDTs whose concurrent enable/disable conflicts resolve one way.
//
// Plain value types (not thread-safe). Both start disabled. A write made after observing the
// other side's write always wins over it; only truly concurrent writes use the bias in the name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/fwd/crdt/flags.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Enable wins: a pin concurrent with an unpin stays pinned; an unpin made after seeing the pin
// unpins. enable() mints a dot; disable() removes the dots it has seen (so a concurrent enable,
// whose dot it has not seen, survives).
// Default template arguments: in <rxsync/fwd/crdt/flags.hpp>.
template <class Actor>
class EnableWinsFlag {
 public:
  static constexpr std::uint8_t kTag = 0x45;  // 'E'

  void enable(const Actor& actor) { kernel_.assign(detail::Unit{}, actor, detail::Unit{}); }
  void disable() noexcept { kernel_.clear(); }
  bool value() const noexcept { return !kernel_.empty(); }
  void merge(const EnableWinsFlag& other) { kernel_.join(other.kernel_); }
  const VectorClock<Actor>& context() const noexcept { return kernel_.context(); }

  friend bool operator==(const EnableWinsFlag& a, const EnableWinsFlag& b) {
    return a.kernel_ == b.kernel_;
  }

  void encode_to(BinaryWriter& w) const {
    w.put_u8(kTag);
    kernel_.encode_to(w);
  }
  static EnableWinsFlag decode_from(BinaryReader& r) {
    r.expect_tag(kTag, "EnableWinsFlag");
    EnableWinsFlag out;
    out.kernel_ = DotMap<detail::Unit, detail::Unit, Actor>::decode_from(r);
    return out;
  }
  std::string encode() const { return encode_value(*this); }
  static EnableWinsFlag decode(std::string_view bytes) {
    return decode_value<EnableWinsFlag>(bytes);
  }

 private:
  DotMap<detail::Unit, detail::Unit, Actor> kernel_;
};

// Disable wins: both writes mint a dot carrying the written value; the flag is on only when
// every surviving (concurrent) write says on. A disable concurrent with an enable wins; an enable
// made after seeing the disable enables.
// Default template arguments: in <rxsync/fwd/crdt/flags.hpp>.
template <class Actor>
class DisableWinsFlag {
 public:
  static constexpr std::uint8_t kTag = 0x44;  // 'D'

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

  void encode_to(BinaryWriter& w) const {
    w.put_u8(kTag);
    kernel_.encode_to(w);
  }
  static DisableWinsFlag decode_from(BinaryReader& r) {
    r.expect_tag(kTag, "DisableWinsFlag");
    DisableWinsFlag out;
    out.kernel_ = DotMap<detail::Unit, bool, Actor>::decode_from(r);
    return out;
  }
  std::string encode() const { return encode_value(*this); }
  static DisableWinsFlag decode(std::string_view bytes) {
    return decode_value<DisableWinsFlag>(bytes);
  }

 private:
  DotMap<detail::Unit, bool, Actor> kernel_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
