// rxsync/net/protocol_frames.hpp - the frames of the rxsync wire protocol, as plain structs.
//
// One frame is one WebSocket binary message or one HTTP body. <rxsync/net/protocol.hpp> turns
// frames into bytes and back; docs/net.md describes the format. Std only, and never included by
// <rxsync/rxsync.hpp>: programs that do not talk to a server do not pay for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <rxsync/sync/batch_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// The version this build writes. A peer with another major is refused; a newer minor only ever
// appends fields at the end of a frame body (or adds frame types), so it is read, ignoring them.
inline constexpr std::uint8_t kProtocolMajor = 1;
inline constexpr std::uint8_t kProtocolMinor = 0;

// 'R' 'X', major, minor, frame type: every frame starts with these 5 bytes.
inline constexpr std::string_view kFrameMagic = "RX";
inline constexpr std::size_t kFrameHeaderSize = 5;

// Larger frames are refused before anything is decoded (a peer announces its own limit in
// Welcome::max_frame).
inline constexpr std::size_t kDefaultMaxFrameSize = std::size_t{16} << 20;

// The frame type byte. Client-to-server frames have the high bit clear, server-to-client frames
// have it set, so a frame sent the wrong way is recognised from its first byte after the version.
enum class FrameType : std::uint8_t {
  hello = 0x01,
  push = 0x02,
  pull = 0x03,
  subscribe = 0x04,
  unsubscribe = 0x05,
  publish = 0x06,
  request = 0x07,
  reply = 0x08,
  ping = 0x09,
  welcome = 0x81,
  ack = 0x82,
  changes = 0x83,
  poke = 0x84,
  pong = 0x85,
  error = 0x86,
  message = 0x87,
  response = 0x88,
};

enum class FrameDirection { to_server, to_client };

constexpr FrameDirection direction_of(FrameType t) noexcept {
  return (static_cast<std::uint8_t>(t) & 0x80U) != 0 ? FrameDirection::to_client
                                                     : FrameDirection::to_server;
}

// Why a frame or a request was refused, carried by Error frames (as a varint) and ProtocolError.
// Codes this build does not know are kept as they are (to_string() says "unknown"), so a newer
// peer's error is still reported.
enum class ErrorCode : std::uint32_t {
  bad_frame = 1,            // malformed bytes: truncated, bad magic, trailing bytes, bad value
  unsupported_version = 2,  // the frame's major protocol version is not this build's
  unauthorized = 3,         // missing or invalid token
  forbidden_origin = 4,     // the token is valid but not for the origin in Hello
  frame_too_large = 5,      // over the receiver's size limit; nothing of it was decoded
  unknown_frame = 6,        // a frame type this build does not know
  bad_request = 7,          // well-formed but not allowed here (Push before Hello, wrong direction)
  no_responder = 8,         // a Request to a channel nobody answers for
  timeout = 9,              // a Request was not answered within its timeout_ms
  shutting_down = 10,       // the server is stopping; reconnect (to another server) later
  overloaded = 11,          // the server sheds load; retry after a backoff
  internal = 12,            // the server failed (its storage, a bug); retry after a backoff
};

constexpr std::string_view to_string(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::bad_frame:
      return "bad_frame";
    case ErrorCode::unsupported_version:
      return "unsupported_version";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden_origin:
      return "forbidden_origin";
    case ErrorCode::frame_too_large:
      return "frame_too_large";
    case ErrorCode::unknown_frame:
      return "unknown_frame";
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::no_responder:
      return "no_responder";
    case ErrorCode::timeout:
      return "timeout";
    case ErrorCode::shutting_down:
      return "shutting_down";
    case ErrorCode::overloaded:
      return "overloaded";
    case ErrorCode::internal:
      return "internal";
  }
  return "unknown";
}

// Whether the same request may succeed later unchanged. The other codes need a change first
// (an upgrade, a token, a smaller frame, a fixed client).
constexpr bool is_retryable(ErrorCode c) noexcept {
  return c == ErrorCode::no_responder || c == ErrorCode::timeout || c == ErrorCode::shutting_down ||
         c == ErrorCode::overloaded || c == ErrorCode::internal;
}

// Thrown by decode_frame() for every malformed or refused input, and by nothing else there.
// error_frame() turns it into the Error frame to send back.
struct ProtocolError : std::runtime_error {
  ProtocolError(ErrorCode error_code, const std::string& why)
      : std::runtime_error("rxsync protocol: " + std::string(to_string(error_code)) + ": " + why),
        code(error_code) {}
  ErrorCode code;
};

