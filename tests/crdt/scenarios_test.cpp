// Named conflict scenarios: pin/unpin races, add-wins sets, counters on three
// replicas, MV register siblings, LWW tie-breaks; and decoding of corrupt states.
#include <rxsync/codec/crdt.hpp>
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>

#include <set>
#include <string>

#include "rxsync_catch.hpp"

using rxsync::Duration;
using rxsync::TimePoint;

namespace {
template <class X>
X merged(X a, const X& b) {
  a.merge(b);
  return a;
}
TimePoint at(std::int64_t ns) { return TimePoint{Duration{ns}}; }
}  // namespace

TEST_CASE("EnableWinsFlag: a concurrent pin beats an unpin, an unpin that saw the pin wins") {
  rxsync::EnableWinsFlag<> phone;
  phone.enable("phone");
  rxsync::EnableWinsFlag<> desktop = phone;  // desktop has seen the pin

  SECTION("unpin after observing the pin wins") {
    desktop.disable();
    CHECK_FALSE(merged(phone, desktop).value());
    CHECK_FALSE(merged(desktop, phone).value());
  }
  SECTION("a pin concurrent with the unpin is kept") {
    desktop.disable();
    phone.enable("phone");  // re-pinned without seeing the unpin
    CHECK(merged(phone, desktop).value());
    CHECK(merged(desktop, phone).value());
  }
  SECTION("pinning again after seeing the unpin wins") {
    desktop.disable();
    phone.merge(desktop);
    CHECK_FALSE(phone.value());
    phone.enable("phone");
    CHECK(merged(desktop, phone).value());
  }
}

TEST_CASE("DisableWinsFlag: a concurrent disable wins, an enable that saw it re-enables") {
  rxsync::DisableWinsFlag<> a;
  CHECK_FALSE(a.value());
  a.enable("a");
  rxsync::DisableWinsFlag<> b = a;
  a.enable("a");
  b.disable("b");
  CHECK_FALSE(merged(a, b).value());
  CHECK_FALSE(merged(b, a).value());
  b.merge(a);
  b.enable("b");
  CHECK(merged(a, b).value());
}

TEST_CASE("OrSet: an add concurrent with a remove wins, a remove of what it saw wins") {
  rxsync::OrSet<std::string> phone;
  phone.add("phone", "alice");
  phone.add("phone", "bob");
  rxsync::OrSet<std::string> desktop = phone;

  desktop.erase("alice");       // saw phone's add
  phone.add("phone", "alice");  // concurrent re-add
  desktop.erase("bob");         // nobody re-adds bob
  const auto m1 = merged(phone, desktop);
  const auto m2 = merged(desktop, phone);
  CHECK(m1 == m2);
  CHECK(m1.values() == std::set<std::string>{"alice"});
  CHECK(m1.contains("alice"));
  CHECK_FALSE(m1.contains("bob"));
  CHECK(m1.size() == 1);
  CHECK_FALSE(desktop.erase("nobody"));
}

TEST_CASE("RemoveWinsSet: a remove concurrent with an add wins") {
  rxsync::RemoveWinsSet<int> a;
  a.add("a", 1);
  rxsync::RemoveWinsSet<int> b = a;
  a.add("a", 1);
  b.erase("b", 1);
  CHECK(merged(a, b).values().empty());
  CHECK_FALSE(merged(b, a).contains(1));
  a.merge(b);
  a.add("a", 1);  // an add after observing the remove restores it
  CHECK(merged(a, b).contains(1));
}

