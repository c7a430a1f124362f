// rxsync/net/net_transport_options.hpp - what a NetTransport is configured with and what it
// reports: server URLs, the transport mode, reconnect, heartbeat and TLS settings, connection
// states.
//
// Std only (the Beast part is in net_transport.hpp), so an app can build and validate options
// and show connection states without pulling Boost into every file. Plain value types.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rxsync/core/time.hpp>
#include <rxsync/net/protocol_frames.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// How the transport talks to the server. websocket: one connection for everything (pushes,
// pulls, pokes, channels). sse: Server-Sent Events for pokes, HTTP requests for pushes and
// pulls. long_poll: a held HTTP request (/v1/head) for pokes, HTTP for the rest. poll: HTTP
// requests only; the sync service's adaptive poller decides when to pull.
enum class TransportMode { websocket, sse, long_poll, poll };

inline const char* to_string(TransportMode m) noexcept {
  switch (m) {
    case TransportMode::websocket:
      return "websocket";
    case TransportMode::sse:
      return "sse";
    case TransportMode::long_poll:
      return "long-poll";
    case TransportMode::poll:
      return "poll";
  }
  return "?";
}

// "websocket", "sse", "long-poll" (or "long_poll"), "poll"; throws std::invalid_argument naming
// the value otherwise.
inline TransportMode parse_transport_mode(std::string_view s) {
  if (s == "websocket") return TransportMode::websocket;
  if (s == "sse") return TransportMode::sse;
  if (s == "long-poll" || s == "long_poll") return TransportMode::long_poll;
  if (s == "poll") return TransportMode::poll;
  throw std::invalid_argument("transport mode must be websocket, sse, long-poll or poll, got '" +
                              std::string(s) + "'");
}

// A server address: ws://HOST:PORT or http://HOST:PORT, and over TLS wss://HOST:PORT or
// https://HOST:PORT. The mode decides what is used on it (ws and http mean the same server, as do
// wss and https); a path, if any, is ignored. The port defaults to 80, or 443 with TLS.
struct ServerUrl {
  std::string scheme;  // "ws", "http", "wss" or "https"
  std::string host;
  std::uint16_t port = 0;
  std::string text;  // as given, for logs and errors

  bool tls() const noexcept { return scheme == "wss" || scheme == "https"; }
  friend bool operator==(const ServerUrl&, const ServerUrl&) = default;
};

// Throws std::invalid_argument naming the URL and what is wrong with it. Parses TLS URLs in
// every build: whether this build can connect to them is NetTransport's to say.
// "host:port" as a Host header wants it (an IPv6 address in brackets).
inline std::string host_and_port(const ServerUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

inline ServerUrl parse_server_url(std::string_view url) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("server URL '" + std::string(url) + "' " + why +
                                 " (expected ws://, wss://, http:// or https:// HOST:PORT)");
  };
  ServerUrl out;
  out.text = std::string(url);
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) throw bad("has no scheme");
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme != "ws" && out.scheme != "http" && !out.tls()) throw bad("has an unknown scheme");
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw bad("has an unclosed '['");
    out.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') throw bad("has junk after the host");
    port_text = rest.empty() ? std::string_view() : rest.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    port_text = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  if (out.host.empty()) throw bad("has no host");
  if (port_text.empty()) {
    out.port = out.tls() ? 443 : 80;
  } else {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) throw bad("has a bad port");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) throw bad("has a bad port");
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

enum class ConnectionState {
  connecting,    // the first connection attempt (or a new one after stop/start)
  online,        // connected, greeted (websocket: Welcome; HTTP modes: the server answered)
  reconnecting,  // lost or never reached; waiting out a backoff delay or retrying
  offline        // stopped, or out of reconnect attempts
};

inline const char* to_string(ConnectionState s) noexcept {
  switch (s) {
    case ConnectionState::connecting:
      return "connecting";
    case ConnectionState::online:
      return "online";
    case ConnectionState::reconnecting:
      return "reconnecting";
    case ConnectionState::offline:
      return "offline";
  }
  return "?";
}

struct ConnectionStatus {
  ConnectionState state = ConnectionState::connecting;
  std::uint32_t attempt = 0;  // failed attempts since the last time online
  std::string last_error;     // why the last attempt failed, or why the connection was lost
  std::string server;         // the URL in use (or last tried)
  TransportMode mode = TransportMode::websocket;  // the mode in use (after a fallback: sse)
  std::uint64_t epoch = 0;                        // the server's epoch (websocket: from Welcome)

  friend bool operator==(const ConnectionStatus&, const ConnectionStatus&) = default;
};

