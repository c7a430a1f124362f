// VectorClock: causality, equality, merge, pruning and encoding.
#include <rxsync/codec/crdt.hpp>
#include <rxsync/crdt/vector_clock.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>

#include "rxsync_catch.hpp"

using rxsync::Causality;
using Clock = rxsync::VectorClock<std::string>;

TEST_CASE("an absent actor counts as zero, so {} equals {A:0}") {
  const Clock empty;
  const Clock zero{{"A", 0}};
  CHECK(empty.compare(zero) == Causality::equal);
  CHECK(zero.compare(empty) == Causality::equal);
  CHECK(empty == zero);
  CHECK(zero.get("A") == 0);
  CHECK(zero.empty());
}

TEST_CASE("compare covers equal, before, after and concurrent over the union of actors") {
  const Clock a{{"A", 1}, {"B", 2}};
  CHECK(a.compare(a) == Causality::equal);
  CHECK(a.compare(Clock{{"A", 1}, {"B", 3}}) == Causality::before);
  CHECK(a.compare(Clock{{"A", 1}, {"B", 2}, {"C", 1}}) == Causality::before);
  CHECK(a.compare(Clock{{"A", 1}}) == Causality::after);
  CHECK(a.compare(Clock{{"A", 2}, {"B", 1}}) == Causality::concurrent);
  CHECK(a.compare(Clock{{"C", 1}}) == Causality::concurrent);
  CHECK(Clock{{"C", 1}}.compare(a) == Causality::concurrent);
  CHECK(a.dominated_by(Clock{{"A", 5}, {"B", 5}}));
  CHECK_FALSE(a.dominated_by(Clock{{"A", 5}}));
  CHECK(std::string(rxsync::to_string(Causality::concurrent)) == "concurrent");
}

TEST_CASE("operator== agrees with compare() == equal") {
  const Clock clocks[] = {Clock{},         Clock{{"A", 0}},           Clock{{"A", 1}},
                          Clock{{"B", 1}}, Clock{{"A", 1}, {"B", 0}}, Clock{{"A", 1}, {"B", 1}}};
  for (const auto& x : clocks) {
    for (const auto& y : clocks) {
      CHECK((x == y) == (x.compare(y) == Causality::equal));
    }
  }
}

TEST_CASE("tick increments and merge takes the pointwise max") {
  Clock a;
  CHECK(a.tick("B") == 1);
  CHECK(a.tick("B") == 2);
  CHECK(a.tick("A") == 1);
  Clock b{{"B", 1}, {"C", 4}};
  a.merge(b);
  CHECK(a == Clock{{"A", 1}, {"B", 2}, {"C", 4}});
  b.merge(a);
  CHECK(b == a);
  // In-place path (no new actors) and a smaller clock merged in change nothing.
  a.merge(Clock{{"B", 1}});
  CHECK(a.get("B") == 2);
  REQUIRE(a.entries().size() == 3);
  CHECK(a.entries()[0].first == "A");
  CHECK(a.entries()[2].first == "C");
}

TEST_CASE("counters refuse to wrap") {
  Clock a{{"A", UINT64_MAX}};
  REQUIRE_THROWS_AS(a.tick("A"), std::overflow_error);
  CHECK(a.get("A") == UINT64_MAX);
}

TEST_CASE("integer actors work like strings") {
  rxsync::VectorClock<std::uint64_t> a{{7, 1}, {3, 2}};
  rxsync::VectorClock<std::uint64_t> b{{3, 2}, {9, 1}};
  CHECK(a.compare(b) == Causality::concurrent);
  a.merge(b);
  CHECK(a.compare(b) == Causality::after);
  CHECK(a.entries().front().first == 3);
}

