// IM conversation state on three devices: phone, tablet and desktop edit pin / mute / unread /
// title while offline, then exchange their states (encoded, as over a network) in different
// orders, some twice. Every device ends with the same state. Exits 1 if they differ.
//
// Each device keeps Versioned<ConversationState>: the clock tells a plain "newer version" from a
// real conflict, and the CRDT fields resolve conflicts the same way in any order.
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using State = rxsync::Versioned<rxsync::ConversationState<std::string>, std::string>;

struct Device {
  std::string name;
  State state;
  int conflicts = 0;

  template <class F>
  void edit(const char* what, F&& change) {
    state.update(name, change);
    std::printf("  %-8s %s\n", name.c_str(), what);
  }
  // What goes over the wire.
  std::string send() const { return rxsync::DefaultCodec::encode(state); }
  void receive(const std::string& bytes, const std::string& from) {
    const State remote = rxsync::DefaultCodec::decode(bytes, static_cast<State*>(nullptr));
    const auto relation = state.clock.compare(remote.clock);
    const auto result = rxsync::resolve(state, remote);
    state = result.value;
    if (result.conflict) ++conflicts;
    std::printf("  %-8s <- %-8s (%s)%s\n", name.c_str(), from.c_str(), rxsync::to_string(relation),
                result.conflict ? ": conflict resolved field by field" : "");
  }
};

long long ms(rxsync::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string describe(const rxsync::Conversation& c) {
  return std::string("pinned=") + (c.pinned ? "yes" : "no") + " muted=" + (c.muted ? "yes" : "no") +
         " unread=" + std::to_string(c.unread) + " title=\"" + c.title +
         "\" last_modified=" + std::to_string(ms(c.last_modified)) + "ms";
}

}  // namespace

int main() {
  rxsync::VirtualTimeScheduler clock;
  Device phone{"phone", {}, 0}, tablet{"tablet", {}, 0}, desktop{"desktop", {}, 0};

  std::puts("== t=0: the conversation arrives on the phone and syncs everywhere");
  phone.edit("creates \"Weekend trip\" with 3 unread", [&](auto& c) {
    c.set_title("phone", "Weekend trip", clock.now());
    c.set_unread("phone", 3, clock.now());
  });
  tablet.receive(phone.send(), "phone");
  desktop.receive(phone.send(), "phone");

  std::puts("== all three go offline and edit concurrently");
  clock.advance_by(100ms);
  phone.edit("pins it and renames it \"Weekend trip (Sat)\"", [&](auto& c) {
    c.pin("phone", clock.now());
    c.set_title("phone", "Weekend trip (Sat)", clock.now());
  });
  clock.advance_by(50ms);
  tablet.edit("mutes it and reads everything (unread 0)", [&](auto& c) {
    c.mute("tablet", clock.now());
    c.set_unread("tablet", 0, clock.now());
  });
  clock.advance_by(50ms);
  desktop.edit("gets 2 new messages (unread 5), renames it \"Trip planning\"", [&](auto& c) {
    c.set_unread("desktop", 5, clock.now());
    c.set_title("desktop", "Trip planning", clock.now());
  });
  clock.advance_by(10ms);
  desktop.edit("unmutes and unpins (it has seen neither the mute nor the pin)", [&](auto& c) {
    c.unmute(clock.now());
    c.unpin(clock.now());
  });

  std::puts("== they reconnect and exchange states in different orders, some twice");
  const std::string p = phone.send(), t = tablet.send(), d = desktop.send();
  phone.receive(t, "tablet");
  phone.receive(d, "desktop");
  tablet.receive(d, "desktop");
  tablet.receive(p, "phone");
  tablet.receive(d, "desktop");  // duplicate delivery
  desktop.receive(p, "phone");
  desktop.receive(t, "tablet");

  std::printf("  after the exchange: %s\n", describe(phone.state.value.snapshot()).c_str());
  std::puts(
      "     (the pin and the mute beat the concurrent unpin/unmute; unread is the max of the");
  std::puts("      concurrent counts; the title is the latest write)");

  std::puts("== later: the phone unpins after seeing everything; the others hear it in turn");
  clock.advance_by(1s);
  phone.edit("unpins", [&](auto& c) { c.unpin(clock.now()); });
  desktop.receive(phone.send(), "phone");
  tablet.receive(desktop.send(), "desktop");
  phone.receive(tablet.send(), "tablet");

  std::puts("== final states");
  bool identical = true;
  const auto reference = phone.state.value.snapshot();
  for (const Device* dev : {&phone, &tablet, &desktop}) {
    const auto snap = dev->state.value.snapshot();
    std::printf("  %-8s %s (%d conflicts resolved)\n", dev->name.c_str(), describe(snap).c_str(),
                dev->conflicts);
    identical = identical && snap == reference && dev->state == phone.state;
  }
  std::puts(identical ? "all devices agree" : "DEVICES DISAGREE");
  return identical ? 0 : 1;
}
