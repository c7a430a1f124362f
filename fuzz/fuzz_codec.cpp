// Fuzz target: every decoder of rxsync/storage/codec.hpp.
//
// Input: one selector byte (which decoder, modulo the table size), then the bytes to decode.
// Decoders: DefaultCodec's top-level forms (strings, bool, every integer and character type,
// float, double, long double), read_value's nested forms (integers, floats, long double, enums,
// strings, durations and time points, optional, vector, pair, nested in each other), and a
// script of BinaryReader primitives.
// Checks: a decoder either returns a value or throws rxsync::DecodeError, nothing else; an
// accepted encoding is canonical (encoding the value again gives the same bytes); DefaultCodec
// accepts exactly the sizes its format allows; BinaryReader consumes exactly the bytes a
// BinaryWriter would write for what it read.
#include <rxsync/storage/codec.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using rxsync::BinaryReader;
using rxsync::BinaryWriter;
using rxsync::DecodeError;
using rxsync::DefaultCodec;
using rxsync_fuzz::hex;

enum class Color : std::uint8_t { red, green, blue };
enum class Delta : std::int16_t { down = -1, none = 0, up = 1 };

void check_decode_error(const DecodeError& e) {
  const std::string_view what = e.what();
  RXSYNC_FUZZ_CHECK(what.rfind("rxsync: cannot decode: ", 0) == 0 &&
                        what.find(" at offset ") != std::string_view::npos,
                    std::string("DecodeError without its prefix or offset: ") + e.what());
}

// DefaultCodec's top-level forms. Integers are exactly sizeof(T) bytes and bool one byte that is
// 0 or 1, so for those the input size alone says whether decoding must succeed.
template <class T>
void top_level(std::string_view bytes) {
  std::optional<bool> must_accept;
  if constexpr (std::is_same_v<T, std::string>) {
    must_accept = true;
  } else if constexpr (std::is_same_v<T, bool>) {
    must_accept = bytes.size() == 1 && static_cast<unsigned char>(bytes[0]) <= 1;
  } else if constexpr (!std::is_same_v<T, long double>) {
    must_accept = bytes.size() == sizeof(T);
  }
  T value{};
  try {
    value = DefaultCodec::decode(bytes, static_cast<T*>(nullptr));
  } catch (const DecodeError& e) {
    check_decode_error(e);
    RXSYNC_FUZZ_CHECK(must_accept != true, "rejected a valid encoding " + hex(bytes));
    return;
  }
  RXSYNC_FUZZ_CHECK(must_accept != false, "accepted an invalid encoding " + hex(bytes));
  const std::string again = DefaultCodec::encode(value);
  RXSYNC_FUZZ_CHECK(again == bytes, "decoded " + hex(bytes) + ", re-encoded " + hex(again));
}

// read_value's nested forms, whole input (decode_value rejects trailing bytes). Every form is
// canonical (shortest varints, 0/1 bools, one long double encoding per value), so a value that
// decodes re-encodes to the very same bytes.
template <class T>
void nested(std::string_view bytes) {
  T value{};
  try {
    value = rxsync::decode_value<T>(bytes);
  } catch (const DecodeError& e) {
    check_decode_error(e);
    return;
  }
  const std::string again = rxsync::encode_value(value);
  RXSYNC_FUZZ_CHECK(again == bytes, "decoded " + hex(bytes) + ", re-encoded " + hex(again));
}