TEST_CASE("counters across three replicas count each increment once") {
  rxsync::PNCounter<> phone, tablet, desktop;
  phone.increment("phone", 3);
  tablet.increment("tablet");
  desktop.decrement("desktop", 2);
  phone.merge(tablet);
  tablet.merge(desktop);
  desktop.merge(phone);
  // Duplicated delivery: merging the same state twice changes nothing.
  desktop.merge(phone);
  phone.merge(desktop);
  tablet.merge(phone);
  CHECK(phone.value() == 2);
  CHECK(tablet.value() == 2);
  CHECK(desktop.value() == 2);
  CHECK(phone == tablet);
  CHECK(tablet.increments().value_of("phone") == 3);

  rxsync::GCounter<> g;
  g.increment("x", UINT64_MAX);
  REQUIRE_THROWS_AS(g.increment("x"), std::overflow_error);
  g.increment("y");
  REQUIRE_THROWS_AS(g.value(), std::overflow_error);
  rxsync::PNCounter<> low;
  low.decrement("x", static_cast<std::uint64_t>(INT64_MAX) + 1);
  CHECK(low.value() == INT64_MIN);
  low.decrement("y");
  REQUIRE_THROWS_AS(low.value(), std::overflow_error);
}

TEST_CASE("MvRegister keeps concurrent writes as siblings and collapses them on a later write") {
  rxsync::MvRegister<std::string> phone, desktop;
  CHECK(phone.values().empty());
  phone.assign("phone", "Work");
  desktop.merge(phone);
  phone.assign("phone", "Team");
  desktop.assign("desktop", "Friends");  // concurrent with "Team"
  auto m = merged(phone, desktop);
  CHECK(m.values() == std::set<std::string>{"Friends", "Team"});
  CHECK(m.has_conflict());
  CHECK(m == merged(desktop, phone));
  // A write that observed both siblings replaces them; merging the old siblings back is a no-op.
  m.assign("phone", "Family");
  CHECK(m.values() == std::set<std::string>{"Family"});
  CHECK(merged(m, desktop).values() == std::set<std::string>{"Family"});
  CHECK(merged(phone, m).values() == std::set<std::string>{"Family"});
  CHECK_FALSE(m.has_conflict());
}

TEST_CASE(
    "LwwRegister: the later stamp wins, ties go to the actor, then the value, in both orders") {
  using Reg = rxsync::LwwRegister<std::string>;
  SECTION("timestamp") {
    Reg a, b;
    a.assign("old", at(10), "z");
    b.assign("new", at(20), "a");
    CHECK(merged(a, b).value() == "new");
    CHECK(merged(b, a).value() == "new");
  }
  SECTION("equal timestamps: higher actor") {
    Reg a, b;
    a.assign("from-a", at(10), "a");
    b.assign("from-b", at(10), "b");
    CHECK(merged(a, b).value() == "from-b");
    CHECK(merged(b, a).value() == "from-b");
  }
  SECTION("full tie: higher value") {
    const Reg a("apple", at(10), "x");
    const Reg b("pear", at(10), "x");
    CHECK(merged(a, b).value() == "pear");
    CHECK(merged(b, a).value() == "pear");
    CHECK(merged(a, b) == merged(b, a));
  }
  SECTION("a write after observing a state wins even with a clock behind") {
    Reg a;
    a.assign("desktop", at(1000), "desktop");
    Reg phone = a;  // phone's clock is far behind
    phone.assign("phone", at(5), "phone");
    CHECK(phone.timestamp() == at(1001));
    CHECK(merged(a, phone).value() == "phone");
    CHECK(phone.actor() == "phone");
  }
  SECTION("the timestamp cannot wrap") {
    Reg a("x", TimePoint::max(), "a");
    REQUIRE_THROWS_AS(a.assign("y", at(0), "a"), std::overflow_error);
    CHECK(a.value() == "x");
  }
}

TEST_CASE("MaxRegister absorbs smaller values") {
  rxsync::MaxRegister<int> r(5);
  CHECK_FALSE(r.assign(3));
  CHECK(r.assign(7));
  r.merge(rxsync::MaxRegister<int>(6));
  CHECK(r.value() == 7);
}

