// rxsync/net/protocol.hpp - the rxsync wire protocol: frames to bytes and back.
//
// A frame is 'R' 'X', the protocol major and minor (one byte each), the frame type (one byte),
// then the frame's fields in the order of its fields() list, written with BinaryWriter: integers
// as varints, strings and bytes length-prefixed, bools as one byte 0/1, vectors as a count and
// their elements. No outer length: one frame is one WebSocket message or one HTTP body.
// decode_frame() never trusts its input: anything malformed or refused is a ProtocolError.
// Std only; docs/net.md has the tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/net/protocol_frames.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// Any of the frame structs (not the Frame variant itself).
template <class T>
concept WireFrame = requires {
  { T::kType } -> std::convertible_to<FrameType>;
} && std::is_constructible_v<Frame, const T&>;

constexpr std::string_view to_string(FrameType t) noexcept {
  switch (t) {
    case FrameType::hello:
      return "Hello";
    case FrameType::push:
      return "Push";
    case FrameType::pull:
      return "Pull";
    case FrameType::subscribe:
      return "Subscribe";
    case FrameType::unsubscribe:
      return "Unsubscribe";
    case FrameType::publish:
      return "Publish";
    case FrameType::request:
      return "Request";
    case FrameType::reply:
      return "Reply";
    case FrameType::ping:
      return "Ping";
    case FrameType::welcome:
      return "Welcome";
    case FrameType::ack:
      return "Ack";
    case FrameType::changes:
      return "Changes";
    case FrameType::poke:
      return "Poke";
    case FrameType::pong:
      return "Pong";
    case FrameType::error:
      return "Error";
    case FrameType::message:
      return "Message";
    case FrameType::response:
      return "Response";
  }
  return "unknown";
}

constexpr bool is_known_frame_type(std::uint8_t byte) noexcept {
  return to_string(static_cast<FrameType>(byte)) != "unknown";
}

template <WireFrame F>
constexpr FrameType frame_type_of(const F&) noexcept {
  return F::kType;
}
inline FrameType frame_type_of(const Frame& frame) noexcept {
  return std::visit([](const auto& f) { return std::decay_t<decltype(f)>::kType; }, frame);
}

// The first kFrameHeaderSize bytes of a frame. `minor` is the sender's: a server learns from
// a client's Hello which minor it speaks, and so which additions it may send it.
struct FrameHeader {
  std::uint8_t major = kProtocolMajor;
  std::uint8_t minor = kProtocolMinor;
  FrameType type = FrameType::hello;

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// Checks, in this order, the size limit, the magic, the major version and the frame type, and
// throws ProtocolError (frame_too_large, bad_frame, unsupported_version, unknown_frame) at the
// first that fails. The size is checked first so an oversized frame costs nothing to refuse.
inline FrameHeader read_frame_header(std::string_view bytes,
                                     std::size_t max_frame_size = kDefaultMaxFrameSize) {
  if (bytes.size() > max_frame_size) {
    throw ProtocolError(ErrorCode::frame_too_large, "frame of " + std::to_string(bytes.size()) +
                                                        " bytes is over the limit of " +
                                                        std::to_string(max_frame_size));
  }
  if (bytes.size() < kFrameHeaderSize) {
    throw ProtocolError(ErrorCode::bad_frame, "frame of " + std::to_string(bytes.size()) +
                                                  " byte(s) is shorter than the " +
                                                  std::to_string(kFrameHeaderSize) +
                                                  "-byte header");
  }
  if (bytes.substr(0, kFrameMagic.size()) != kFrameMagic) {
    throw ProtocolError(ErrorCode::bad_frame,
                        "not an rxsync frame (it does not start with the magic bytes \"RX\")");
  }
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  FrameHeader h{at(2), at(3), static_cast<FrameType>(at(4))};
  if (h.major != kProtocolMajor) {
    const std::string theirs = std::to_string(h.major) + "." + std::to_string(h.minor);
    const std::string ours = std::to_string(kProtocolMajor) + "." + std::to_string(kProtocolMinor);
    throw ProtocolError(
        ErrorCode::unsupported_version,
        h.major > kProtocolMajor
            ? "the frame uses protocol " + theirs + ", newer than this build's " + ours +
                  "; upgrade this side to an rxsync release that speaks protocol " +
                  std::to_string(h.major)
            : "the frame uses protocol " + theirs + ", older than this build's " + ours +
                  "; upgrade the sender to an rxsync release that speaks protocol " +
                  std::to_string(kProtocolMajor));
  }
  if (!is_known_frame_type(at(4))) {
    throw ProtocolError(ErrorCode::unknown_frame, "unknown frame type " + std::to_string(at(4)) +
                                                      " (protocol " + std::to_string(h.major) +
                                                      "." + std::to_string(h.minor) + ")");
  }
  return h;
}

namespace detail {

template <class T>
struct IsWireVector : std::false_type {};
template <class T>
struct IsWireVector<std::vector<T>> : std::true_type {};

// The wire form of one field; `fields()` lists call it for each member in order.
struct FieldWriter {
  BinaryWriter& w;

