// rxsync/net/server_options.hpp - how a SyncServer listens (plain or TLS), whom it lets in, and
// what it logs.
//
// ServerOptions is a plain value type (not thread-safe to mutate while shared); SyncServer copies
// it and checks it with validate_server_options(). The log callback it holds is called
// concurrently from the server's threads, so it must be thread-safe (log_to_stderr() is).
// Std only: a program can read its configuration without compiling Boost.Beast.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <istream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rxsync/net/protocol_frames.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// One connection event, for the server's log. `peer` is "address:port"; `origin` is empty until
// the client said who it is; `transport` is "websocket", "sse" or "http".
struct ServerLogEvent {
  enum class Kind { connected, disconnected, refused, protocol_error, info };
  Kind kind = Kind::info;
  std::string transport;
  std::string peer;
  std::string origin;
  std::string reason;
};

constexpr std::string_view to_string(ServerLogEvent::Kind k) noexcept {
  switch (k) {
    case ServerLogEvent::Kind::connected:
      return "connect";
    case ServerLogEvent::Kind::disconnected:
      return "disconnect";
    case ServerLogEvent::Kind::refused:
      return "refused";
    case ServerLogEvent::Kind::protocol_error:
      return "protocol-error";
    case ServerLogEvent::Kind::info:
      return "info";
  }
  return "unknown";
}

// "connect websocket 127.0.0.1:50312 origin=phone: ..." - one line, no newline.
inline std::string format_log_event(const ServerLogEvent& e) {
  std::string line(to_string(e.kind));
  if (!e.transport.empty()) line += " " + e.transport;
  if (!e.peer.empty()) line += " " + e.peer;
  if (!e.origin.empty()) line += " origin=" + e.origin;
  if (!e.reason.empty()) line += ": " + e.reason;
  return line;
}

// The default log: one line per event on stderr, prefixed "rxsync-server: ". Lines from several
// threads never interleave.
inline void log_to_stderr(const ServerLogEvent& e) {
  static std::mutex mutex;
  const std::string line = "rxsync-server: " + format_log_event(e) + "\n";
  std::lock_guard lock(mutex);
  std::cerr << line << std::flush;
}