// A program of BinaryReader calls: the first byte says how many op bytes follow, the rest is
// the data they read. After each successful call, a BinaryWriter fed the same values must have
// written exactly the bytes the reader consumed.
void reader_script(std::string_view input) {
  rxsync_fuzz::Input in(input);
  const std::string_view ops = in.bytes(24);
  const std::string_view data = in.rest();
  BinaryReader r(data);
  BinaryWriter w;
  for (const char op_char : ops) {
    const auto op = static_cast<std::uint8_t>(op_char);
    const std::size_t before = r.remaining();
    try {
      switch (op % 13) {
        case 0:
          w.put_varint(r.get_varint());
          break;
        case 1:
          w.put_signed(r.get_signed());
          break;
        case 2:
          w.put_u8(r.get_u8());
          break;
        case 3:
          w.put_bool(r.get_bool());
          break;
        case 4:
          w.put_fixed(r.get_fixed<std::uint16_t>());
          break;
        case 5:
          w.put_fixed(r.get_fixed<std::uint32_t>());
          break;
        case 6:
          w.put_fixed(r.get_fixed<std::uint64_t>());
          break;
        case 7:
          w.put_float(r.get_float());
          break;
        case 8:
          w.put_double(r.get_double());
          break;
        case 9: {
          const std::string_view b = r.get_bytes();
          RXSYNC_FUZZ_CHECK(b.size() < before, "get_bytes returned more than was left");
          w.put_bytes(b);
          break;
        }
        case 10: {
          const auto per = static_cast<std::size_t>(op / 13 % 4);  // 0 means 1
          const std::size_t n = r.get_count(per);
          RXSYNC_FUZZ_CHECK(n <= r.remaining() / (per == 0 ? 1 : per),
                            "get_count returned " + std::to_string(n) + " with " +
                                std::to_string(r.remaining()) + " bytes left");
          w.put_varint(n);
          break;
        }
        case 11: {
          const auto n = static_cast<std::size_t>(op / 13);
          w.put_raw(r.get_raw(n));
          break;
        }
        case 12:
          r.expect_tag(op, "fuzz tag");
          w.put_u8(op);
          break;
      }
    } catch (const DecodeError& e) {
      check_decode_error(e);
      RXSYNC_FUZZ_CHECK(r.remaining() <= before, "a failed read moved the reader backwards");
      return;
    }
    RXSYNC_FUZZ_CHECK(r.position() + r.remaining() == data.size(), "reader position is off");
    RXSYNC_FUZZ_CHECK(w.str() == data.substr(0, r.position()),
                      "read " + hex(data.substr(0, r.position())) +
                          " but writing the values gives " + hex(w.str()));
  }
}

struct Decoder {
  std::string_view name;
  void (*run)(std::string_view);
};

using TimePoint = rxsync::TimePoint;
using SystemMillis = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// The selector byte indexes this table; append new decoders at the end so that the committed
// corpus keeps meaning what it meant.
constexpr Decoder decoders[] = {
    {"default_string", &top_level<std::string>},
    {"default_bool", &top_level<bool>},
    {"default_char", &top_level<char>},
    {"default_signed_char", &top_level<signed char>},
    {"default_unsigned_char", &top_level<unsigned char>},
    {"default_char8", &top_level<char8_t>},
    {"default_char16", &top_level<char16_t>},
    {"default_char32", &top_level<char32_t>},
    {"default_wchar", &top_level<wchar_t>},
    {"default_int16", &top_level<std::int16_t>},
    {"default_uint16", &top_level<std::uint16_t>},
    {"default_int32", &top_level<std::int32_t>},
    {"default_uint32", &top_level<std::uint32_t>},
    {"default_int64", &top_level<std::int64_t>},
    {"default_uint64", &top_level<std::uint64_t>},
    {"default_float", &top_level<float>},
    {"default_double", &top_level<double>},
    {"default_long_double", &top_level<long double>},
    {"nested_bool", &nested<bool>},
    {"nested_int8", &nested<std::int8_t>},
    {"nested_uint8", &nested<std::uint8_t>},
    {"nested_int16", &nested<std::int16_t>},
    {"nested_uint16", &nested<std::uint16_t>},
    {"nested_int32", &nested<std::int32_t>},
    {"nested_uint32", &nested<std::uint32_t>},
    {"nested_int64", &nested<std::int64_t>},
    {"nested_uint64", &nested<std::uint64_t>},
    {"nested_float", &nested<float>},
    {"nested_double", &nested<double>},
    {"nested_long_double", &nested<long double>},
    {"nested_string", &nested<std::string>},
    {"nested_enum_u8", &nested<Color>},
    {"nested_enum_i16", &nested<Delta>},
    {"nested_nanoseconds", &nested<std::chrono::nanoseconds>},
    {"nested_milliseconds", &nested<std::chrono::milliseconds>},
    {"nested_minutes", &nested<std::chrono::minutes>},
    {"nested_time_point", &nested<TimePoint>},
    {"nested_system_millis", &nested<SystemMillis>},
    {"nested_optional_int32", &nested<std::optional<std::int32_t>>},
    {"nested_optional_optional_bool", &nested<std::optional<std::optional<bool>>>},
    {"nested_vector_uint8", &nested<std::vector<std::uint8_t>>},
    {"nested_vector_string", &nested<std::vector<std::string>>},
    {"nested_vector_optional_int64", &nested<std::vector<std::optional<std::int64_t>>>},
    {"nested_vector_vector_uint16", &nested<std::vector<std::vector<std::uint16_t>>>},
    {"nested_vector_long_double", &nested<std::vector<long double>>},
    {"nested_pair_uint16_string", &nested<std::pair<std::uint16_t, std::string>>},
    {"nested_pair_double_optional_long_double",
     &nested<std::pair<double, std::optional<long double>>>},
    {"nested_vector_pair_string_milliseconds",
     &nested<std::vector<std::pair<std::string, std::chrono::milliseconds>>>},
    {"nested_optional_vector_pair_int8_bool",
     &nested<std::optional<std::vector<std::pair<std::int8_t, bool>>>>},
    {"reader_script", &reader_script},
};
constexpr std::size_t decoder_count = sizeof(decoders) / sizeof(decoders[0]);
static_assert(decoder_count <= 256, "the selector is one byte");

