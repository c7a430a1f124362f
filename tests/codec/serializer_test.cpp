// The customisation point: a type of the user's with only rxsync_encode / rxsync_decode next to
// it, one with a Serializer specialisation, and one with the older member hooks all get a binary
// form that DefaultCodec, write_value and an Outbox use; and malformed bytes still fail cleanly
// through the specialisations of rxsync's CRDTs.
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/record.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "rxsync_catch.hpp"

namespace app {

// Only free functions, no members: the pattern users copy.
struct Pin {
  std::string chat;
  std::int32_t order = 0;
  friend bool operator==(const Pin&, const Pin&) = default;
};
void rxsync_encode(rxsync::BinaryWriter& w, const Pin& p) {
  rxsync::write_value(w, p.chat);
  rxsync::write_value(w, p.order);
}
Pin rxsync_decode(rxsync::BinaryReader& r, std::type_identity<Pin>) {
  Pin p;
  p.chat = rxsync::read_value<std::string>(r);
  p.order = rxsync::read_value<std::int32_t>(r);
  return p;
}

// A type whose header cannot be touched (think third-party), given a form from outside.
struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

// Written against the member hooks before the customisation point existed.
struct Legacy {
  std::uint64_t n = 0;
  friend bool operator==(const Legacy&, const Legacy&) = default;
  void encode_to(rxsync::BinaryWriter& w) const { w.put_varint(n); }
  static Legacy decode_from(rxsync::BinaryReader& r) { return Legacy{r.get_varint()}; }
};

// Both the free functions and the members: the free functions are used.
struct Both {
  std::uint64_t n = 0;
  friend bool operator==(const Both&, const Both&) = default;
  void encode_to(rxsync::BinaryWriter& w) const { w.put_varint(n + 1000); }
  static Both decode_from(rxsync::BinaryReader& r) { return Both{r.get_varint() - 1000}; }
};
void rxsync_encode(rxsync::BinaryWriter& w, const Both& b) { w.put_varint(b.n); }
Both rxsync_decode(rxsync::BinaryReader& r, std::type_identity<Both>) {
  return Both{r.get_varint()};
}

// A template given its form by a partial specialisation selected with enable_if.
template <class T>
struct Tagged {
  T value{};
  friend bool operator==(const Tagged&, const Tagged&) = default;
};

struct Note {
  rxsync::LwwRegister<std::string> title;
  rxsync::OrSet<std::string> tags;
  RXSYNC_RECORD(Note, title, tags)
};

struct NoForm {};

}  // namespace app

template <>
struct rxsync::Serializer<app::Rgb> {
  static void write(BinaryWriter& w, const app::Rgb& c) {
    w.put_u8(c.r);
    w.put_u8(c.g);
    w.put_u8(c.b);
  }
  static app::Rgb read(BinaryReader& r) { return app::Rgb{r.get_u8(), r.get_u8(), r.get_u8()}; }
};

template <class T>
struct rxsync::Serializer<app::Tagged<T>, std::enable_if_t<std::is_integral_v<T>>> {
  static void write(BinaryWriter& w, const app::Tagged<T>& t) {
    w.put_u8(0x54);  // 'T'
    write_value(w, t.value);
  }
  static app::Tagged<T> read(BinaryReader& r) {
    r.expect_tag(0x54, "Tagged");
    return app::Tagged<T>{read_value<T>(r)};
  }
};

static_assert(rxsync::BinarySerializable<app::Pin>);
static_assert(rxsync::BinarySerializable<app::Tagged<int>>);
static_assert(!rxsync::BinarySerializable<app::Tagged<std::string>>);
static_assert(rxsync::BinarySerializable<app::Note>);
static_assert(rxsync::BinarySerializable<app::Rgb>);
static_assert(rxsync::BinarySerializable<app::Legacy>);
static_assert(rxsync::BinarySerializable<std::vector<std::optional<app::Pin>>>);
static_assert(rxsync::BinarySerializable<rxsync::OrMap<std::string, rxsync::MaxRegister<int>>>);
static_assert(!rxsync::BinarySerializable<app::NoForm>);
static_assert(!rxsync::BinarySerializable<std::vector<app::NoForm>>);
static_assert(rxsync::Codec<rxsync::DefaultCodec, app::Pin>);
static_assert(rxsync::Codec<rxsync::DefaultCodec, app::Rgb>);

namespace {

template <class T>
T top_round_trip(const T& v) {
  return rxsync::DefaultCodec::decode(rxsync::DefaultCodec::encode(v), static_cast<T*>(nullptr));
}

}  // namespace

TEST_CASE("a type with only rxsync_encode / rxsync_decode has a binary form", "[codec]") {
  const app::Pin pin{"team", -4};
  CHECK(rxsync::encode_value(pin) == std::string("\x04team\x07", 6));
  CHECK(top_round_trip(pin) == pin);
  const std::vector<std::optional<app::Pin>> pins{pin, std::nullopt};
  CHECK(rxsync::decode_value<std::vector<std::optional<app::Pin>>>(rxsync::encode_value(pins)) ==
        pins);
  REQUIRE_THROWS_AS(rxsync::decode_value<app::Pin>(std::string("\x04te", 3)), rxsync::DecodeError);
}