// How a change's value bytes are to be read. Only `full` (the whole value, in the codec of the
// key's type) exists today; other values are reserved for delta encodings. Decoders keep any
// value as it is, and a server refuses, per change, encodings it does not know, so a newer
// client's delta is never mistaken for a full value.
enum class ValueEncoding : std::uint8_t { full = 0 };

// The structs below are plain value types (no thread-safety concerns). Each lists its fields once,
// in wire order, in fields(); the codec in protocol.hpp walks that list both ways, so encoder and
// decoder cannot disagree. kMinWireSize (elements only) is the smallest encoding, which bounds a
// count by the bytes left.

// One pushed change: (key, origin, version) identifies it, as in rxsync::Change.
struct WireChange {
  std::string key;     // the encoded key (bytes)
  std::string origin;  // the device that made the change
  std::uint64_t version = 0;
  ValueEncoding encoding = ValueEncoding::full;
  std::string value;  // the encoded value (bytes), read according to `encoding`

  static constexpr std::size_t kMinWireSize = 5;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.key), f(s.origin), f(s.version), f(s.encoding), f(s.value);
  }
  friend bool operator==(const WireChange&, const WireChange&) = default;
};

// One key of a pulled page, with the server's current value.
struct PulledChange {
  std::string key;
  ValueEncoding encoding = ValueEncoding::full;
  std::string value;

  static constexpr std::size_t kMinWireSize = 3;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.key), f(s.encoding), f(s.value);
  }
  friend bool operator==(const PulledChange&, const PulledChange&) = default;
};

// The server's answer for one pushed change. On the wire: 0 ok, 1 retry, 2 reject.
struct PushOutcome {
  ItemOutcome kind = ItemOutcome::ok;
  std::string reason;  // empty for ok; why, for retry and reject

  static constexpr std::size_t kMinWireSize = 2;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.kind), f(s.reason);
  }
  friend bool operator==(const PushOutcome&, const PushOutcome&) = default;
};

// ---- client -> server ------------------------------------------------------------------------

// First frame of a connection (and of every HTTP request's session).
struct Hello {
  static constexpr FrameType kType = FrameType::hello;
  std::string origin;          // the device's stable id
  std::uint64_t cursor = 0;    // opaque server position already pulled; 0 = from the start
  std::string token;           // credentials; may be empty (anonymous servers)
  std::string client;          // name/version, for the server's logs
  std::uint64_t features = 0;  // bit set of optional features; none are defined yet

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.origin), f(s.cursor), f(s.token), f(s.client), f(s.features);
  }
  friend bool operator==(const Hello&, const Hello&) = default;
};

// Changes to apply; answered by an Ack with the same request_id.
struct Push {
  static constexpr FrameType kType = FrameType::push;
  std::uint64_t request_id = 0;
  std::vector<WireChange> changes;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.changes);
  }
  friend bool operator==(const Push&, const Push&) = default;
};

// Asks for what changed since `cursor`; answered by Changes with the same request_id.
struct Pull {
  static constexpr FrameType kType = FrameType::pull;
  std::uint64_t request_id = 0;
  std::uint64_t cursor = 0;
  std::uint32_t limit = 0;    // most changes per page; 0 = the server's default
  std::uint32_t wait_ms = 0;  // long poll: how long the server may hold it when nothing is new

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.cursor), f(s.limit), f(s.wait_ms);
  }
  friend bool operator==(const Pull&, const Pull&) = default;
};

struct Subscribe {
  static constexpr FrameType kType = FrameType::subscribe;
  std::string channel;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.channel);
  }
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

struct Unsubscribe {
  static constexpr FrameType kType = FrameType::unsubscribe;
  std::string channel;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.channel);
  }
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

// Fan-out: every subscriber of the channel gets a Message with request_ref 0.
struct Publish {
  static constexpr FrameType kType = FrameType::publish;
  std::string channel;
  std::string type;     // application-defined message type
  std::string payload;  // bytes

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.channel), f(s.type), f(s.payload);
  }
  friend bool operator==(const Publish&, const Publish&) = default;
};

// Delivered to one subscriber of the channel (or answered by the server for its own channels);
// the answer, or an Error (no_responder, timeout), comes back with the same request_id.
struct Request {
  static constexpr FrameType kType = FrameType::request;
  std::uint64_t request_id = 0;
  std::string channel;
  std::string type;
  std::string payload;
  std::uint32_t timeout_ms = 0;  // 0 = the server's default

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.channel), f(s.type), f(s.payload), f(s.timeout_ms);
  }
  friend bool operator==(const Request&, const Request&) = default;
};

