// rxsync/models/conversation_state.hpp - ready-made merge policies for IM conversation state.
//
// ConversationState is the CRDT record of an IM conversation: pin and mute are enable-wins flags,
// unread is a multi-value register read as the max of concurrent values, title is LWW and
// last_modified is a max register. Conversation is the plain snapshot, with conversation_merger()
// for apps that keep plain records under Versioned. Plain value types; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/fwd/models/conversation_state.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// What a UI shows.
struct Conversation {
  bool pinned = false;
  bool muted = false;
  std::uint64_t unread = 0;
  std::string title;
  TimePoint last_modified{};

  friend bool operator==(const Conversation&, const Conversation&) = default;
};

// The binary form, found by argument-dependent lookup (see ChatMessage for the pattern).
inline void rxsync_encode(BinaryWriter& w, const Conversation& c) {
  write_value(w, c.pinned);
  write_value(w, c.muted);
  write_value(w, c.unread);
  write_value(w, c.title);
  write_value(w, c.last_modified);
}
inline Conversation rxsync_decode(BinaryReader& r, std::type_identity<Conversation>) {
  Conversation c;
  c.pinned = read_value<bool>(r);
  c.muted = read_value<bool>(r);
  c.unread = read_value<std::uint64_t>(r);
  c.title = read_value<std::string>(r);
  c.last_modified = read_value<TimePoint>(r);
  return c;
}

// The usual plain-record rule, for Versioned<Conversation> when one clock does not dominate:
// pin and mute win, unread takes the max, title by last_modified (then the greater title),
// last_modified the max. It is commutative and idempotent, but a plain record cannot tell an
// unpin that saw a pin from one that did not, so across three or more concurrent versions the
// result can depend on the order of merges; ConversationState below does not have that problem.
inline auto conversation_merger() {
  namespace mp = merge_policy;
  return record_merger<Conversation>(
      field(&Conversation::pinned, mp::TrueWins{}), field(&Conversation::muted, mp::TrueWins{}),
      field(&Conversation::unread, mp::Max{}),
      field(&Conversation::title, mp::latest_by(&Conversation::last_modified)),
      field(&Conversation::last_modified, mp::Max{}));
}

// Default template arguments: in <rxsync/fwd/models/conversation_state.hpp>.
template <class Actor>
class ConversationState {
 public:
  // Every mutator takes now (from a Scheduler) and records it in last_modified.
  void pin(const Actor& actor, TimePoint now) {
    pinned_.enable(actor);
    touch(now);
  }
  void unpin(TimePoint now) {
    pinned_.disable();
    touch(now);
  }
  void mute(const Actor& actor, TimePoint now) {
    muted_.enable(actor);
    touch(now);
  }
  void unmute(TimePoint now) {
    muted_.disable();
    touch(now);
  }
  // A count written after observing another replaces it (marking read works); counts written
  // concurrently read as their max.
  void set_unread(const Actor& actor, std::uint64_t count, TimePoint now) {
    unread_.assign(actor, count);
    touch(now);
  }
  void set_title(const Actor& actor, std::string title, TimePoint now) {
    title_.assign(std::move(title), now, actor);
    touch(now);
  }

  bool pinned() const noexcept { return pinned_.value(); }
  bool muted() const noexcept { return muted_.value(); }
  std::uint64_t unread() const {
    const auto values = unread_.values();
    return values.empty() ? 0 : *values.rbegin();
  }
  const std::string& title() const noexcept { return title_.value(); }
  TimePoint last_modified() const noexcept { return last_modified_.value(); }
  Conversation snapshot() const {
    return Conversation{pinned(), muted(), unread(), title(), last_modified()};
  }

  void merge(const ConversationState& other) {
    pinned_.merge(other.pinned_);
    muted_.merge(other.muted_);
    unread_.merge(other.unread_);
    title_.merge(other.title_);
    last_modified_.merge(other.last_modified_);
  }

  friend bool operator==(const ConversationState& a, const ConversationState& b) {
    return a.pinned_ == b.pinned_ && a.muted_ == b.muted_ && a.unread_ == b.unread_ &&
           a.title_ == b.title_ && a.last_modified_ == b.last_modified_;
  }

  // The binary form of a class with private state: hidden friends, found by argument-dependent
  // lookup like free functions, with access to the fields.
  friend void rxsync_encode(BinaryWriter& w, const ConversationState& s) {
    w.put_u8(kTag);
    write_value(w, s.pinned_);
    write_value(w, s.muted_);
    write_value(w, s.unread_);
    write_value(w, s.title_);
    write_value(w, s.last_modified_);
  }
  friend ConversationState rxsync_decode(BinaryReader& r, std::type_identity<ConversationState>) {
    r.expect_tag(kTag, "ConversationState");
    ConversationState out;
    out.pinned_ = read_value<EnableWinsFlag<Actor>>(r);
    out.muted_ = read_value<EnableWinsFlag<Actor>>(r);
    out.unread_ = read_value<MvRegister<std::uint64_t, Actor>>(r);
    out.title_ = read_value<LwwRegister<std::string, Actor>>(r);
    out.last_modified_ = read_value<MaxRegister<TimePoint>>(r);
    return out;
  }
  std::string encode() const { return encode_value(*this); }
  static ConversationState decode(std::string_view bytes) {
    return decode_value<ConversationState>(bytes);
  }

 private:
  static constexpr std::uint8_t kTag = 0x43;  // 'C'

  void touch(TimePoint now) { last_modified_.assign(now); }

  EnableWinsFlag<Actor> pinned_;
  EnableWinsFlag<Actor> muted_;
  MvRegister<std::uint64_t, Actor> unread_;
  LwwRegister<std::string, Actor> title_;
  MaxRegister<TimePoint> last_modified_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
