// Tests for rxsync/net/protocol.hpp: round trips, the exact bytes, version rules, and that no
// malformed input escapes as anything but a ProtocolError.
#include <rxsync/net/protocol.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rxsync_catch.hpp"

namespace net = rxsync::net;
using net::ErrorCode;
using net::Frame;
using net::FrameType;
using net::ProtocolError;

namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kMax32 = std::numeric_limits<std::uint32_t>::max();

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(static_cast<unsigned char>(v)));
  return out;
}

const std::string kBinary("\0\x01\xff\x80 nul\0end", 12);

// One frame of every type, with edge values, plus a few ordinary ones.
std::vector<Frame> sample_frames() {
  std::vector<net::WireChange> many;
  for (std::uint64_t i = 0; i < 300; ++i) {
    many.push_back({"key/" + std::to_string(i), "device-" + std::to_string(i % 3), i * i * 977,
                    net::ValueEncoding::full, std::string(i % 17, static_cast<char>(i))});
  }
  return {
      net::Hello{"phone", 0, "", "", 0},
      net::Hello{"laptop \xe2\x9c\x93", kMax64, "t0k3n", "rxsync-device/0.1", kMax64},
      net::Push{0, {}},
      net::Push{kMax64, {{kBinary, "o", kMax64, net::ValueEncoding::full, kBinary}}},
      net::Push{7, many},
      net::Push{1, {net::WireChange{}, net::WireChange{}}},  // elements of the minimum size
      net::Pull{0, 0, 0, 0},
      net::Pull{kMax64, kMax64, kMax32, kMax32},
      net::Subscribe{""},
      net::Subscribe{"presence/room-1"},
      net::Unsubscribe{"presence/room-1"},
      net::Publish{"chan", "typing", kBinary},
      net::Publish{"", "", ""},
      net::Request{kMax64, "rpc", "sum", kBinary, kMax32},
      net::Request{1, "", "", "", 0},
      net::Reply{kMax64, "sum", "42", false},
      net::Reply{1, "", kBinary, true},
      net::Ping{0},
      net::Ping{kMax64},
      net::Welcome{kMax64, kMax64, "rxsync-server/0.1", kMax32, kMax64, "phone"},
      net::Welcome{0, 0, "", 0, 0, ""},
      net::Ack{0, {}},
      net::Ack{1, {net::PushOutcome{}, net::PushOutcome{}}},
      net::Ack{kMax64,
               {{rxsync::ItemOutcome::ok, ""},
                {rxsync::ItemOutcome::retry, "busy"},
                {rxsync::ItemOutcome::reject, kBinary}}},
      net::Changes{0, {}, 0, false, false},
      net::Changes{1, std::vector<net::PulledChange>(100), 0, false, false},
      net::Changes{
          kMax64,
          {{kBinary, net::ValueEncoding::full, kBinary}, {"", net::ValueEncoding::full, ""}},
          kMax64,
          true,
          true},
      net::Poke{kMax64},
      net::Pong{12345},
      net::Error{0, ErrorCode::unauthorized, "bad token"},
      net::Error{kMax64, ErrorCode::internal, ""},
      net::Message{"chan", "typing", kBinary, "laptop", 0},
      net::Message{"rpc", "sum", "", "", kMax64},
      net::Response{kMax64, "sum", "42", false},
      net::Response{0, "", kBinary, true},
  };
}

std::vector<std::string> sample_encodings() {
  std::vector<std::string> out;
  for (const Frame& f : sample_frames()) out.push_back(net::encode_frame(f));
  return out;
}

// Decodes, requiring a ProtocolError (any other exception fails the test), and returns its code.
ErrorCode refusal_code(std::string_view input, std::size_t max = net::kDefaultMaxFrameSize) {
  try {
    (void)net::decode_frame(input, max);
  } catch (const ProtocolError& e) {
    return e.code;
  }
  FAIL("decode_frame accepted input it should refuse");
  return ErrorCode::internal;
}

