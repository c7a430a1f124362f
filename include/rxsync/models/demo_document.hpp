// rxsync/models/demo_document.hpp - the document type of the demos, rxsync-server and
// rxsync-device: an IM conversation's state and an AI chat thread's messages under one type.
//
// One value type for every key lets one server binary hold both kinds of document: keys
// "conv/<id>" use `conversation` (pin and mute enable-wins, unread, title LWW), keys
// "thread/<id>" use `messages` (the union of messages by id, ordered by (timestamp, id)). A join:
// commutative, associative and idempotent. Plain value type; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include <rxsync/models/chat_thread.hpp>
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct DemoDocument {
  ConversationState<> conversation;   // used by conv/ keys
  std::vector<ChatMessage> messages;  // used by thread/ keys, ordered by (timestamp, id)

  void merge(const DemoDocument& other) {
    conversation.merge(other.conversation);
    messages = merge_messages(messages, other.messages);
  }
  friend bool operator==(const DemoDocument&, const DemoDocument&) = default;

  // Whether everything in `part` is already in this document (merging it changes nothing):
  // how a checker tells that an edit was not lost.
  bool contains(const DemoDocument& part) const {
    DemoDocument joined = *this;
    joined.merge(part);
    return joined == *this;
  }

  void encode_to(BinaryWriter& w) const {
    conversation.encode_to(w);
    write_value(w, messages);
  }
  static DemoDocument decode_from(BinaryReader& r) {
    DemoDocument d;
    d.conversation = ConversationState<>::decode_from(r);
    d.messages = read_value<std::vector<ChatMessage>>(r);
    return d;
  }
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
