// RXSYNC_RECORD: field-wise merge and equality, the versioned encoding (older and newer writers),
// corrupt input, the CRDT laws, and a record synced between two replicas.
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/record.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sim_network.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/convergence.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "crdt_laws.hpp"
#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::TimePoint;

namespace {

struct Note {
  rxsync::LwwRegister<std::string> title;
  rxsync::OrSet<std::string> tags;
  rxsync::EnableWinsFlag<> pinned;
  RXSYNC_RECORD(Note, title, tags, pinned)
};

// The same document as an older app version wrote it (no `pinned` yet)...
struct NoteV1 {
  rxsync::LwwRegister<std::string> title;
  rxsync::OrSet<std::string> tags;
  RXSYNC_RECORD(NoteV1, title, tags)
};

// ...and as a newer one writes it (a `views` counter added at the end).
struct NoteV3 {
  rxsync::LwwRegister<std::string> title;
  rxsync::OrSet<std::string> tags;
  rxsync::EnableWinsFlag<> pinned;
  rxsync::GCounter<> views;
  RXSYNC_RECORD(NoteV3, title, tags, pinned, views)
};

// A record is a CRDT too, so it nests.
struct Notebook {
  Note cover;
  rxsync::PNCounter<> balance;
  RXSYNC_RECORD(Notebook, cover, balance)
};

template <class T>
struct Extremes {
  rxsync::MaxRegister<T> high;
  RXSYNC_RECORD(Extremes, high)
};

struct Wide {
  rxsync::MaxRegister<int> f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14;
  rxsync::MaxRegister<int> f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28;
  rxsync::OrSet<int> f29;
  RXSYNC_RECORD(Wide, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16,
                f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29)
};

TimePoint at(int ms) { return TimePoint{std::chrono::milliseconds(ms)}; }

template <class T>
T decode(const std::string& bytes) {
  return rxsync::DefaultCodec::decode(bytes, static_cast<T*>(nullptr));
}

template <class T>
T merged(T a, const T& b) {
  a.merge(b);
  return a;
}

// Two replicas that edited every field concurrently.
std::pair<Note, Note> concurrent_notes() {
  Note phone, laptop;
  phone.title.assign("Groceries", at(10), "phone");
  phone.tags.add("phone", "home");
  phone.pinned.enable("phone");
  laptop.title.assign("Shopping", at(20), "laptop");
  laptop.tags.add("laptop", "errands");
  return {phone, laptop};
}

}  // namespace

TEST_CASE("RXSYNC_RECORD merges each field with the field's own merge", "[crdt][record]") {
  auto [phone, laptop] = concurrent_notes();
  const Note m = merged(phone, laptop);
  CHECK(m.title == merged(phone.title, laptop.title));
  CHECK(m.tags == merged(phone.tags, laptop.tags));
  CHECK(m.pinned == merged(phone.pinned, laptop.pinned));
  CHECK(m.title.value() == "Shopping");  // the later write
  CHECK(m.tags.values() == std::set<std::string>{"errands", "home"});
  CHECK(m.pinned.value());
  CHECK(m == merged(laptop, phone));
  CHECK(merged(m, m) == m);

  // Only the fields merge: an unpin on the laptop that saw the pin unpins everywhere.
  Note seen = m;
  seen.pinned.disable();
  CHECK_FALSE(merged(m, seen).pinned.value());
}

TEST_CASE("RXSYNC_RECORD equality compares every field", "[crdt][record]") {
  auto [phone, laptop] = concurrent_notes();
  const Note copy = phone;
  CHECK(copy == phone);
  CHECK_FALSE(copy != phone);
  CHECK(phone != laptop);
  for (int field = 0; field < 3; ++field) {
    Note changed = phone;
    if (field == 0) changed.title.assign("other", at(30), "phone");
    if (field == 1) changed.tags.add("phone", "new");
    if (field == 2) changed.pinned.disable();
    INFO("field " << field);
    CHECK(changed != phone);
  }
  CHECK(Note::rxsync_field_count == 3);
}

TEST_CASE("RXSYNC_RECORD encoding: tag, field count, length-prefixed fields", "[crdt][record]") {
  auto [phone, laptop] = concurrent_notes();
  const std::string bytes = rxsync::DefaultCodec::encode(phone);

  rxsync::BinaryWriter expected;
  expected.put_u8(0x72);  // 'r', record format 1
  expected.put_varint(3);
  expected.put_bytes(phone.title.encode());
  expected.put_bytes(phone.tags.encode());
  expected.put_bytes(phone.pinned.encode());
  CHECK(bytes == expected.str());

  CHECK(decode<Note>(bytes) == phone);
  CHECK(decode<Note>(rxsync::DefaultCodec::encode(Note{})) == Note{});
  CHECK(rxsync::decode_value<Note>(rxsync::encode_value(laptop)) == laptop);

  Notebook book;
  book.cover = merged(phone, laptop);
  book.balance.decrement("phone", 7);
  CHECK(decode<Notebook>(rxsync::DefaultCodec::encode(book)) == book);

  Extremes<std::int64_t> e;
  e.high.assign(-3);
  e.high.assign(42);
  CHECK(decode<Extremes<std::int64_t>>(rxsync::DefaultCodec::encode(e)) == e);
}

