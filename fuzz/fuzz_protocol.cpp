// libFuzzer target for rxsync/net/protocol.hpp: decode_frame() on arbitrary bytes must either
// throw ProtocolError (any other exception escapes and is reported as a crash) or give a frame
// that re-encodes to bytes decoding to the same frame. A frame of our own version must re-encode
// to exactly the input: every value has one encoding, so frames can be compared as bytes.
//
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -Iinclude fuzz/fuzz_protocol.cpp
#include <rxsync/net/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "fuzz_protocol: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace net = rxsync::net;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  net::Frame frame;
  try {
    frame = net::decode_frame(input);
  } catch (const net::ProtocolError&) {
    return 0;
  }
  const std::string again = net::encode_frame(frame);
  net::Frame round_trip;
  try {
    round_trip = net::decode_frame(again);
  } catch (const net::ProtocolError&) {
    mismatch("a decoded frame re-encodes to bytes that do not decode");
  }
  if (!(round_trip == frame)) mismatch("a re-encoded frame decodes to a different frame");
  if (net::frame_type_of(frame) != static_cast<net::FrameType>(data[4])) {
    mismatch("the decoded frame's type is not the header's");
  }
  if (data[3] == net::kProtocolMinor && again != input) {
    mismatch("a frame of our version re-encodes to different bytes");
  }
  return 0;
}
