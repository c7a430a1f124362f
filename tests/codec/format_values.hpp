// Representative values of every type with a binary form, for the byte-stability test. The same
// builders produced the pinned hex in format_stability_test.cpp, so a change to an encoder shows
// up as a byte difference there instead of slipping through a round trip.
#pragma once

#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/record.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/models/chat_thread.hpp>
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/models/demo_document.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rxsync_format {

using namespace std::chrono_literals;
using rxsync::TimePoint;

inline TimePoint at(std::int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

struct Note {
  rxsync::LwwRegister<std::string> title;
  rxsync::OrSet<std::string> tags;
  rxsync::EnableWinsFlag<> pinned;
  RXSYNC_RECORD(Note, title, tags, pinned)
};

enum class Colour : std::int16_t { red = -2, green = 7 };

inline rxsync::VectorClock<> vector_clock() { return {{"alice", 3}, {"bob", 1}, {"carol", 300}}; }

inline rxsync::GCounter<> gcounter() {
  rxsync::GCounter<> c;
  c.increment("alice", 5);
  c.increment("bob", 200);
  return c;
}

inline rxsync::PNCounter<> pncounter() {
  rxsync::PNCounter<> c;
  c.increment("alice", 7);
  c.decrement("bob", 3);
  c.decrement("alice");
  return c;
}

inline rxsync::LwwRegister<std::string> lww() {
  return rxsync::LwwRegister<std::string>("hello", at(1234), "alice");
}

inline rxsync::MaxRegister<int> max_register() { return rxsync::MaxRegister<int>(-3); }
inline rxsync::MaxRegister<TimePoint> max_time() { return rxsync::MaxRegister<TimePoint>(at(99)); }

inline rxsync::MvRegister<std::string> mv_register() {
  rxsync::MvRegister<std::string> a;
  rxsync::MvRegister<std::string> b;
  a.assign("alice", "left");
  b.assign("bob", "right");
  a.merge(b);  // two siblings
  return a;
}

inline rxsync::OrSet<std::string> or_set() {
  rxsync::OrSet<std::string> s;
  s.add("alice", "x");
  s.add("bob", "y");
  s.add("alice", "z");
  s.erase("x");
  return s;
}

inline rxsync::RemoveWinsSet<std::string> remove_wins_set() {
  rxsync::RemoveWinsSet<std::string> s;
  s.add("alice", "x");
  s.add("alice", "y");
  s.erase("bob", "y");
  return s;
}

inline rxsync::EnableWinsFlag<> enable_wins() {
  rxsync::EnableWinsFlag<> f;
  f.enable("alice");
  rxsync::EnableWinsFlag<> g;
  g.enable("bob");
  g.disable();
  f.merge(g);
  return f;
}

inline rxsync::DisableWinsFlag<> disable_wins() {
  rxsync::DisableWinsFlag<> f;
  f.enable("alice");
  rxsync::DisableWinsFlag<> g;
  g.disable("bob");
  f.merge(g);
  return f;
}

inline rxsync::OrMap<std::string, rxsync::LwwRegister<std::string>> or_map() {
  rxsync::OrMap<std::string, rxsync::LwwRegister<std::string>> m;
  m.update("alice", "k1", [](auto& r) { r.assign("v1", at(10), "alice"); });
  m.update("bob", "k2", [](auto& r) { r.assign("v2", at(20), "bob"); });
  m.update("alice", "k3", [](auto& r) { r.assign("v3", at(30), "alice"); });
  m.erase("k3");  // its value stays, hidden
  return m;
}

inline rxsync::OrMap<std::string, rxsync::GCounter<>> or_map_of_counters() {
  rxsync::OrMap<std::string, rxsync::GCounter<>> m;
  m.update("alice", "likes", [](auto& c) { c.increment("alice", 2); });
  return m;
}

inline rxsync::Versioned<std::string> versioned() {
  rxsync::Versioned<std::string> v;
  v.update("alice", [](std::string& s) { s = "draft"; });
  v.update("bob", [](std::string& s) { s += " 2"; });
  return v;
}

inline rxsync::Conversation conversation() {
  return rxsync::Conversation{true, false, 12, "team", at(5000)};
}

inline rxsync::Versioned<rxsync::Conversation> versioned_conversation() {
  rxsync::Versioned<rxsync::Conversation> v;
  v.update("phone", [](rxsync::Conversation& c) { c = conversation(); });
  return v;
}

inline Note note() {
  Note n;
  n.title.assign("groceries", at(7), "phone");
  n.tags.add("phone", "home");
  n.pinned.enable("laptop");
  return n;
}

inline rxsync::ChatMessage chat_message() {
  return rxsync::ChatMessage{"m1", at(100), "user", "hi there"};
}

inline rxsync::ChatThread chat_thread() {
  rxsync::ChatThread t;
  t.id = "t1";
  t.title = "plans";
  t.messages = {chat_message(), rxsync::ChatMessage{"m2", at(200), "assistant", "hello"}};
  t.version = 300;
  return t;
}

inline rxsync::ConversationState<> conversation_state() {
  rxsync::ConversationState<> s;
  s.pin("phone", at(1));
  s.set_unread("phone", 4, at(2));
  s.set_title("laptop", "weekend", at(3));
  s.mute("laptop", at(4));
  s.unmute(at(5));
  return s;
}

inline rxsync::DemoDocument demo_document() {
  rxsync::DemoDocument d;
  d.conversation = conversation_state();
  d.messages = chat_thread().messages;
  return d;
}

inline std::vector<std::optional<std::int32_t>> vector_of_optionals() {
  return {1, std::nullopt, -70000};
}

inline std::pair<std::string, std::chrono::milliseconds> pair_of_string_and_duration() {
  return {std::string("a\0b", 3), 1500ms};
}

inline std::vector<Colour> enums() { return {Colour::red, Colour::green}; }

inline std::optional<rxsync::LwwRegister<std::string>> optional_register() { return lww(); }

inline std::vector<rxsync::OrSet<std::string>> vector_of_sets() { return {or_set(), {}}; }

}  // namespace rxsync_format
