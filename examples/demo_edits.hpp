// The edits of the demos: what a user does to a conversation (pin, mute, unread, title) or to a
// chat thread (a message), applied to a DemoDocument. Shared by the in-process demo and
// rxsync-device so both exercise the same documents.
#pragma once

#include <rxsync/core/time.hpp>
#include <rxsync/models/demo_document.hpp>

#include <cstddef>
#include <string>

namespace demo {

// `pick(n)` returns a random number in [0, n). `tag` names the edit (message ids and titles
// carry it, so every edit is distinct).
template <class Pick>
void edit_conversation(rxsync::DemoDocument& doc, const std::string& actor, rxsync::TimePoint now,
                       const std::string& tag, Pick&& pick) {
  switch (pick(6)) {
    case 0:
      doc.conversation.pin(actor, now);
      break;
    case 1:
      doc.conversation.unpin(now);
      break;
    case 2:
      doc.conversation.mute(actor, now);
      break;
    case 3:
      doc.conversation.unmute(now);
      break;
    case 4:
      doc.conversation.set_unread(actor, pick(20), now);
      break;
    default:
      doc.conversation.set_title(actor, "title by " + actor + " #" + tag, now);
      break;
  }
}

template <class Pick>
std::string add_message(rxsync::DemoDocument& doc, const std::string& actor, rxsync::TimePoint now,
                        const std::string& tag, Pick&& pick) {
  std::string id = actor + "-" + tag;
  doc.messages = rxsync::merge_messages(
      doc.messages,
      {rxsync::ChatMessage{id, now, pick(2) ? "user" : "assistant", "message " + tag}});
  return id;
}

}  // namespace demo