TEST_CASE("pruning: compare on the unpruned clocks, prune only the stored copy") {
  // B retires. Before pruning, A's and B's latest versions are concurrent.
  const Clock phone{{"phone", 1}, {"tablet", 2}};
  const Clock desktop{{"phone", 2}, {"tablet", 1}};
  REQUIRE(phone.compare(desktop) == Causality::concurrent);

  const auto retired = [](const std::string& actor) { return actor == "tablet"; };
  const Clock phone_stored = phone.without(retired);
  const Clock desktop_stored = desktop.without(retired);
  // Pruning first would turn the conflict into "before": desktop would silently overwrite phone.
  CHECK(phone_stored.compare(desktop_stored) == Causality::before);
  // Pruning returns a copy: the live clocks, which all comparisons use, are untouched.
  CHECK(phone.compare(desktop) == Causality::concurrent);
  CHECK(phone.get("tablet") == 2);
  CHECK(phone_stored.get("tablet") == 0);
}

TEST_CASE("capped keeps the most advanced actors, in actor order") {
  const Clock c{{"a", 5}, {"b", 1}, {"c", 9}, {"d", 5}, {"e", 2}};
  const Clock top = c.capped(3);
  CHECK(top == Clock{{"a", 5}, {"c", 9}, {"d", 5}});
  CHECK(c.capped(10) == c);
  CHECK(c.capped(0).empty());
}

TEST_CASE("VectorClock encoding round trips and rejects corruption") {
  const Clock c{{"alpha", 3}, {"beta", 300}, {"gamma", 1}};
  const std::string bytes = c.encode();
  CHECK(Clock::decode(bytes) == c);
  CHECK(Clock::decode(Clock{}.encode()).empty());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    REQUIRE_THROWS_AS(Clock::decode(bytes.substr(0, cut)), rxsync::DecodeError);
  }
  REQUIRE_THROWS_AS(Clock::decode(bytes + "x"), rxsync::DecodeError);
  std::string wrong_tag = bytes;
  wrong_tag[0] = 'X';
  REQUIRE_THROWS_WITH(Clock::decode(wrong_tag), rxsync_test::contains("VectorClock"));

  rxsync::BinaryWriter unsorted;
  unsorted.put_u8(rxsync::Serializer<Clock>::kTag);
  unsorted.put_varint(2);
  unsorted.put_string("b");
  unsorted.put_varint(1);
  unsorted.put_string("a");
  unsorted.put_varint(1);
  REQUIRE_THROWS_WITH(Clock::decode(unsorted.str()), rxsync_test::contains("ascending"));

  rxsync::BinaryWriter zero;
  zero.put_u8(rxsync::Serializer<Clock>::kTag);
  zero.put_varint(1);
  zero.put_string("a");
  zero.put_varint(0);
  REQUIRE_THROWS_WITH(Clock::decode(zero.str()), rxsync_test::contains("zero counter"));
}

TEST_CASE("compare and merge agree with a brute-force reference on random clocks") {
  std::mt19937_64 rng(2024);
  const std::string actors[] = {"a", "b", "c", "d", "e", "f"};
  const auto random_clock = [&] {
    Clock c;
    for (const auto& actor : actors) {
      if (rng() % 2 == 0) c.advance(actor, rng() % 3);  // 0 leaves the actor absent
    }
    return c;
  };
  for (int i = 0; i < 2000; ++i) {
    const Clock x = random_clock();
    const Clock y = random_clock();
    bool less = false, greater = false;
    Clock max;
    for (const auto& actor : actors) {
      less = less || x.get(actor) < y.get(actor);
      greater = greater || y.get(actor) < x.get(actor);
      max.advance(actor, std::max(x.get(actor), y.get(actor)));
    }
    const Causality expected = less && greater ? Causality::concurrent
                               : less          ? Causality::before
                               : greater       ? Causality::after
                                               : Causality::equal;
    REQUIRE(x.compare(y) == expected);
    Clock merged = x;
    merged.merge(y);
    REQUIRE(merged == max);
    REQUIRE(Clock::decode(merged.encode()) == merged);
  }
}
