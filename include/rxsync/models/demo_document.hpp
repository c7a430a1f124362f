// rxsync/models/demo_document.hpp - the document type of the demos, rxsync-server and
// rxsync-device: an IM conversation's state and an AI chat thread's messages under one type.
//
// One value type for every key lets one server binary hold both kinds of document: keys
// "conv/<id>" use `conversation` (pin and mute enable-wins, unread, title LWW), keys
// "thread/<id>" use `messages` (the union of messages by id, ordered by (timestamp, id)). A join:
// commutative, associative and idempotent. Plain value type; not thread-safe.
#pragma once

#include <concepts>
#include <string>
#include <type_traits>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/models/chat_thread.hpp>
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct DemoDocument {
  ConversationState<> conversation;   // used by conv/ keys
  std::vector<ChatMessage> messages;  // used by thread/ keys, ordered by (timestamp, id)

  // The members below are templates (always of DemoDocument) only so that their bodies are
  // compiled where they are used, not in every file that includes the umbrella header.
  template <std::same_as<DemoDocument> D>
  void merge(const D& other) {
    conversation.merge(other.conversation);
    messages = merge_messages(messages, other.messages);
  }
  friend bool operator==(const DemoDocument&, const DemoDocument&) = default;

  // Whether everything in `part` is already in this document (merging it changes nothing):
  // how a checker tells that an edit was not lost.
  template <std::same_as<DemoDocument> D>
  bool contains(const D& part) const {
    D joined = *this;
    joined.merge(part);
    return joined == *this;
  }
};

// No tag of its own: the conversation's leads (see ChatMessage for the pattern).
template <std::same_as<BinaryWriter> W>
void rxsync_encode(W& w, const DemoDocument& d) {
  write_value(w, d.conversation);
  write_value(w, d.messages);
}
template <std::same_as<BinaryReader> R>
DemoDocument rxsync_decode(R& r, std::type_identity<DemoDocument>) {
  DemoDocument d;
  d.conversation = read_value<ConversationState<>>(r);
  d.messages = read_value<std::vector<ChatMessage>>(r);
  return d;
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