std::string refusal_text(std::string_view input) {
  try {
    (void)net::decode_frame(input);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("every frame type round trips, edge values included") {
  const std::vector<Frame> frames = sample_frames();
  std::vector<bool> seen(256, false);
  for (const Frame& f : frames) {
    const std::string wire = net::encode_frame(f);
    REQUIRE(wire.size() >= net::kFrameHeaderSize);
    CHECK(wire.substr(0, 4) == bytes({'R', 'X', 1, 0}));
    CHECK(static_cast<unsigned char>(wire[4]) == static_cast<std::uint8_t>(net::frame_type_of(f)));
    const Frame back = net::decode_frame(wire);
    CHECK(back == f);
    CHECK(net::frame_type_of(back) == net::frame_type_of(f));
    seen[static_cast<std::uint8_t>(net::frame_type_of(f))] = true;
  }
  std::size_t types = 0;
  for (const bool s : seen) types += s ? 1 : 0;
  CHECK(types == std::variant_size_v<Frame>);
}

TEST_CASE("a frame struct encodes alone exactly as through the Frame variant") {
  const net::Pull pull{9, 300, 50, 25000};
  CHECK(net::encode_frame(pull) == net::encode_frame(Frame{pull}));
  static_assert(net::frame_type_of(net::Pull{}) == FrameType::pull);
  static_assert(net::WireFrame<net::Welcome>);
  static_assert(!net::WireFrame<Frame>);
  static_assert(!net::WireFrame<net::WireChange>);
}

TEST_CASE("golden bytes: the wire format does not change by accident") {
  SECTION("Hello") {
    const net::Hello hello{"dev", 300, "", "c/1", 0};
    const std::string expected =
        bytes({'R', 'X', 1, 0, 0x01, 3, 'd', 'e', 'v', 0xac, 0x02, 0, 3, 'c', '/', '1', 0});
    CHECK(net::encode_frame(hello) == expected);
    CHECK(std::get<net::Hello>(net::decode_frame(expected)) == hello);
  }
  SECTION("Push") {
    const net::Push push{5, {{"k", "o", 128, net::ValueEncoding::full, std::string("\0", 1)}}};
    const std::string expected =
        bytes({'R', 'X', 1, 0, 0x02, 5, 1, 1, 'k', 1, 'o', 0x80, 0x01, 0, 1, 0});
    CHECK(net::encode_frame(push) == expected);
  }
  SECTION("Ack") {
    const net::Ack ack{2,
                       {{rxsync::ItemOutcome::ok, ""},
                        {rxsync::ItemOutcome::retry, "x"},
                        {rxsync::ItemOutcome::reject, "no"}}};
    const std::string expected =
        bytes({'R', 'X', 1, 0, 0x82, 2, 3, 0, 0, 1, 1, 'x', 2, 2, 'n', 'o'});
    CHECK(net::encode_frame(ack) == expected);
    CHECK(std::get<net::Ack>(net::decode_frame(expected)) == ack);
  }
  SECTION("Error") {
    const net::Error error{0, ErrorCode::frame_too_large, "big"};
    CHECK(net::encode_frame(error) == bytes({'R', 'X', 1, 0, 0x86, 0, 5, 3, 'b', 'i', 'g'}));
  }
}

TEST_CASE("every truncation of a frame is a bad_frame ProtocolError") {
  for (const std::string& wire : sample_encodings()) {
    // The 300-change Push is long; its head and tail cover the interesting cuts.
    for (std::size_t n = 0; n < wire.size(); ++n) {
      if (wire.size() > 2000 && n > 200 && n + 200 < wire.size()) continue;
      CAPTURE(wire.size(), n);
      CHECK(refusal_code(std::string_view(wire).substr(0, n)) == ErrorCode::bad_frame);
    }
  }
}

TEST_CASE("input that is not a frame is refused as bad_frame") {
  CHECK(refusal_code("") == ErrorCode::bad_frame);
  CHECK(refusal_code("RX") == ErrorCode::bad_frame);
  CHECK(refusal_code(bytes({'R', 'X', 1, 0})) == ErrorCode::bad_frame);
  CHECK(refusal_code("GET / HTTP/1.1\r\n\r\n") == ErrorCode::bad_frame);
  CHECK(refusal_code(bytes({'r', 'x', 1, 0, 0x09, 0})) == ErrorCode::bad_frame);
  CHECK_THAT(refusal_text("{\"json\": true}"), rxsync_test::contains("magic"));
  SECTION("malformed values inside a body") {
    // A bool byte other than 0 or 1.
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, 0x88, 1, 0, 0, 2})) == ErrorCode::bad_frame);
    // A push outcome kind beyond reject.
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, 0x82, 1, 1, 3, 0})) == ErrorCode::bad_frame);
    // A 32-bit field (Pull::limit) given 2^32.
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, 0x03, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0})) ==
          ErrorCode::bad_frame);
    // An overlong (non-canonical) varint.
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, 0x09, 0x80, 0x00})) == ErrorCode::bad_frame);
    // A string length past the end.
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, 0x04, 5, 'a'})) == ErrorCode::bad_frame);
  }
}