TEST_CASE("OrMap: a concurrent update keeps an erased key, erase hides without reset") {
  rxsync::OrMap<std::string, rxsync::GCounter<>> a;
  a.update("a", "likes", [](auto& c) { c.increment("a", 2); });
  auto b = a;
  b.erase("likes");
  CHECK(b.find("likes") == nullptr);
  CHECK(merged(a, b).find("likes") == nullptr);  // a has not changed since: b's erase wins
  CHECK_FALSE(merged(b, a).contains("likes"));
  a.update("a", "likes", [](auto& c) { c.increment("a"); });  // concurrent with the erase
  const auto m = merged(b, a);
  REQUIRE(m.find("likes") != nullptr);
  CHECK(m.find("likes")->value() == 3);
  CHECK(m.keys() == std::set<std::string>{"likes"});
  CHECK(m == merged(a, b));
}

TEST_CASE(
    "OrMap: a value only one replica holds merges the same both ways even below the default") {
  // An LWW register stamped before TimePoint{} (a decoded state, or a clock that started
  // earlier) loses to a default-constructed register, so it must be copied, not merged into one.
  using Lww = rxsync::LwwRegister<std::string>;
  rxsync::OrMap<std::string, Lww> a, b;
  a.update("phone", "title", [](Lww& r) { r = Lww("Trip", at(-5), "phone"); });
  b.update("tablet", "draft", [](Lww& r) { r.assign("x", at(10), "tablet"); });
  const auto ab = merged(a, b);
  CHECK(ab == merged(b, a));
  REQUIRE(ab.find("title") != nullptr);
  CHECK(ab.find("title")->value() == "Trip");
  CHECK(ab.find("title")->timestamp() == at(-5));

  rxsync::OrMap<std::string, rxsync::MaxRegister<int>> c, d;
  c.update("phone", "low", [](auto& r) { r = rxsync::MaxRegister<int>(-3); });
  CHECK(merged(d, c) == merged(c, d));
  CHECK(merged(d, c).find("low")->value() == -3);
}

TEST_CASE("corrupt CRDT encodings raise DecodeError") {
  rxsync::OrSet<std::string> s;
  s.add("a", "x");
  s.add("b", "y");
  const std::string good = s.encode();
  REQUIRE(rxsync::OrSet<std::string>::decode(good) == s);

  SECTION("a state of another type") {
    REQUIRE_THROWS_WITH(rxsync::MvRegister<std::string>::decode(good),
                        rxsync_test::contains("bad tag for MvRegister"));
  }
  SECTION("a dot outside the causal context") {
    rxsync::BinaryWriter w;
    w.put_u8(rxsync::Serializer<rxsync::OrSet<std::string>>::kTag);
    w.put_varint(0);  // empty context
    w.put_varint(1);  // one key
    w.put_string("x");
    w.put_varint(1);  // one dot
    w.put_string("a");
    w.put_varint(1);
    REQUIRE_THROWS_WITH(rxsync::OrSet<std::string>::decode(w.str()),
                        rxsync_test::contains("causal context"));
  }
  SECTION("the same dot under two keys") {
    rxsync::BinaryWriter w;
    w.put_u8(rxsync::Serializer<rxsync::OrSet<std::string>>::kTag);
    w.put_varint(1);
    w.put_string("a");
    w.put_varint(1);
    w.put_varint(2);
    for (const char* key : {"x", "y"}) {
      w.put_string(key);
      w.put_varint(1);
      w.put_string("a");
      w.put_varint(1);
    }
    REQUIRE_THROWS_WITH(rxsync::OrSet<std::string>::decode(w.str()),
                        rxsync_test::contains("used twice"));
  }
  SECTION("a key with no dots") {
    rxsync::BinaryWriter w;
    w.put_u8(rxsync::Serializer<rxsync::OrSet<std::string>>::kTag);
    w.put_varint(0);
    w.put_varint(1);
    w.put_string("x");
    w.put_varint(0);
    REQUIRE_THROWS_WITH(rxsync::OrSet<std::string>::decode(w.str()),
                        rxsync_test::contains("no dots"));
  }
  SECTION("a bool payload that is not 0 or 1") {
    rxsync::DisableWinsFlag<> f;
    f.enable("a");
    std::string bytes = f.encode();
    bytes.back() = '\x07';
    REQUIRE_THROWS_AS(rxsync::DisableWinsFlag<>::decode(bytes), rxsync::DecodeError);
  }
}