struct NetTransportOptions {
  std::vector<std::string> servers;  // tried in order: failover to the next when one fails
  std::string origin;                // this device's id, sent in Hello and X-Rxsync-Origin
  TransportMode mode = TransportMode::websocket;
  // When the WebSocket upgrade is refused (a proxy that does not pass it), use SSE + HTTP on
  // that server instead.
  bool fallback_to_sse = true;
  // Delays between reconnect rounds (each round tries every server once). max_retries is not
  // used; max_reconnect_attempts bounds the rounds (0: forever).
  BackoffOptions reconnect{
      std::chrono::milliseconds(250), 2.0, std::chrono::seconds(30), 10, Jitter::full, 0.2};
  std::size_t max_reconnect_attempts = 0;
  // Called at every connect for the bearer token (so an expired token is replaced by a fresh
  // one); empty: no token.
  std::function<std::string()> token;
  // A ping every heartbeat; a server silent for two heartbeats is taken for gone (a half-open
  // connection behind a load balancer is noticed within that time).
  Duration heartbeat = std::chrono::seconds(10);
  // A push, pull or request without an answer after this long fails (a push then reports that
  // the batch got no answer: it is retried, it never hangs).
  Duration request_timeout = std::chrono::seconds(10);
  Duration connect_timeout = std::chrono::seconds(5);
  std::size_t max_frame = kDefaultMaxFrameSize;
  std::uint32_t pull_limit = 0;  // changes per pull page (0: the server's default)
  Duration long_poll_wait = std::chrono::seconds(25);
  std::string client_name = "rxsync-net";
  // wss:// and https:// only. Checks that the server's certificate chains to a trusted CA (the
  // system's store, plus tls_ca_file) and names the host of the URL (SNI carries the name).
  // false accepts any certificate, so anyone on the path can read and change the traffic: for
  // tests and development against a self-signed certificate only. Prefer tls_ca_file there.
  bool tls_verify_peer = true;
  // A PEM file of CA certificates to trust in addition to the system's (a private CA, or a
  // server's self-signed certificate); empty: the system's store only.
  std::string tls_ca_file;
};

inline void validate_net_transport_options(const NetTransportOptions& o) {
  auto ms = [](Duration d) { return rxsync::detail::duration_text(d); };
  if (o.servers.empty())
    throw std::invalid_argument("NetTransportOptions.servers must name at least one server");
  for (const auto& s : o.servers) (void)parse_server_url(s);
  if (o.origin.empty()) throw std::invalid_argument("NetTransportOptions.origin must not be empty");
  if (o.heartbeat <= Duration::zero())
    throw std::invalid_argument("NetTransportOptions.heartbeat must be > 0, got " +
                                ms(o.heartbeat));
  if (o.request_timeout <= Duration::zero()) {
    throw std::invalid_argument("NetTransportOptions.request_timeout must be > 0, got " +
                                ms(o.request_timeout));
  }
  if (o.connect_timeout <= Duration::zero()) {
    throw std::invalid_argument("NetTransportOptions.connect_timeout must be > 0, got " +
                                ms(o.connect_timeout));
  }
  if (o.long_poll_wait < Duration::zero()) {
    throw std::invalid_argument("NetTransportOptions.long_poll_wait must be >= 0, got " +
                                ms(o.long_poll_wait));
  }
  if (o.max_frame < 1024) {
    throw std::invalid_argument("NetTransportOptions.max_frame must be >= 1024, got " +
                                std::to_string(o.max_frame));
  }
  if (!o.tls_ca_file.empty() && !std::ifstream(o.tls_ca_file)) {
    throw std::invalid_argument("NetTransportOptions.tls_ca_file: cannot read '" + o.tls_ca_file +
                                "'");
  }
  validate_backoff_options(o.reconnect);
}

// A message on a channel (a Publish by another client, or a Request to answer with reply()).
struct ChannelMessage {
  std::string channel;
  std::string type;
  std::string payload;
  std::string from;               // the sender's origin
  std::uint64_t request_ref = 0;  // non-zero: a request; answer with NetTransport::reply()

  friend bool operator==(const ChannelMessage&, const ChannelMessage&) = default;
};

// The answer to NetTransport::request().
struct ChannelReply {
  std::string type;
  std::string payload;
  bool is_error = false;  // the responder answered with an error

  friend bool operator==(const ChannelReply&, const ChannelReply&) = default;
};

// How a request failed: timeout, no responder, not connected, or the server's error.
struct RequestError : std::runtime_error {
  RequestError(ErrorCode c, const std::string& what) : std::runtime_error(what), code(c) {}
  ErrorCode code;
};

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