  void operator()(const std::string& s) const { w.put_bytes(s); }
  void operator()(std::uint64_t v) const { w.put_varint(v); }
  void operator()(std::uint32_t v) const { w.put_varint(v); }
  void operator()(bool v) const { w.put_bool(v); }
  void operator()(ValueEncoding e) const { w.put_u8(static_cast<std::uint8_t>(e)); }
  void operator()(ErrorCode c) const { w.put_varint(static_cast<std::uint32_t>(c)); }
  void operator()(ItemOutcome o) const {
    // Spelled out: the wire values must not follow a reordering of the enum.
    w.put_u8(o == ItemOutcome::ok ? 0 : o == ItemOutcome::retry ? 1 : 2);
  }
  template <class E>
  void operator()(const std::vector<E>& v) const {
    w.put_varint(v.size());
    for (const E& e : v) E::fields(e, *this);
  }
};

struct FieldReader {
  BinaryReader& r;

  void operator()(std::string& s) const { s = r.get_string(); }
  void operator()(std::uint64_t& v) const { v = r.get_varint(); }
  void operator()(std::uint32_t& v) const {
    const std::uint64_t got = r.get_varint();
    if (got > std::numeric_limits<std::uint32_t>::max()) {
      r.fail("value " + std::to_string(got) + " does not fit the 32-bit field");
    }
    v = static_cast<std::uint32_t>(got);
  }
  void operator()(bool& v) const { v = r.get_bool(); }
  // Every encoding byte is kept: a newer peer's encodings pass through to whoever judges them.
  void operator()(ValueEncoding& e) const { e = static_cast<ValueEncoding>(r.get_u8()); }
  void operator()(ErrorCode& c) const {
    const std::uint64_t got = r.get_varint();
    if (got > std::numeric_limits<std::uint32_t>::max()) {
      r.fail("error code " + std::to_string(got) + " does not fit 32 bits");
    }
    c = static_cast<ErrorCode>(got);
  }
  void operator()(ItemOutcome& o) const {
    const std::uint8_t b = r.get_u8();
    if (b > 2)
      r.fail("push outcome must be 0 (ok), 1 (retry) or 2 (reject), got " + std::to_string(b));
    o = b == 0 ? ItemOutcome::ok : b == 1 ? ItemOutcome::retry : ItemOutcome::reject;
  }
  template <class E>
  void operator()(std::vector<E>& v) const {
    const std::size_t n = r.get_count(E::kMinWireSize);
    v.clear();
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) E::fields(v.emplace_back(), *this);
  }
};

inline void put_header(BinaryWriter& w, FrameType type) {
  w.put_raw(kFrameMagic);
  w.put_u8(kProtocolMajor);
  w.put_u8(kProtocolMinor);
  w.put_u8(static_cast<std::uint8_t>(type));
}

template <std::size_t I = 0>
Frame read_body(FrameType type, BinaryReader& r) {
  if constexpr (I < std::variant_size_v<Frame>) {
    using F = std::variant_alternative_t<I, Frame>;
    if (F::kType != type) return read_body<I + 1>(type, r);
    F frame{};
    F::fields(frame, FieldReader{r});
    return Frame(std::in_place_index<I>, std::move(frame));
  } else {
    // read_frame_header() lets only known types through, and each has an alternative.
    r.fail("no decoder for frame type " + std::to_string(static_cast<unsigned>(type)));
  }
}

}  // namespace detail

template <WireFrame F>
std::string encode_frame(const F& frame) {
  BinaryWriter w;
  detail::put_header(w, F::kType);
  F::fields(frame, detail::FieldWriter{w});
  return std::move(w).take();
}

inline std::string encode_frame(const Frame& frame) {
  return std::visit([](const auto& f) { return encode_frame(f); }, frame);
}

// Decodes one whole frame. Throws ProtocolError, and nothing else, for anything it refuses:
// over max_frame_size (before reading any of it), a bad header (read_frame_header()), a
// truncated or malformed body, or trailing bytes, unless the frame's minor version is newer
// than ours: then they are fields this build does not know and are ignored. Allocates at most
// about the size of the input.
inline Frame decode_frame(std::string_view bytes,
                          std::size_t max_frame_size = kDefaultMaxFrameSize) {
  const FrameHeader h = read_frame_header(bytes, max_frame_size);
  const std::string_view body = bytes.substr(kFrameHeaderSize);
  BinaryReader r(body);
  try {
    Frame frame = detail::read_body(h.type, r);
    if (!r.at_end() && h.minor <= kProtocolMinor) {
      throw ProtocolError(ErrorCode::bad_frame,
                          std::to_string(r.remaining()) + " trailing byte(s) after a " +
                              std::string(to_string(h.type)) + " frame of protocol " +
                              std::to_string(h.major) + "." + std::to_string(h.minor));
    }
    return frame;
  } catch (const DecodeError& e) {
    std::string_view why = e.what();
    if (why.starts_with("rxsync: ")) why.remove_prefix(8);  // ProtocolError says it already
    throw ProtocolError(ErrorCode::bad_frame,
                        std::string(to_string(h.type)) + " frame body: " + std::string(why));
  }
}

// The Error frame that reports `e` to the peer; request_id 0 refers to the connection.
inline Error error_frame(const ProtocolError& e, std::uint64_t request_id = 0) {
  return Error{request_id, e.code, e.what()};
}

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