int run_one(std::string_view input) {
  if (input.empty()) return 0;
  const auto& decoder = decoders[static_cast<std::uint8_t>(input[0]) % decoder_count];
  try {
    decoder.run(input.substr(1));
  } catch (...) {
    rxsync_fuzz::unexpected_exception(decoder.name.data());
  }
  return 0;
}

// ---- seeds -------------------------------------------------------------------------------------

std::string selector(std::string_view name) {
  for (std::size_t i = 0; i < decoder_count; ++i) {
    if (decoders[i].name == name) return std::string(1, static_cast<char>(i));
  }
  rxsync_fuzz::fail(__FILE__, __LINE__, "selector", "no decoder named " + std::string(name));
}

template <class T>
rxsync_fuzz::Seed top_seed(std::string name, const T& v) {
  std::string bytes = selector("default_" + name) + DefaultCodec::encode(v);
  return {std::move(name), std::move(bytes)};
}
template <class T>
rxsync_fuzz::Seed nested_seed(std::string name, const T& v) {
  std::string bytes = selector(name) + rxsync::encode_value(v);
  return {std::move(name), std::move(bytes)};
}

std::vector<rxsync_fuzz::Seed> seeds() {
  using namespace std::chrono_literals;
  using std::numeric_limits;
  std::vector<rxsync_fuzz::Seed> out{
      top_seed("string", std::string("conv/family\0pin", 15)),
      top_seed("bool", true),
      top_seed("char", 'x'),
      top_seed("signed_char", static_cast<signed char>(-7)),
      top_seed("unsigned_char", static_cast<unsigned char>(200)),
      top_seed("char8", u8'z'),
      top_seed("char16", u'\u20ac'),
      top_seed("char32", U'\U0001F600'),
      top_seed("wchar", L'w'),
      top_seed("int16", std::int16_t{-300}),
      top_seed("uint16", std::uint16_t{65535}),
      top_seed("int32", numeric_limits<std::int32_t>::min()),
      top_seed("uint32", std::uint32_t{0xdeadbeef}),
      top_seed("int64", std::int64_t{-1}),
      top_seed("uint64", numeric_limits<std::uint64_t>::max()),
      top_seed("float", -0.0f),
      top_seed("double", numeric_limits<double>::quiet_NaN()),
      top_seed("long_double", 1.0L / 3.0L),
      {"long_double-2", selector("default_long_double") +
                            DefaultCodec::encode(numeric_limits<long double>::denorm_min())},
      {"long_double-3", selector("default_long_double") +
                            DefaultCodec::encode(-numeric_limits<long double>::infinity())},
      nested_seed("nested_bool", false),
      nested_seed("nested_int8", std::int8_t{-128}),
      nested_seed("nested_uint8", std::uint8_t{255}),
      nested_seed("nested_int16", std::int16_t{12345}),
      nested_seed("nested_uint16", std::uint16_t{128}),
      nested_seed("nested_int32", std::int32_t{-64}),
      nested_seed("nested_uint32", numeric_limits<std::uint32_t>::max()),
      nested_seed("nested_int64", numeric_limits<std::int64_t>::min()),
      nested_seed("nested_uint64", numeric_limits<std::uint64_t>::max()),
      nested_seed("nested_float", numeric_limits<float>::infinity()),
      nested_seed("nested_double", 2.5),
      nested_seed("nested_long_double", -1e-4000L),
      nested_seed("nested_string", std::string("hello")),
      nested_seed("nested_enum_u8", Color::blue),
      nested_seed("nested_enum_i16", Delta::down),
      nested_seed("nested_nanoseconds", std::chrono::nanoseconds(-1)),
      nested_seed("nested_milliseconds", std::chrono::milliseconds(1500)),
      nested_seed("nested_minutes", std::chrono::minutes(60)),
      nested_seed("nested_time_point", TimePoint(3s)),
      nested_seed("nested_system_millis", SystemMillis(1700000000000ms)),
      nested_seed("nested_optional_int32", std::optional<std::int32_t>(7)),
      nested_seed("nested_optional_optional_bool",
                  std::optional<std::optional<bool>>(std::optional<bool>())),
      nested_seed("nested_vector_uint8", std::vector<std::uint8_t>{0, 127, 128, 255}),
      nested_seed("nested_vector_string", std::vector<std::string>{"", "a", "bc"}),
      nested_seed("nested_vector_optional_int64",
                  std::vector<std::optional<std::int64_t>>{std::nullopt, -2, 300}),
      nested_seed("nested_vector_vector_uint16",
                  std::vector<std::vector<std::uint16_t>>{{}, {1, 2}, {65535}}),
      nested_seed("nested_vector_long_double", std::vector<long double>{0.0L, -0.0L, 1e300L}),
      nested_seed("nested_pair_uint16_string", std::pair<std::uint16_t, std::string>{9, "nine"}),
      nested_seed("nested_pair_double_optional_long_double",
                  std::pair<double, std::optional<long double>>{0.1, 2.0L}),
      nested_seed(
          "nested_vector_pair_string_milliseconds",
          std::vector<std::pair<std::string, std::chrono::milliseconds>>{{"a", 1ms}, {"b", -2ms}}),
      nested_seed("nested_optional_vector_pair_int8_bool",
                  std::optional<std::vector<std::pair<std::int8_t, bool>>>(
                      std::vector<std::pair<std::int8_t, bool>>{{-1, true}, {1, false}})),
  };
  // A script reading one of each primitive; op n % 13 selects the call.
  {
    BinaryWriter data;
    data.put_varint(300);
    data.put_signed(-5);
    data.put_u8(9);
    data.put_bool(true);
    data.put_fixed(std::uint16_t{1});
    data.put_fixed(std::uint32_t{2});
    data.put_fixed(std::uint64_t{3});
    data.put_float(1.5f);
    data.put_double(-2.5);
    data.put_bytes("abc");
    data.put_varint(2);  // a count
    data.put_raw("xy");
    data.put_u8(12);  // the tag op 12 expects
    const std::string ops{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 + 2 * 13, 12};
    out.push_back({"reader_script",
                   selector("reader_script") + static_cast<char>(ops.size()) + ops + data.str()});
  }
  // Edge cases that must be rejected cleanly.
  out.push_back({"edge-overlong_varint", selector("nested_uint64") + std::string("\x80\x00", 2)});
  out.push_back({"edge-eleven_byte_varint",
                 selector("nested_uint64") + std::string(10, '\xff') + std::string(1, '\x01')});
  out.push_back({"edge-huge_count", selector("nested_vector_string") +
                                        std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f")});
  out.push_back({"edge-bool_2", selector("nested_bool") + std::string(1, '\x02')});
  out.push_back({"edge-int8_out_of_range", selector("nested_int8") + std::string("\x80\x02")});
  out.push_back({"edge-short_int32", selector("default_int32") + std::string("\x01\x02")});
  return out;
}

}  // namespace

RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)
