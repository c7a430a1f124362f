// rxsync/net/detail/server_state.hpp - what every connection of a SyncServer shares: the core,
// the options, the TLS settings, the io_context and the store threads, the connection registry,
// the channel router, the counters, and authentication.
//
// Threading: ServerState is created and destroyed by SyncServer on the thread that owns it; its
// members are called from io threads, store threads and the thread running stop(). Everything
// here is thread-safe (atomics, or a mutex per structure) except start_threads()/the
// io_context/pool optionals, which only SyncServer::start() and stop() touch.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <rxsync/net/detail/channels.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/net/server_options.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace asio = boost::asio;

// What the server needs from every connection, whatever its kind.
class ServerSession {
 public:
  virtual ~ServerSession() = default;
  // A commit changed the state; `head` is the new head cursor. Any thread; only posts.
  virtual void on_commit(std::uint64_t head) = 0;
  // Graceful stop: answer what is held, finish writing, close. Any thread; only posts.
  virtual void shutdown() = 0;
  // Close the socket now (the graceful stop took too long). Any thread; only posts.
  virtual void force_close() = 0;
};

struct AuthResult {
  bool ok = false;
  ErrorCode code = ErrorCode::unauthorized;
  std::string origin;  // the accepted origin when ok
  std::string reason;  // why not, when !ok
};

class ServerState {
 public:
  // Throws std::invalid_argument when the TLS files cannot be used (or the build has no TLS).
  ServerState(ServerCore& c, ServerOptions o)
      : core(c),
        options(std::move(o)),
        tls(options.tls() ? make_server_tls_context(options.tls_certificate_file,
                                                    options.tls_private_key_file)
                          : nullptr),
        router(channel_messages, request_timeouts),
        epoch_(c.epoch()),
        head_(0) {}

  ServerCore& core;
  const ServerOptions options;
  // The certificate and key every connection uses; null: plain TCP.
  const std::shared_ptr<TlsContext> tls;

  std::atomic<std::uint64_t> connections_total{0}, refused{0}, protocol_errors{0},
      rejected_origin{0}, bytes_in{0}, bytes_out{0}, channel_messages{0}, request_timeouts{0},
      websocket_sessions{0}, sse_streams{0}, long_polls{0};
  ChannelRouter router;

  std::uint64_t epoch() const noexcept { return epoch_; }
  std::uint64_t head() const noexcept { return head_.load(); }
  // Incremented before sessions hear of a commit: a pull that found nothing compares it with the
  // value it read before starting, so a commit between the two is never missed.
  std::uint64_t commits() const noexcept { return commits_.load(); }
  bool stopping() const noexcept { return stopping_.load(); }
  void set_stopping() noexcept { stopping_ = true; }
  void set_head(std::uint64_t head) { raise_head(head); }

  // ---- the registry of connections ----