// What a SyncServer listens on, whom it lets in, and its limits. A plain value, copied by the
// SyncServer (which validates it); the `log` function it holds must be thread-safe.
struct ServerOptions {
  std::string host = "127.0.0.1";  // an address or a name to resolve; "0.0.0.0" or "::" for all
  std::uint16_t port = 0;          // 0: any free port (SyncServer::port() tells which)
  // token -> the one origin that token may speak for. Empty with allow_anonymous false is an
  // error: nobody could connect.
  std::map<std::string, std::string> tokens;
  // Clients without a token may connect, naming any origin. A token that is given must still be
  // valid and match its origin.
  bool allow_anonymous = false;
  std::size_t max_frame = kDefaultMaxFrameSize;  // largest frame accepted (Welcome::max_frame)
  // Announced in Welcome; the WebSocket keep-alive ping and the SSE keep-alive comment use it.
  std::chrono::milliseconds heartbeat{10'000};
  // A WebSocket connection that sends nothing (not even the answer to a keep-alive ping) for this
  // long is closed, and an HTTP connection idle this long between requests; 0: two heartbeats.
  std::chrono::milliseconds idle_timeout{0};
  std::chrono::milliseconds max_long_poll{30'000};        // cap on Pull::wait_ms and /v1/head
  std::chrono::milliseconds request_timeout{10'000};      // a Request with timeout_ms 0
  std::chrono::milliseconds max_request_timeout{60'000};  // cap on Request::timeout_ms
  std::chrono::milliseconds stop_timeout{3'000};          // how long stop() may take, at most
  std::size_t max_page_bytes = kDefaultMaxFrameSize;      // Changes pages stay under this
  std::size_t io_threads = 2;                             // threads running the sockets
  // Threads running ServerCore: pushes take at most one (they are applied one at a time), the
  // others serve pulls and digests meanwhile, so keep it at 2 or more.
  std::size_t store_threads = 2;
  std::string server_name = "rxsync-server/0.1";  // Welcome::server, and the Server header
  // false: /v1/ws refuses the upgrade (404), as a proxy without WebSocket support does, and
  // clients use SSE and HTTP instead.
  bool websocket = true;
  // TLS: with both set, the port speaks only TLS (clients use https:// and wss://). PEM files:
  // the server's certificate followed by any intermediate CA certificates, and its unencrypted
  // private key. Both or neither; read once, by SyncServer's constructor.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  // Connection events (connect, disconnect, refusals, protocol errors). Called from the server's
  // threads concurrently, and from the thread that calls stop(); an empty function logs nothing.
  std::function<void(const ServerLogEvent&)> log = log_to_stderr;

  std::chrono::milliseconds effective_idle_timeout() const {
    return idle_timeout.count() > 0 ? idle_timeout : 2 * heartbeat;
  }
  bool tls() const noexcept { return !tls_certificate_file.empty(); }
};

// The server's own counters (ServerCore::stats() has the store's). Gauges are current values,
// the rest count since start(). bytes_in / bytes_out are frames and response bodies, without
// HTTP headers or WebSocket framing, and without /metrics and /healthz.
struct ServerStats {
  std::uint64_t connections = 0;         // gauge: open TCP connections of every kind
  std::uint64_t websocket_sessions = 0;  // gauge: WebSocket connections past Welcome
  std::uint64_t sse_streams = 0;         // gauge
  std::uint64_t long_polls = 0;          // gauge: held pulls and /v1/head watches
  std::uint64_t connections_total = 0;   // accepted
  // Bad tokens, foreign origins, refused while stopping, failed TLS handshakes.
  std::uint64_t refused = 0;
  std::uint64_t protocol_errors = 0;  // connections closed for a bad frame
  std::uint64_t rejected_origin = 0;  // pushed changes of another origin than the connection's
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t channel_messages = 0;  // Message frames delivered (publishes and requests)
  std::uint64_t request_timeouts = 0;  // Requests answered Error{timeout}
};

namespace detail {
inline bool has_space(std::string_view s) {
  return s.find_first_of(" \t\r\n\v\f") != std::string_view::npos;
}
}  // namespace detail

// Throws std::invalid_argument naming the first option that is out of range, and its value.
inline void validate_server_options(const ServerOptions& o) {
  const auto bad = [](const std::string& what) {
    throw std::invalid_argument("ServerOptions." + what);
  };
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  if (o.host.empty()) bad("host must not be empty");
  if (o.max_frame < 64) bad("max_frame must be >= 64 bytes, got " + std::to_string(o.max_frame));
  if (o.heartbeat.count() < 1 || o.heartbeat > std::chrono::hours(1))
    bad("heartbeat must be between 1 ms and 1 hour, got " + ms(o.heartbeat));
  if (o.idle_timeout.count() < 0) bad("idle_timeout must be >= 0, got " + ms(o.idle_timeout));
  if (o.max_long_poll.count() < 1 || o.max_long_poll > std::chrono::hours(1))
    bad("max_long_poll must be between 1 ms and 1 hour, got " + ms(o.max_long_poll));
  if (o.request_timeout.count() < 1)
    bad("request_timeout must be >= 1 ms, got " + ms(o.request_timeout));
  if (o.max_request_timeout < o.request_timeout || o.max_request_timeout > std::chrono::hours(1))
    bad("max_request_timeout must be between request_timeout and 1 hour, got " +
        ms(o.max_request_timeout));
  if (o.stop_timeout.count() < 1 || o.stop_timeout > std::chrono::minutes(10))
    bad("stop_timeout must be between 1 ms and 10 minutes, got " + ms(o.stop_timeout));
  if (o.max_page_bytes < 64)
    bad("max_page_bytes must be >= 64, got " + std::to_string(o.max_page_bytes));
  if (o.io_threads < 1 || o.io_threads > 256)
    bad("io_threads must be between 1 and 256, got " + std::to_string(o.io_threads));
  if (o.store_threads < 1 || o.store_threads > 256)
    bad("store_threads must be between 1 and 256, got " + std::to_string(o.store_threads));
  if (o.tokens.empty() && !o.allow_anonymous)
    bad("tokens is empty and allow_anonymous is false: no client could connect");
  for (const auto& [token, origin] : o.tokens) {
    if (token.empty() || detail::has_space(token))
      bad("tokens: a token must be non-empty without spaces, got \"" + token + "\"");
    if (origin.empty()) bad("tokens: the origin of a token must not be empty");
  }
  if (o.tls_certificate_file.empty() != o.tls_private_key_file.empty()) {
    bad(o.tls_certificate_file.empty()
            ? "tls_certificate_file is empty but tls_private_key_file is set: give both or neither"
            : "tls_private_key_file is empty but tls_certificate_file is set: give both or "
              "neither");
  }
  if (!o.tls_certificate_file.empty() && !std::ifstream(o.tls_certificate_file))
    bad("tls_certificate_file: cannot read '" + o.tls_certificate_file + "'");
  if (!o.tls_private_key_file.empty() && !std::ifstream(o.tls_private_key_file))
    bad("tls_private_key_file: cannot read '" + o.tls_private_key_file + "'");
}

// Reads a tokens file: one `TOKEN ORIGIN` per line (separated by blanks); blank lines and lines
// starting with '#' are skipped. Throws std::invalid_argument naming the source and line of the
// first bad line (not two fields, or a token listed twice). `source` names the input in errors.
inline std::map<std::string, std::string> parse_tokens(std::istream& in, std::string_view source) {
  std::map<std::string, std::string> tokens;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string w; fields >> w;) words.push_back(std::move(w));
    if (words.empty() || words.front().starts_with('#')) continue;
    const std::string where = std::string(source) + ":" + std::to_string(number) + ": ";
    if (words.size() != 2) {
      throw std::invalid_argument(where + "expected `TOKEN ORIGIN`, got " +
                                  std::to_string(words.size()) + " field(s)");
    }
    if (!tokens.emplace(words[0], words[1]).second)
      throw std::invalid_argument(where + "token listed twice");
  }
  return tokens;
}

inline std::map<std::string, std::string> read_tokens_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot open tokens file " + path.string());
  return parse_tokens(in, path.string());
}

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