TEST_CASE("a huge element count is refused without allocating for it") {
  // Push{request_id 1, 2^62 changes} followed by a few bytes: the count cannot fit.
  const std::string wire = bytes({'R',  'X',  1,    0,    0x02, 1,   0x80, 0x80, 0x80, 0x80, 0x80,
                                  0x80, 0x80, 0x80, 0x40, 1,    'k', 1,    'o',  1,    0,    0});
  CHECK(refusal_code(wire) == ErrorCode::bad_frame);
  CHECK_THAT(refusal_text(wire), rxsync_test::contains("count"));
  // A count that fits the bytes one by one, but not at the minimum size of a change (5 bytes):
  // refused from the count itself, before reserving room for the elements.
  const std::string two_in_five = bytes({'R', 'X', 1, 0, 0x02, 1, 2, 0, 0, 0, 0, 0});
  CHECK(refusal_code(two_in_five) == ErrorCode::bad_frame);
  CHECK_THAT(refusal_text(two_in_five), rxsync_test::contains("element count 2"));
}

TEST_CASE("random bit flips either decode to a canonical frame or throw ProtocolError") {
  std::mt19937_64 rng(20240611);
  const std::vector<std::string> seeds = sample_encodings();
  std::size_t decoded = 0;
  std::size_t refused = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string wire = seeds[rng() % seeds.size()];
    if (wire.size() > 4000) wire.resize(4000);  // keep the loop quick
    const auto flips = 1 + rng() % 4;
    for (std::uint64_t i = 0; i < flips; ++i) {
      // Mostly in the first bytes, where header, counts and lengths live.
      const std::size_t at =
          rng() % 2 == 0 ? rng() % std::min<std::size_t>(wire.size(), 16) : rng() % wire.size();
      wire[at] = static_cast<char>(static_cast<unsigned char>(wire[at]) ^ (1U << (rng() % 8)));
    }
    if (rng() % 4 == 0) wire.resize(rng() % (wire.size() + 1));
    try {
      const Frame f = net::decode_frame(wire);
      const std::string again = net::encode_frame(f);
      REQUIRE(net::decode_frame(again) == f);
      REQUIRE(net::encode_frame(net::decode_frame(again)) == again);
      // Every value has one encoding, so a frame of our own version re-encodes to its input.
      if (static_cast<std::uint8_t>(wire[3]) == net::kProtocolMinor) REQUIRE(again == wire);
      ++decoded;
    } catch (const ProtocolError&) {
      ++refused;
    }
  }
  // Both outcomes occur, so the loop exercises acceptance and refusal alike.
  CHECK(decoded > 100);
  CHECK(refused > 100);
}

TEST_CASE("a newer major version is refused, naming both versions and the fix") {
  std::string wire = net::encode_frame(net::Ping{1});
  wire[2] = 2;
  wire[3] = 7;
  CHECK(refusal_code(wire) == ErrorCode::unsupported_version);
  const std::string text = refusal_text(wire);
  CHECK_THAT(text, rxsync_test::contains("2.7"));
  CHECK_THAT(text, rxsync_test::contains("1.0"));
  CHECK_THAT(text, rxsync_test::contains("upgrade this side"));
  // The version is judged before the type: a newer major may number its frames differently.
  wire[4] = 0x7f;
  CHECK(refusal_code(wire) == ErrorCode::unsupported_version);
}

TEST_CASE("an older major version is refused, asking to upgrade the sender") {
  std::string wire = net::encode_frame(net::Ping{1});
  wire[2] = 0;
  wire[3] = 9;
  CHECK(refusal_code(wire) == ErrorCode::unsupported_version);
  CHECK_THAT(refusal_text(wire), rxsync_test::contains("0.9"));
  CHECK_THAT(refusal_text(wire), rxsync_test::contains("upgrade the sender"));
}

TEST_CASE("a newer minor version is read, ignoring the fields appended to the frame") {
  const net::Welcome welcome{3, 99, "s", 15000, 1 << 20, "phone"};
  std::string wire = net::encode_frame(welcome);
  wire[3] = static_cast<char>(net::kProtocolMinor + 1);
  wire += bytes({0x05, 3, 'n', 'e', 'w', 1});  // say, a features varint, a string and a bool
  CHECK(std::get<net::Welcome>(net::decode_frame(wire)) == welcome);
  CHECK(
      net::read_frame_header(wire) ==
      net::FrameHeader{1, static_cast<std::uint8_t>(net::kProtocolMinor + 1), FrameType::welcome});
  // Fields it does know are still checked.
  wire.resize(wire.size() - 12);
  CHECK(refusal_code(wire) == ErrorCode::bad_frame);
}