// A subscriber's answer to a Message that carried a request_ref.
struct Reply {
  static constexpr FrameType kType = FrameType::reply;
  std::uint64_t request_ref = 0;  // Message::request_ref, the server's id for the request
  std::string type;
  std::string payload;
  bool is_error = false;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_ref), f(s.type), f(s.payload), f(s.is_error);
  }
  friend bool operator==(const Reply&, const Reply&) = default;
};

struct Ping {
  static constexpr FrameType kType = FrameType::ping;
  std::uint64_t nonce = 0;  // echoed by Pong

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.nonce);
  }
  friend bool operator==(const Ping&, const Ping&) = default;
};

// ---- server -> client ------------------------------------------------------------------------

// The answer to Hello.
struct Welcome {
  static constexpr FrameType kType = FrameType::welcome;
  std::uint64_t epoch = 0;         // the server's data epoch; cursors of another epoch are reset
  std::uint64_t head = 0;          // the server's current cursor
  std::string server;              // name/version, for the client's logs
  std::uint32_t heartbeat_ms = 0;  // Ping at least this often; 0 = no heartbeat expected
  std::uint64_t max_frame = 0;     // the largest frame the server accepts
  std::string origin;              // the origin the server accepted for this connection

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.epoch), f(s.head), f(s.server), f(s.heartbeat_ms), f(s.max_frame), f(s.origin);
  }
  friend bool operator==(const Welcome&, const Welcome&) = default;
};

// One outcome per pushed change, in the order of Push::changes.
struct Ack {
  static constexpr FrameType kType = FrameType::ack;
  std::uint64_t request_id = 0;
  std::vector<PushOutcome> outcomes;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.outcomes);
  }
  friend bool operator==(const Ack&, const Ack&) = default;
};

// A page of the answer to Pull.
struct Changes {
  static constexpr FrameType kType = FrameType::changes;
  std::uint64_t request_id = 0;
  std::vector<PulledChange> changes;
  std::uint64_t next_cursor = 0;  // pull from here next time
  bool more = false;              // another page is ready now
  bool reset = false;  // the cursor was of another epoch: this page starts from the beginning,
                       // and the client should push its local state again

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.changes), f(s.next_cursor), f(s.more), f(s.reset);
  }
  friend bool operator==(const Changes&, const Changes&) = default;
};

// "Something new up to `head`": the client pulls when its cursor is behind.
struct Poke {
  static constexpr FrameType kType = FrameType::poke;
  std::uint64_t head = 0;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.head);
  }
  friend bool operator==(const Poke&, const Poke&) = default;
};

struct Pong {
  static constexpr FrameType kType = FrameType::pong;
  std::uint64_t nonce = 0;  // Ping::nonce

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.nonce);
  }
  friend bool operator==(const Pong&, const Pong&) = default;
};

struct Error {
  static constexpr FrameType kType = FrameType::error;
  std::uint64_t request_id = 0;  // the request refused; 0 = the connection as a whole
  ErrorCode code = ErrorCode::internal;
  std::string text;  // for people and logs, not for parsing

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.code), f(s.text);
  }
  friend bool operator==(const Error&, const Error&) = default;
};

// A Publish (request_ref 0) or a Request (request_ref != 0: answer it with a Reply) delivered
// to a subscriber of the channel.
struct Message {
  static constexpr FrameType kType = FrameType::message;
  std::string channel;
  std::string type;
  std::string payload;
  std::string from;  // the sender's origin
  std::uint64_t request_ref = 0;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.channel), f(s.type), f(s.payload), f(s.from), f(s.request_ref);
  }
  friend bool operator==(const Message&, const Message&) = default;
};

// The answer to a Request.
struct Response {
  static constexpr FrameType kType = FrameType::response;
  std::uint64_t request_id = 0;
  std::string type;
  std::string payload;
  bool is_error = false;  // the responder reported a failure; payload says what

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f(s.request_id), f(s.type), f(s.payload), f(s.is_error);
  }
  friend bool operator==(const Response&, const Response&) = default;
};

using Frame = std::variant<Hello, Push, Pull, Subscribe, Unsubscribe, Publish, Request, Reply, Ping,
                           Welcome, Ack, Changes, Poke, Pong, Error, Message, Response>;

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