  std::uint64_t add_session(std::weak_ptr<ServerSession> s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(++next_session_, std::move(s));
    ++connections_total;
    return next_session_;
  }
  void remove_session(std::uint64_t id) {
    router.remove_peer(id);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.erase(id);
    }
    sessions_changed_.notify_all();
  }
  std::vector<std::shared_ptr<ServerSession>> sessions() const {
    std::vector<std::shared_ptr<ServerSession>> out;
    std::lock_guard lock(sessions_mutex_);
    for (const auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }
  std::size_t session_count() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
  }
  bool wait_sessions_gone(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(sessions_mutex_);
    return sessions_changed_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
  }

  // ---- pushes in flight (stop() waits for them to be answered) ----

  void begin_push() {
    std::lock_guard lock(pushes_mutex_);
    ++pushes_in_flight_;
  }
  void end_push() {
    {
      std::lock_guard lock(pushes_mutex_);
      --pushes_in_flight_;
    }
    pushes_changed_.notify_all();
  }
  bool wait_pushes_done(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(pushes_mutex_);
    return pushes_changed_.wait_until(lock, deadline, [&] { return pushes_in_flight_ == 0; });
  }

  // ---- commits ----

  // ServerCore's listener: runs on the store thread that committed, after the commit.
  void notify_commit(std::uint64_t head) {
    raise_head(head);
    ++commits_;
    for (auto& s : sessions()) s->on_commit(head);
  }

  // ---- authentication ----

  // A token must be known and speak for `origin` (an empty origin takes the token's); without
  // a token, allow_anonymous lets any origin in.
  AuthResult authorize(std::string_view token, std::string_view origin) const {
    if (token.empty()) {
      if (options.allow_anonymous) return {true, ErrorCode::unauthorized, std::string(origin), {}};
      return {false, ErrorCode::unauthorized, {}, "a token is required"};
    }
    auto it = options.tokens.find(std::string(token));
    if (it == options.tokens.end()) return {false, ErrorCode::unauthorized, {}, "unknown token"};
    if (!origin.empty() && origin != it->second) {
      return {false,
              ErrorCode::forbidden_origin,
              {},
              "the token is not valid for origin \"" + std::string(origin) + "\""};
    }
    return {true, ErrorCode::unauthorized, it->second, {}};
  }

  // ---- log and statistics ----

  void log(ServerLogEvent::Kind kind, std::string_view transport, std::string_view peer,
           std::string_view origin, std::string reason) const {
    if (!options.log) return;
    try {
      options.log(ServerLogEvent{kind, std::string(transport), std::string(peer),
                                 std::string(origin), std::move(reason)});
    } catch (...) {
      // A failing log must not take a connection down with it.
    }
  }

  ServerStats stats() const {
    ServerStats s;
    s.connections = session_count();
    s.websocket_sessions = websocket_sessions;
    s.sse_streams = sse_streams;
    s.long_polls = long_polls;
    s.connections_total = connections_total;
    s.refused = refused;
    s.protocol_errors = protocol_errors;
    s.rejected_origin = rejected_origin;
    s.bytes_in = bytes_in;
    s.bytes_out = bytes_out;
    s.channel_messages = channel_messages;
    s.request_timeouts = request_timeouts;
    return s;
  }

  // Prometheus text exposition format, version 0.0.4.
  std::string metrics_text() const {
    const ServerStats s = stats();
    const ServerCoreStats c = core.stats();
    std::string out;
    const auto metric = [&](std::string_view name, std::string_view type, std::string_view help,
                            std::uint64_t value) {
      out += "# HELP rxsync_server_";
      out += name;
      out += ' ';
      out += help;
      out += "\n# TYPE rxsync_server_";
      out += name;
      out += ' ';
      out += type;
      out += "\nrxsync_server_";
      out += name;
      out += ' ';
      out += std::to_string(value);
      out += '\n';
    };
    metric("connections", "gauge", "Open client connections (WebSocket, SSE and HTTP).",
           s.connections);
    metric("websocket_sessions", "gauge", "WebSocket connections past Welcome.",
           s.websocket_sessions);
    metric("sse_streams", "gauge", "Open Server-Sent Events streams.", s.sse_streams);
    metric("long_polls", "gauge", "Pulls and head watches being held.", s.long_polls);
    metric("connections_total", "counter", "Connections accepted.", s.connections_total);
    metric("refused_total", "counter",
           "Clients refused (bad token, foreign origin, server stopping, failed TLS handshake).",
           s.refused);
    metric("protocol_errors_total", "counter", "Connections closed for a bad frame.",
           s.protocol_errors);
    metric("pushes_total", "counter", "Push transactions run.", c.pushes);
    metric("changes_applied_total", "counter", "Pushed changes merged into the state.",
           c.changes_applied);
    metric("duplicates_total", "counter",
           "Pushed changes already applied (acknowledged, no effect).", c.duplicates);
    metric("rejected_total", "counter",
           "Pushed changes rejected (undecodable value, unknown encoding, foreign origin).",
           c.rejected + s.rejected_origin);
    metric("conflicts_merged_total", "counter",
           "Pushed changes whose merge differed from both the state and the change.",
           c.conflicts_merged);
    metric("push_failures_total", "counter", "Push transactions the store failed (answered retry).",
           c.push_failures);
    metric("pulls_total", "counter", "Pull pages read from the store.", c.pulls);
    metric("resets_total", "counter", "Pulls whose cursor belonged to another epoch.", c.resets);
    metric("channel_messages_total", "counter", "Channel messages delivered.", s.channel_messages);
    metric("request_timeouts_total", "counter", "Channel requests that timed out.",
           s.request_timeouts);
    metric("bytes_in_total", "counter", "Frame and request body bytes received.", s.bytes_in);
    metric("bytes_out_total", "counter", "Frame and response body bytes sent.", s.bytes_out);
    return out;
  }

 private:
  void raise_head(std::uint64_t head) {
    // Listeners of two commits may run in either order; cursors of one epoch only grow.
    std::uint64_t seen = head_.load();
    while (seen < head && !head_.compare_exchange_weak(seen, head)) {
    }
  }

  const std::uint64_t epoch_;
  std::atomic<std::uint64_t> head_;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<bool> stopping_{false};

  mutable std::mutex sessions_mutex_;
  std::condition_variable sessions_changed_;
  std::map<std::uint64_t, std::weak_ptr<ServerSession>> sessions_;
  std::uint64_t next_session_ = 0;

  std::mutex pushes_mutex_;
  std::condition_variable pushes_changed_;
  std::size_t pushes_in_flight_ = 0;

 public:
  // Created by SyncServer::start() and destroyed by stop(): the io_context first, so sessions
  // still queued in it release their store strands while the pool exists. Declared last so that
  // they go before everything a session's destructor touches.
  std::optional<asio::thread_pool> store_pool;
  // Every push goes through this one strand: ServerCore applies pushes one at a time anyway, so
  // pushes waiting for their turn never hold more than one store thread, and the others stay
  // free for pulls and digests.
  std::optional<asio::strand<asio::thread_pool::executor_type>> push_strand;
  std::optional<asio::io_context> ioc;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