TEST_CASE("a type with only ADL functions goes through an Outbox and back from storage",
          "[codec]") {
  rxsync::MemoryStorage storage;
  {
    rxsync::Outbox<std::string, app::Pin, rxsync::MemoryStorage> outbox(storage);
    outbox.put("p1", app::Pin{"work", 2});
  }
  rxsync::Outbox<std::string, app::Pin, rxsync::MemoryStorage> reopened(storage);
  const auto record = reopened.get("p1");
  REQUIRE(record.has_value());
  CHECK(record->value == app::Pin{"work", 2});
}

TEST_CASE("a Serializer specialisation and the older member hooks both work", "[codec]") {
  const app::Rgb teal{0, 128, 128};
  CHECK(rxsync::encode_value(teal) == std::string("\x00\x80\x80", 3));
  CHECK(top_round_trip(teal) == teal);
  CHECK(rxsync::encode_value(app::Legacy{300}) == "\xac\x02");
  CHECK(top_round_trip(app::Legacy{300}) == app::Legacy{300});
}

TEST_CASE("the CRDT specialisations reject truncated and mistagged bytes", "[codec]") {
  rxsync::OrMap<std::string, rxsync::LwwRegister<std::string>> map;
  map.update("phone", "title", [](auto& r) { r.assign("draft", rxsync::TimePoint{}, "phone"); });
  const std::string bytes = rxsync::DefaultCodec::encode(map);
  using Map = decltype(map);
  CHECK(top_round_trip(map) == map);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    REQUIRE_THROWS_AS(
        rxsync::DefaultCodec::decode(bytes.substr(0, cut), static_cast<Map*>(nullptr)),
        rxsync::DecodeError);
  }
  std::string wrong = bytes;
  wrong[0] = static_cast<char>(rxsync::Serializer<rxsync::OrSet<std::string>>::kTag);
  REQUIRE_THROWS_WITH(rxsync::DefaultCodec::decode(wrong, static_cast<Map*>(nullptr)),
                      rxsync_test::contains("bad tag for OrMap"));
  // The member hooks kept on the CRDTs reach the same code.
  CHECK(map.encode() == bytes);
  CHECK(Map::decode(bytes) == map);
  rxsync::BinaryWriter w;
  map.encode_to(w);
  CHECK(w.str() == bytes);
  rxsync::BinaryReader r(bytes);
  CHECK(Map::decode_from(r) == map);
}

TEST_CASE("the free functions win over member hooks, and enable_if specialisations apply",
          "[codec]") {
  CHECK(rxsync::encode_value(app::Both{5}) == "\x05");
  CHECK(top_round_trip(app::Both{5}) == app::Both{5});
  CHECK(rxsync::encode_value(app::Tagged<int>{-1}) == "\x54\x01");
  CHECK(top_round_trip(app::Tagged<int>{-1}) == app::Tagged<int>{-1});
}

TEST_CASE("trailing bytes after a whole value raise DecodeError", "[codec]") {
  const std::string pin = rxsync::encode_value(app::Pin{"team", 1});
  REQUIRE_THROWS_WITH(rxsync::decode_value<app::Pin>(pin + '\0'),
                      rxsync_test::contains("trailing"));
  REQUIRE_THROWS_AS(rxsync::DefaultCodec::decode(pin + "x", static_cast<app::Pin*>(nullptr)),
                    rxsync::DecodeError);

  rxsync::OrSet<std::string> set;
  set.add("phone", "home");
  const std::string set_bytes = set.encode();
  REQUIRE_THROWS_WITH(rxsync::OrSet<std::string>::decode(set_bytes + '\0'),
                      rxsync_test::contains("trailing"));
  REQUIRE_THROWS_AS(rxsync::DefaultCodec::decode(set_bytes + '\0',
                                                 static_cast<rxsync::OrSet<std::string>*>(nullptr)),
                    rxsync::DecodeError);

  app::Note note;
  note.title.assign("Groceries", rxsync::TimePoint{}, "phone");
  const std::string note_bytes = rxsync::DefaultCodec::encode(note);
  CHECK(top_round_trip(note) == note);
  REQUIRE_THROWS_WITH(
      rxsync::DefaultCodec::decode(note_bytes + '\0', static_cast<app::Note*>(nullptr)),
      rxsync_test::contains("trailing"));
}

TEST_CASE("a tag that belongs to no type raises DecodeError", "[codec]") {
  rxsync::OrSet<std::string> set;
  set.add("phone", "home");
  std::string set_bytes = set.encode();
  set_bytes[0] = '\xff';
  REQUIRE_THROWS_WITH(rxsync::OrSet<std::string>::decode(set_bytes),
                      rxsync_test::contains("bad tag for OrSet"));

  app::Note note;
  std::string note_bytes = rxsync::DefaultCodec::encode(note);
  note_bytes[0] = '\xff';
  REQUIRE_THROWS_WITH(rxsync::DefaultCodec::decode(note_bytes, static_cast<app::Note*>(nullptr)),
                      rxsync_test::contains("record Note"));

  REQUIRE_THROWS_WITH(rxsync::decode_value<app::Tagged<int>>(std::string("\x00\x01", 2)),
                      rxsync_test::contains("bad tag for Tagged"));
  REQUIRE_THROWS_AS(rxsync::decode_value<app::Tagged<int>>(std::string("\x54", 1)),
                    rxsync::DecodeError);
}
