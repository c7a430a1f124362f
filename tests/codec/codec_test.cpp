// Tests for rxsync/storage/codec.hpp: round trips, exact forms, and malformed input.
#include <rxsync/storage/codec.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using rxsync::BinaryReader;
using rxsync::BinaryWriter;
using rxsync::DecodeError;
using rxsync::DefaultCodec;

static_assert(rxsync::Codec<DefaultCodec, std::string>);
static_assert(rxsync::Codec<DefaultCodec, bool>);
static_assert(rxsync::Codec<DefaultCodec, char>);
static_assert(rxsync::Codec<DefaultCodec, std::int8_t>);
static_assert(rxsync::Codec<DefaultCodec, std::uint64_t>);
static_assert(rxsync::Codec<DefaultCodec, double>);
static_assert(rxsync::Codec<DefaultCodec, long double>);
static_assert(!rxsync::Codec<DefaultCodec, std::vector<int>>);
// A reader over a temporary string would dangle, so it does not compile.
static_assert(!std::is_constructible_v<BinaryReader, std::string&&>);
static_assert(std::is_constructible_v<BinaryReader, const std::string&>);

namespace {

template <class T>
T round_trip(const T& v) {
  return DefaultCodec::decode(DefaultCodec::encode(v), static_cast<T*>(nullptr));
}

std::string varint_bytes(std::uint64_t v) {
  BinaryWriter w;
  w.put_varint(v);
  return std::move(w).take();
}

}  // namespace

TEST_CASE("varints use the shortest LEB128 form and round trip at the edges") {
  CHECK(varint_bytes(0) == std::string("\x00", 1));
  CHECK(varint_bytes(127) == "\x7f");
  CHECK(varint_bytes(128) == "\x80\x01");
  CHECK(varint_bytes(300) == "\xac\x02");
  CHECK(varint_bytes(std::numeric_limits<std::uint64_t>::max()).size() == 10);
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{127},
                          std::uint64_t{128}, std::uint64_t{16383}, std::uint64_t{16384},
                          std::uint64_t{1} << 63, std::numeric_limits<std::uint64_t>::max()}) {
    const std::string bytes = varint_bytes(v);
    BinaryReader r(bytes);
    CHECK(r.get_varint() == v);
    CHECK(r.at_end());
  }
}

TEST_CASE("zigzag keeps small negative numbers short and covers the full int64 range") {
  for (std::int64_t v :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{-64}, std::int64_t{63},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    BinaryWriter w;
    w.put_signed(v);
    const std::string bytes = std::move(w).take();
    if (v >= -64 && v <= 63) CHECK(bytes.size() == 1);
    BinaryReader r(bytes);
    CHECK(r.get_signed() == v);
  }
}

TEST_CASE("overlong and overflowing varints are rejected") {
  SECTION("non-canonical padding") {
    const std::string bytes("\x80\x00", 2);
    BinaryReader r(bytes);
    REQUIRE_THROWS_AS(r.get_varint(), DecodeError);
  }
  SECTION("eleven bytes") {
    const std::string bytes = std::string(10, '\xff') + "\x01";
    BinaryReader r(bytes);
    REQUIRE_THROWS_AS(r.get_varint(), DecodeError);
  }
  SECTION("tenth byte overflows 64 bits") {
    const std::string bytes = std::string(9, '\xff') + "\x02";
    BinaryReader r(bytes);
    REQUIRE_THROWS_WITH(r.get_varint(), rxsync_test::contains("overflows"));
  }
  SECTION("truncated") {
    BinaryReader r("\x80\x80");
    REQUIRE_THROWS_WITH(r.get_varint(), rxsync_test::contains("truncated"));
  }
}

TEST_CASE("fixed-width values are little-endian and floats are bit-exact") {
  BinaryWriter w;
  w.put_fixed(std::uint32_t{0x01020304});
  CHECK(w.str() == "\x04\x03\x02\x01");
  w.put_double(-0.0);
  w.put_float(std::numeric_limits<float>::infinity());
  w.put_double(std::bit_cast<double>(std::uint64_t{0x7ff8000000000123}));  // NaN with payload
  BinaryReader r(w.str());
  CHECK(r.get_fixed<std::uint32_t>() == 0x01020304);
  const double nz = r.get_double();
  CHECK(nz == 0.0);
  CHECK(std::signbit(nz));
  CHECK(std::isinf(r.get_float()));
  CHECK(std::bit_cast<std::uint64_t>(r.get_double()) == 0x7ff8000000000123);
  CHECK(r.at_end());
  REQUIRE_THROWS_AS(r.get_fixed<std::uint16_t>(), DecodeError);
}

TEST_CASE("length-prefixed bytes hold arbitrary data and reject impossible lengths") {
  BinaryWriter w;
  const std::string binary("a\0b\xff", 4);
  w.put_bytes(binary);
  w.put_string("");
  BinaryReader r(w.str());
  CHECK(r.get_string() == binary);
  CHECK(r.get_string().empty());
  CHECK(r.at_end());

  BinaryReader bad(
      "\x05"
      "abc");
  REQUIRE_THROWS_WITH(bad.get_bytes(), rxsync_test::contains("exceeds"));
  const std::string huge_count = varint_bytes(std::uint64_t{1} << 60);
  BinaryReader huge(huge_count);
  REQUIRE_THROWS_AS(huge.get_count(), DecodeError);
}

TEST_CASE("bools and tags are validated") {
  BinaryReader r("\x02");
  REQUIRE_THROWS_WITH(r.get_bool(), rxsync_test::contains("0 or 1"));
  BinaryReader t("\x07");
  REQUIRE_THROWS_WITH(t.expect_tag(8, "Thing"), rxsync_test::contains("bad tag for Thing"));
  BinaryReader e("x");
  REQUIRE_THROWS_WITH(e.expect_end("Thing"), rxsync_test::contains("trailing"));
}

