// libFuzzer target for rxsync/net/protocol.hpp: decode_frame() on arbitrary bytes must either
// throw ProtocolError (any other exception is a finding) or give a frame that re-encodes to
// bytes decoding to the same frame. A frame of our own version must re-encode to exactly the
// input: every value has one encoding, so frames can be compared as bytes.
#include <rxsync/net/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

namespace net = rxsync::net;

void run_one(std::string_view input) {
  net::Frame frame;
  try {
    frame = net::decode_frame(input, 1 << 20);
  } catch (const net::ProtocolError&) {
    return;
  } catch (...) {
    rxsync_fuzz::unexpected_exception("decode_frame");
  }
  const std::string again = net::encode_frame(frame);
  net::Frame round_trip;
  try {
    round_trip = net::decode_frame(again, 1 << 20);
  } catch (...) {
    rxsync_fuzz::fail(
        __FILE__, __LINE__, "decode(encode(frame))",
        "a decoded frame re-encodes to bytes that do not decode: " + rxsync_fuzz::hex(again));
  }
  RXSYNC_FUZZ_CHECK(round_trip == frame, "a re-encoded frame decodes to a different frame");
  RXSYNC_FUZZ_CHECK(
      static_cast<std::uint8_t>(net::frame_type_of(frame)) == static_cast<std::uint8_t>(input[4]),
      "the decoded frame's type is not the header's");
  if (static_cast<std::uint8_t>(input[3]) == net::kProtocolMinor) {
    RXSYNC_FUZZ_CHECK(again == input, "a frame of our version re-encodes to other bytes: " +
                                          rxsync_fuzz::hex(again));
  }
}

std::vector<rxsync_fuzz::Seed> seeds() {
  std::vector<net::Frame> frames{
      net::Hello{"phone", 42, "token", "rxsync-test", 0},
      net::Push{7,
                {net::WireChange{"conv/a", "phone", 3, net::ValueEncoding::full, "value"},
                 net::WireChange{std::string("k\0", 2), "o", 1, net::ValueEncoding::full, ""}}},
      net::Pull{8, 123456789, 100, 25000},
      net::Subscribe{"typing"},
      net::Unsubscribe{"typing"},
      net::Publish{"typing", "start", "x"},
      net::Request{9, "status", "get", "", 1000},
      net::Reply{3, "ok", "payload", false},
      net::Ping{1},
      net::Welcome{99, 12, "rxsync-server", 10000, 1 << 24, "phone"},
      net::Ack{7,
               {net::PushOutcome{rxsync::ItemOutcome::ok, ""},
                net::PushOutcome{rxsync::ItemOutcome::reject, "no"}}},
      net::Changes{8, {net::PulledChange{"k", net::ValueEncoding::full, "v"}}, 13, true, false},
      net::Poke{13},
      net::Pong{1},
      net::Error{0, net::ErrorCode::unauthorized, "bad token"},
      net::Message{"typing", "start", "x", "laptop", 0},
      net::Response{9, "ok", "{}", false},
  };
  std::vector<rxsync_fuzz::Seed> out;
  for (const auto& f : frames) {
    out.push_back({std::string(net::to_string(net::frame_type_of(f))), net::encode_frame(f)});
  }
  return out;
}

}  // namespace

RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)