TEST_CASE("RXSYNC_RECORD with 30 fields", "[crdt][record]") {
  Wide a, b;
  a.f0.assign(1);
  a.f28.assign(5);
  b.f28.assign(9);
  b.f29.add("b", 7);
  CHECK(Wide::rxsync_field_count == 30);
  const Wide m = merged(a, b);
  CHECK(m.f0.value() == 1);
  CHECK(m.f28.value() == 9);
  CHECK(m.f29.contains(7));
  CHECK(m != a);
  CHECK(decode<Wide>(rxsync::DefaultCodec::encode(m)) == m);
}

TEST_CASE("a record written by an older version decodes with defaults for the missing fields",
          "[crdt][record]") {
  NoteV1 old;
  old.title.assign("Groceries", at(10), "phone");
  old.tags.add("phone", "home");
  const Note note = decode<Note>(rxsync::DefaultCodec::encode(old));
  CHECK(note.title == old.title);
  CHECK(note.tags == old.tags);
  CHECK(note.pinned == rxsync::EnableWinsFlag<>{});

  // The default is where every state of the field started, so merging it changes nothing.
  Note current = note;
  current.pinned.enable("laptop");
  CHECK(merged(current, note) == current);
  CHECK(merged(note, current) == current);
}

TEST_CASE("a record written by a newer version decodes, its unknown fields skipped",
          "[crdt][record]") {
  NoteV3 newer;
  newer.title.assign("Groceries", at(10), "phone");
  newer.tags.add("phone", "home");
  newer.pinned.enable("phone");
  newer.views.increment("phone", 3);
  const std::string bytes = rxsync::DefaultCodec::encode(newer);

  const Note note = decode<Note>(bytes);
  CHECK(note.title == newer.title);
  CHECK(note.tags == newer.tags);
  CHECK(note.pinned == newer.pinned);
  REQUIRE_THROWS_AS(decode<Note>(bytes + '\0'), rxsync::DecodeError);  // still no trailing bytes

  // Written back by this version, the unknown field is gone...
  const NoteV3 round_trip = decode<NoteV3>(rxsync::DefaultCodec::encode(note));
  CHECK(round_trip.views.value() == 0);
  // ...but where a newer version merges it, the newer state keeps its `views`.
  CHECK(merged(newer, round_trip) == newer);
  CHECK(merged(round_trip, newer) == newer);
}

TEST_CASE("corrupt record encodings raise DecodeError naming the record", "[crdt][record]") {
  auto [phone, laptop] = concurrent_notes();
  const Note full = merged(phone, laptop);
  const std::string bytes = rxsync::DefaultCodec::encode(full);

  SECTION("every truncation") {
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      INFO("cut at " << cut);
      REQUIRE_THROWS_WITH(decode<Note>(bytes.substr(0, cut)), rxsync_test::contains("record Note"));
    }
  }
  SECTION("another type's bytes") {
    REQUIRE_THROWS_WITH(decode<Note>(full.title.encode()),
                        rxsync_test::contains("record Note: bad tag"));
  }
  SECTION("a field count larger than the input") {
    rxsync::BinaryWriter w;
    w.put_u8(0x72);
    w.put_varint(1000);
    w.put_bytes(full.title.encode());
    REQUIRE_THROWS_WITH(decode<Note>(w.str()), rxsync_test::contains("record Note"));
  }
  SECTION("a field that does not decode as its type") {
    rxsync::BinaryWriter w;
    w.put_u8(0x72);
    w.put_varint(2);
    w.put_bytes(full.title.encode());
    w.put_bytes(full.title.encode());  // an LwwRegister where the OrSet belongs
    REQUIRE_THROWS_WITH(decode<Note>(w.str()),
                        rxsync_test::contains("record Note, field 'tags' (2 of 2"));
  }
  SECTION("a field with bytes left over inside its length") {
    rxsync::BinaryWriter w;
    w.put_u8(0x72);
    w.put_varint(1);
    w.put_bytes(full.title.encode() + "x");
    REQUIRE_THROWS_WITH(decode<Note>(w.str()),
                        rxsync_test::contains("record Note, field 'title' (1 of 1"));
  }
  SECTION("an unknown field cut short") {
    rxsync::BinaryWriter w;
    w.put_u8(0x72);
    w.put_varint(4);
    w.put_bytes(full.title.encode());
    w.put_bytes(full.tags.encode());
    w.put_bytes(full.pinned.encode());
    w.put_varint(5);  // a fourth field of 5 bytes, with 2
    w.put_raw("ab");
    REQUIRE_THROWS_WITH(decode<Note>(w.str()),
                        rxsync_test::contains("record Note, a field this version does not know"));
  }
  SECTION("a nested record names both") {
    Notebook book;
    book.cover = full;
    std::string nested = rxsync::DefaultCodec::encode(book);
    const std::size_t cover_size = rxsync::DefaultCodec::encode(full).size();
    nested[2 + (cover_size < 128 ? 1 : 2)] = 'x';  // the cover's own tag, after its length
    REQUIRE_THROWS_WITH(decode<Notebook>(nested),
                        rxsync_test::contains("record Notebook, field 'cover' (1 of 2"));
    REQUIRE_THROWS_WITH(decode<Notebook>(nested), rxsync_test::contains("record Note: bad tag"));
  }
  SECTION("random byte flips never crash") {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 500; ++i) {
      std::string bad = bytes;
      bad[rng() % bad.size()] = static_cast<char>(rng() & 0xff);
      try {
        (void)decode<Note>(bad);
      } catch (const rxsync::DecodeError&) {
      }
    }
  }
}