TEST_CASE("DefaultCodec round trips strings and every arithmetic type") {
  CHECK(round_trip(std::string("hello\0world", 11)) == std::string("hello\0world", 11));
  CHECK(round_trip(std::string()).empty());
  CHECK(round_trip(true));
  CHECK_FALSE(round_trip(false));
  CHECK(round_trip('x') == 'x');
  CHECK(round_trip(static_cast<signed char>(-5)) == -5);
  CHECK(round_trip(static_cast<unsigned char>(250)) == 250);
  CHECK(round_trip(char32_t{0x1F600}) == char32_t{0x1F600});
  CHECK(round_trip(std::numeric_limits<std::int16_t>::min()) ==
        std::numeric_limits<std::int16_t>::min());
  CHECK(round_trip(std::numeric_limits<std::int64_t>::min()) ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(round_trip(std::numeric_limits<std::uint64_t>::max()) ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(round_trip(3.25f) == 3.25f);
  CHECK(round_trip(std::numeric_limits<double>::denorm_min()) ==
        std::numeric_limits<double>::denorm_min());
  CHECK(DefaultCodec::encode(std::int32_t{1}) == std::string("\x01\x00\x00\x00", 4));
  CHECK(DefaultCodec::encode(1.0).size() == 8);
}

TEST_CASE("DefaultCodec long double is exact, including specials") {
  const long double values[] = {0.0L,
                                -0.0L,
                                1.0L / 3.0L,
                                -12345.678L,
                                std::numeric_limits<long double>::max(),
                                std::numeric_limits<long double>::min(),
                                std::numeric_limits<long double>::denorm_min(),
                                std::numeric_limits<long double>::infinity(),
                                -std::numeric_limits<long double>::infinity()};
  for (long double v : values) {
    const long double back = round_trip(v);
    CHECK(back == v);
    CHECK(std::signbit(back) == std::signbit(v));
  }
  CHECK(std::isnan(round_trip(std::numeric_limits<long double>::quiet_NaN())));
  // A mantissa without its top bit set is not the canonical form of any value.
  std::string bytes = DefaultCodec::encode(1.5L);  // class, exponent, chunks (LE)
  REQUIRE(bytes.size() >= 6);
  bytes[5] = '\x40';
  REQUIRE_THROWS_AS(DefaultCodec::decode(bytes, static_cast<long double*>(nullptr)), DecodeError);
}

TEST_CASE("DefaultCodec rejects wrong sizes and trailing garbage") {
  REQUIRE_THROWS_WITH(DefaultCodec::decode("abc", static_cast<std::int32_t*>(nullptr)),
                      rxsync_test::contains("expected exactly 4"));
  REQUIRE_THROWS_AS(DefaultCodec::decode("abcde", static_cast<std::int32_t*>(nullptr)),
                    DecodeError);
  REQUIRE_THROWS_AS(DefaultCodec::decode("", static_cast<double*>(nullptr)), DecodeError);
  REQUIRE_THROWS_AS(DefaultCodec::decode(std::string("\x01\x00", 2), static_cast<bool*>(nullptr)),
                    DecodeError);
  REQUIRE_THROWS_AS(DefaultCodec::decode("\x02", static_cast<bool*>(nullptr)), DecodeError);
  REQUIRE_THROWS_AS(DefaultCodec::decode(std::string(17, 'x'), static_cast<long double*>(nullptr)),
                    DecodeError);
}

TEST_CASE("nested values round trip through write_value/read_value") {
  using Msg = std::pair<std::string, std::optional<std::vector<std::int32_t>>>;
  const Msg m{"id", std::vector<std::int32_t>{-1, 0, 7}};
  CHECK(rxsync::decode_value<Msg>(rxsync::encode_value(m)) == m);
  const rxsync::TimePoint t{rxsync::Duration{-42}};
  CHECK(rxsync::decode_value<rxsync::TimePoint>(rxsync::encode_value(t)) == t);
  // Out-of-range integers are reported, not truncated.
  REQUIRE_THROWS_WITH(rxsync::decode_value<std::uint8_t>(rxsync::encode_value(std::uint32_t{256})),
                      rxsync_test::contains("out of range"));
  REQUIRE_THROWS_AS(rxsync::decode_value<std::int8_t>(rxsync::encode_value(std::int32_t{-129})),
                    DecodeError);
  REQUIRE_THROWS_AS(rxsync::decode_value<Msg>(rxsync::encode_value(m) + "x"), DecodeError);
}

TEST_CASE("every truncation of a nested encoding raises DecodeError") {
  using Msg = std::pair<std::string, std::vector<std::pair<std::int64_t, double>>>;
  const Msg m{"conversation-42", {{-1, 0.5}, {1'000'000'000'000, -2.0}, {0, 1e300}}};
  const std::string full = rxsync::encode_value(m);
  REQUIRE(rxsync::decode_value<Msg>(full) == m);
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE_THROWS_AS(rxsync::decode_value<Msg>(full.substr(0, cut)), DecodeError);
  }
}

TEST_CASE("random bytes never crash a decoder") {
  using Msg = std::pair<std::string, std::vector<std::optional<std::int64_t>>>;
  std::mt19937_64 rng(0xC0DEC);
  std::size_t decoded = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    try {
      (void)rxsync::decode_value<Msg>(bytes);
      ++decoded;
    } catch (const DecodeError&) {
    }
    try {
      (void)DefaultCodec::decode(bytes, static_cast<long double*>(nullptr));
    } catch (const DecodeError&) {
    }
  }
  CHECK(decoded < 5000);
}
