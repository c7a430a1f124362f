// rxsync/models/chat_thread.hpp - ready-made merge policy for AI chat threads.
//
// Two copies of a thread edited offline are merged against their last common version: messages
// are the union ordered by (timestamp, id) with each id once, the title is merged three-way with
// a fallback, and the version becomes max + 1. Plain value types and pure functions.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct ChatMessage {
  std::string id;
  TimePoint timestamp{};
  std::string role;  // "user", "assistant", ...
  std::string text;

  friend bool operator==(const ChatMessage&, const ChatMessage&) = default;
  // Total order used to pick one copy when both sides hold an id with different content.
  friend bool operator<(const ChatMessage& a, const ChatMessage& b) {
    return std::tie(a.timestamp, a.id, a.role, a.text) <
           std::tie(b.timestamp, b.id, b.role, b.text);
  }
};

// A type's binary form, next to the type: rxsync's Serializer finds these two functions by
// argument-dependent lookup, so the struct stays a plain aggregate. Your own types do the same,
// in their own namespace, with plain functions. These are templates over the writer and reader
// (always BinaryWriter and BinaryReader) only so that their bodies are compiled where a message is
// encoded, not in every file that includes the umbrella header.
template <std::same_as<BinaryWriter> W>
void rxsync_encode(W& w, const ChatMessage& m) {
  write_value(w, m.id);
  write_value(w, m.timestamp);
  write_value(w, m.role);
  write_value(w, m.text);
}
template <std::same_as<BinaryReader> R>
ChatMessage rxsync_decode(R& r, std::type_identity<ChatMessage>) {
  ChatMessage m;
  m.id = read_value<std::string>(r);
  m.timestamp = read_value<TimePoint>(r);
  m.role = read_value<std::string>(r);
  m.text = read_value<std::string>(r);
  return m;
}

struct ChatThread {
  std::string id;
  std::string title;
  std::vector<ChatMessage> messages;  // ordered by (timestamp, id)
  std::uint64_t version = 0;

  friend bool operator==(const ChatThread&, const ChatThread&) = default;
};

namespace detail {
// Leads a ChatThread's bytes, so that another type's bytes are rejected.
inline constexpr std::uint8_t kChatThreadTag = 0x54;  // 'T'
}  // namespace detail

template <std::same_as<BinaryWriter> W>
void rxsync_encode(W& w, const ChatThread& t) {
  w.put_u8(detail::kChatThreadTag);
  write_value(w, t.id);
  write_value(w, t.title);
  write_value(w, t.messages);
  write_value(w, t.version);
}
template <std::same_as<BinaryReader> R>
ChatThread rxsync_decode(R& r, std::type_identity<ChatThread>) {
  r.expect_tag(detail::kChatThreadTag, "ChatThread");
  ChatThread t;
  t.id = read_value<std::string>(r);
  t.title = read_value<std::string>(r);
  t.messages = read_value<std::vector<ChatMessage>>(r);
  t.version = read_value<std::uint64_t>(r);
  return t;
}

// Messages ordered by (timestamp, id), each id once. (A template, as above, only to compile its
// body where it is used.)
template <class Message = ChatMessage>
  requires std::same_as<Message, ChatMessage>
std::vector<Message> merge_messages(const std::vector<Message>& a, const std::vector<Message>& b) {
  return merge_sequences(
      a, b, [](const Message& m) -> const std::string& { return m.id; },
      [](const Message& x, const Message& y) { return x.timestamp < y.timestamp; });
}

// Symmetric default for two different title edits: the longer title, then the greater one.
struct PreferLongerTitle {
  std::string operator()(const std::string& a, const std::string& b) const {
    if (a.size() != b.size()) return a.size() > b.size() ? a : b;
    return std::max(a, b);
  }
};

// base: the thread as last synced (nullopt for a first sync). conflict is true when the titles
// needed the fallback. The version is max + 1 when the merge produces something new for either
// side, else the common version (re-merging identical copies changes nothing). Threads with
// different ids are a caller bug: std::invalid_argument.
template <class TitleFallback = PreferLongerTitle>
MergeResult<ChatThread> merge_chat_threads(const std::optional<ChatThread>& base,
                                           const ChatThread& local, const ChatThread& remote,
                                           TitleFallback&& title_fallback = {}) {
  if (local.id != remote.id || (base && base->id != local.id)) {
    throw std::invalid_argument("merge_chat_threads: thread ids differ, local '" + local.id +
                                "', remote '" + remote.id + "'" +
                                (base ? ", base '" + base->id + "'" : std::string()));
  }
  std::optional<std::string> base_title;
  if (base) base_title = base->title;
  auto title = three_way_merge(base_title, local.title, remote.title,
                               std::forward<TitleFallback>(title_fallback));
  ChatThread out;
  out.id = local.id;
  out.title = std::move(title.value);
  out.messages = merge_messages(local.messages, remote.messages);
  const bool same_as_local = out.title == local.title && out.messages == local.messages;
  const bool same_as_remote = out.title == remote.title && out.messages == remote.messages;
  const std::uint64_t newest = std::max(local.version, remote.version);
  out.version = same_as_local && same_as_remote ? newest : newest + 1;
  return {std::move(out), title.conflict};
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