TEST_CASE("trailing bytes on a frame of our own minor version are bad_frame") {
  const std::string wire = net::encode_frame(net::Pong{5}) + std::string(1, '\0');
  CHECK(refusal_code(wire) == ErrorCode::bad_frame);
  CHECK_THAT(refusal_text(wire), rxsync_test::contains("trailing"));
}

TEST_CASE("a frame over the size limit is refused before any of it is decoded") {
  const std::string wire = net::encode_frame(net::Publish{"c", "t", std::string(1000, 'x')});
  CHECK(net::decode_frame(wire, wire.size()) ==
        Frame{net::Publish{"c", "t", std::string(1000, 'x')}});
  CHECK(refusal_code(wire, wire.size() - 1) == ErrorCode::frame_too_large);
  // Garbage of that size gets the same answer: nothing was looked at.
  CHECK(refusal_code(std::string(wire.size(), '\xff'), 100) == ErrorCode::frame_too_large);
  CHECK_THAT(refusal_text(std::string(net::kDefaultMaxFrameSize + 1, 'R')),
             rxsync_test::contains("16777216"));
}

TEST_CASE("unknown frame types are refused as unknown_frame") {
  for (const int type : {0x00, 0x0a, 0x7f, 0x80, 0x89, 0xff}) {
    CAPTURE(type);
    CHECK_FALSE(net::is_known_frame_type(static_cast<std::uint8_t>(type)));
    CHECK(refusal_code(bytes({'R', 'X', 1, 0, type, 0})) == ErrorCode::unknown_frame);
  }
  // Even from a newer minor, which may add frame types: the sender must wait to learn ours.
  CHECK(refusal_code(bytes({'R', 'X', 1, 5, 0x0a, 0})) == ErrorCode::unknown_frame);
}

TEST_CASE("unknown change encodings are kept as they are") {
  const auto delta = static_cast<net::ValueEncoding>(0x7f);
  const net::Push push{1, {{"k", "o", 2, delta, "d"}, {"k2", "o", 3, net::ValueEncoding{255}, ""}}};
  const auto back = std::get<net::Push>(net::decode_frame(net::encode_frame(push)));
  CHECK(back.changes.at(0).encoding == delta);
  CHECK(static_cast<int>(back.changes.at(1).encoding) == 255);
  const net::Changes page{1, {{"k", delta, "d"}}, 4, false, false};
  CHECK(std::get<net::Changes>(net::decode_frame(net::encode_frame(page))) == page);
}

TEST_CASE("error codes: names, retryability, and codes from newer peers") {
  CHECK(net::to_string(ErrorCode::bad_frame) == "bad_frame");
  CHECK(net::to_string(ErrorCode::no_responder) == "no_responder");
  CHECK(net::to_string(static_cast<ErrorCode>(1000)) == "unknown");
  CHECK(net::is_retryable(ErrorCode::timeout));
  CHECK(net::is_retryable(ErrorCode::shutting_down));
  CHECK_FALSE(net::is_retryable(ErrorCode::unauthorized));
  CHECK_FALSE(net::is_retryable(ErrorCode::bad_frame));
  const net::Error future{3, static_cast<ErrorCode>(1000), "a code from a newer server"};
  CHECK(std::get<net::Error>(net::decode_frame(net::encode_frame(future))) == future);
}

TEST_CASE("a ProtocolError becomes the Error frame that reports it") {
  try {
    (void)net::decode_frame("nonsense");
    FAIL("nonsense decoded");
  } catch (const ProtocolError& e) {
    const net::Error frame = net::error_frame(e, 42);
    CHECK(frame.request_id == 42);
    CHECK(frame.code == ErrorCode::bad_frame);
    CHECK_THAT(frame.text, rxsync_test::contains("bad_frame"));
    CHECK(net::error_frame(e).request_id == 0);
  }
}

TEST_CASE("frame names and directions") {
  CHECK(net::to_string(FrameType::hello) == "Hello");
  CHECK(net::to_string(FrameType::response) == "Response");
  CHECK(net::to_string(static_cast<FrameType>(0x42)) == "unknown");
  for (const Frame& f : sample_frames()) {
    const FrameType t = net::frame_type_of(f);
    const bool from_server =
        std::holds_alternative<net::Welcome>(f) || std::holds_alternative<net::Ack>(f) ||
        std::holds_alternative<net::Changes>(f) || std::holds_alternative<net::Poke>(f) ||
        std::holds_alternative<net::Pong>(f) || std::holds_alternative<net::Error>(f) ||
        std::holds_alternative<net::Message>(f) || std::holds_alternative<net::Response>(f);
    CHECK(net::direction_of(t) ==
          (from_server ? net::FrameDirection::to_client : net::FrameDirection::to_server));
  }
}
