// CRDT laws on reachable states of the sets, the map and the record-level policies.
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/models/conversation_state.hpp>

#include <string>

#include "crdt_laws.hpp"

namespace {

using rxsync::TimePoint;

struct OrSetModel {
  using Type = rxsync::OrSet<int>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    const int v = static_cast<int>(rng() % 6);
    const auto op = rng() % 10;
    if (op < 6)
      x.add(actor, v);
    else if (op < 9)
      x.erase(v);
    else
      x.clear();
  }
};
struct RemoveWinsModel {
  using Type = rxsync::RemoveWinsSet<int>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    const int v = static_cast<int>(rng() % 6);
    if (rng() % 3 != 0)
      x.add(actor, v);
    else
      x.erase(actor, v);
  }
};

void random_conversation_op(rxsync::ConversationState<std::string>& c, const std::string& actor,
                            std::mt19937_64& rng, TimePoint now) {
  switch (rng() % 7) {
    case 0:
      c.pin(actor, now);
      break;
    case 1:
      c.unpin(now);
      break;
    case 2:
      c.mute(actor, now);
      break;
    case 3:
      c.unmute(now);
      break;
    case 4:
      c.set_unread(actor, rng() % 5, now);
      break;
    default:
      c.set_title(actor, "t" + std::to_string(rng() % 3), now);
      break;
  }
}

struct ConversationModel {
  using Type = rxsync::ConversationState<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint now) {
    random_conversation_op(x, actor, rng, now);
  }
};

// Versioned resolution of a CRDT record: take the dominating version, else merge and report.
struct VersionedConversationModel {
  using Type = rxsync::Versioned<rxsync::ConversationState<std::string>, std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint now) {
    x.update(actor, [&](auto& c) { random_conversation_op(c, actor, rng, now); });
  }
  static Type join(const Type& a, const Type& b) { return rxsync::resolve(a, b).value; }
};

struct OrMapModel {
  using Type = rxsync::OrMap<std::string, rxsync::PNCounter<std::string>>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    const std::string key = "k" + std::to_string(rng() % 4);
    if (rng() % 4 == 0) {
      x.erase(key);
    } else {
      const bool up = rng() % 2 == 0;
      x.update(actor, key, [&](auto& counter) {
        if (up)
          counter.increment(actor);
        else
          counter.decrement(actor);
      });
    }
  }
};

struct OrMapOfSetsModel {
  using Type = rxsync::OrMap<int, rxsync::OrSet<std::string>>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    const int key = static_cast<int>(rng() % 3);
    const std::string member = "m" + std::to_string(rng() % 3);
    switch (rng() % 4) {
      case 0:
        x.erase(key);
        break;
      case 1:
        x.update(actor, key, [&](auto& s) { s.erase(member); });
        break;
      default:
        x.update(actor, key, [&](auto& s) { s.add(actor, member); });
        break;
    }
  }
};

}  // namespace

TEST_CASE("laws: OrSet (add-wins)") { crdt_laws::check_laws<OrSetModel>(); }
TEST_CASE("laws: RemoveWinsSet") { crdt_laws::check_laws<RemoveWinsModel>(); }
TEST_CASE("laws: ConversationState") { crdt_laws::check_laws<ConversationModel>(); }
TEST_CASE("laws: Versioned<ConversationState> resolved by clock") {
  crdt_laws::check_laws<VersionedConversationModel>();
}
TEST_CASE("laws: OrMap of PNCounters and of OrSets") {
  crdt_laws::check_laws<OrMapModel>();
  crdt_laws::check_laws<OrMapOfSetsModel>();
}