namespace {
// The plain-struct way to write Note, with per-field policies.
struct PlainNote {
  std::string title;
  std::set<std::string> tags;
  TimePoint modified{};
  friend bool operator==(const PlainNote&, const PlainNote&) = default;
};
}  // namespace

TEST_CASE("record_merger with latest_by and Union loses a rename and resurrects a removed tag",
          "[crdt][record]") {
  namespace mp = rxsync::merge_policy;
  const auto merge = rxsync::record_merger<PlainNote>(
      rxsync::field(&PlainNote::title, mp::latest_by(&PlainNote::modified)),
      rxsync::field(&PlainNote::tags, mp::Union{}), rxsync::field(&PlainNote::modified, mp::Max{}));
  // Both start from {"Groceries", {home}}. The phone renames; the laptop, concurrently and a bit
  // later, removes "home" and adds "errands" without touching the title.
  const PlainNote phone{"Groceries for Sunday", {"home"}, at(5)};
  const PlainNote laptop{"Groceries", {"errands"}, at(7)};
  const PlainNote plain = merge(phone, laptop);
  CHECK(plain.title == "Groceries");                              // the rename is lost
  CHECK(plain.tags == std::set<std::string>{"errands", "home"});  // "home" is back
  CHECK(merge(laptop, phone) == plain);

  // The same edits on CRDT fields keep both intentions.
  Note base;
  base.title.assign("Groceries", at(1), "phone");
  base.tags.add("phone", "home");
  Note crdt_phone = base, crdt_laptop = base;
  crdt_phone.title.assign("Groceries for Sunday", at(5), "phone");
  crdt_laptop.tags.erase("home");
  crdt_laptop.tags.add("laptop", "errands");
  const Note m = merged(crdt_phone, crdt_laptop);
  CHECK(m.title.value() == "Groceries for Sunday");
  CHECK(m.tags.values() == std::set<std::string>{"errands"});
}

namespace {
struct NoteModel {
  using Type = Note;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint now) {
    const std::string v(1, static_cast<char>('a' + rng() % 4));
    switch (rng() % 5) {
      case 0:
        x.title.assign(v, now, actor);
        break;
      case 1:
        x.tags.add(actor, v);
        break;
      case 2:
        x.tags.erase(v);
        break;
      case 3:
        x.pinned.enable(actor);
        break;
      default:
        x.pinned.disable();
    }
  }
};
}  // namespace

TEST_CASE("laws: an RXSYNC_RECORD of LWW, OR-set and enable-wins fields", "[crdt][record]") {
  crdt_laws::check_laws<NoteModel>();
}

TEST_CASE("a record syncs between two replicas, one of them offline for a while",
          "[crdt][record][sync]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::SimNetwork<std::string, Note, rxsync::VirtualTimeScheduler> net(sched);
  rxsync::MemoryStorage phone_store, laptop_store;
  auto phone = rxsync::make_sync_service<std::string, Note>(sched, net.client("phone"), phone_store,
                                                            {.origin = "phone"});
  auto laptop = rxsync::make_sync_service<std::string, Note>(sched, net.client("laptop"),
                                                             laptop_store, {.origin = "laptop"});
  phone.start();
  laptop.start();

  phone.update("note/1", [&](Note& n) {
    n.title.assign("Groceries", sched.now(), "phone");
    n.tags.add("phone", "home");
  });
  REQUIRE(rxsync::testing::run_until_converged(sched, 10s, phone, laptop));

  net.client("laptop").set_online(false);
  laptop.update("note/1", [&](Note& n) {
    n.tags.erase("home");
    n.tags.add("laptop", "errands");
    n.pinned.enable("laptop");
  });
  sched.advance_by(1min);
  phone.update("note/1",
               [&](Note& n) { n.title.assign("Groceries for Sunday", sched.now(), "phone"); });
  sched.advance_by(1min);
  CHECK(laptop.status("note/1").state == rxsync::SyncState::pending);

  net.client("laptop").set_online(true);
  const auto result = rxsync::testing::run_until_converged(sched, 10s, phone, laptop);
  INFO(result.why_not);
  REQUIRE(result.converged);
  const Note note = *phone.value("note/1");
  CHECK(note.title.value() == "Groceries for Sunday");
  CHECK(note.tags.values() == std::set<std::string>{"errands"});
  CHECK(note.pinned.value());
  CHECK(net.server_value("note/1") == note);
  CHECK(laptop.value("note/1") == note);
}
