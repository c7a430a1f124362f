// rxsync/net/detail/client_core.hpp - the connection state machine of NetTransport (internal).
//
// Bytes in, bytes out: frames for the server, outcomes and pages back, with no key or value
// types, so this part (the bulk of the Beast code) is compiled once per program whatever the
// apps' types. One connection at a time to servers tried in order; a round that reaches none
// waits out a backoff delay on the owner's scheduler. Threading: every member function posts to
// the strand and runs there; callbacks are called on the strand (NetTransport moves them to the
// scheduler). Shared ownership keeps it alive while operations are in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <rxsync/net/detail/http_client.hpp>
#include <rxsync/net/detail/sse_reader.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/net_transport_options.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace websocket = boost::beast::websocket;

struct ClientCallbacks {
  std::function<void(const ConnectionStatus&)> status;
  std::function<void(std::uint64_t head)> poke;
  std::function<void(ChannelMessage)> message;
};

// Outcomes of a push, or nullopt when the batch got no answer (then `error` says why).
using PushDone = std::function<void(std::optional<std::vector<PushOutcome>>, std::string error)>;
using PullReply = std::function<void(std::optional<Changes>, std::string error)>;
using RequestDone = std::function<void(std::optional<ChannelReply>, ErrorCode, std::string)>;

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(asio::io_context::executor_type ex, NetTransportOptions o, Timers timers,
             ClientCallbacks cb)
      : strand_(asio::make_strand(ex)),
        options_(std::move(o)),
        timers_(std::move(timers)),
        callbacks_(std::move(cb)),
        resolver_(strand_),
        backoff_(options_.reconnect) {
    for (const auto& s : options_.servers) servers_.push_back(parse_server_url(s));
    status_.mode = options_.mode;
    status_.server = servers_.front().text;
    tls_.verify = options_.tls_verify_peer;
    for (const auto& url : servers_) {
      if (url.tls() && !tls_.context) {
        tls_.context =
            make_client_tls_context(url.text, options_.tls_verify_peer, options_.tls_ca_file);
      }
    }
  }

  void start() {
    post([](ClientCore& c) {
      if (!c.stopped_ && c.started_) return;
      c.started_ = true;
      c.stopped_ = false;
      c.round_ = 0;
      c.server_index_ = 0;
      c.backoff_.reset();
      c.set_state(ConnectionState::connecting, {});
      c.connect();
    });
  }
  void stop() {
    post([](ClientCore& c) {
      c.stopped_ = true;
      c.started_ = false;
      c.reconnect_timer_.unsubscribe();
      c.teardown("stopped");
      c.set_state(ConnectionState::offline, "stopped");
    });
  }

  void push(std::vector<WireChange> changes, PushDone done) {
    post([changes = std::move(changes), done = std::move(done)](ClientCore& c) mutable {
      c.send_push(std::move(changes), std::move(done));
    });
  }
  void pull(std::uint64_t cursor, PullReply done) {
    post([cursor, done = std::move(done)](ClientCore& c) mutable {
      c.send_pull(cursor, std::move(done));
    });
  }
  void subscribe(std::string channel) {
    post([channel = std::move(channel)](ClientCore& c) {
      if (c.channels_.insert(channel).second && c.ws_online()) c.send_ws(Subscribe{channel});
    });
  }
  void unsubscribe(std::string channel) {
    post([channel = std::move(channel)](ClientCore& c) {
      if (c.channels_.erase(channel) > 0 && c.ws_online()) c.send_ws(Unsubscribe{channel});
    });
  }
  void publish(std::string channel, std::string type, std::string payload) {
    post([f = Publish{std::move(channel), std::move(type), std::move(payload)}](ClientCore& c) {
      if (c.ws_online()) c.send_ws(f);
    });
  }
  void reply(std::uint64_t ref, std::string type, std::string payload, bool is_error) {
    post([f = Reply{ref, std::move(type), std::move(payload), is_error}](ClientCore& c) {
      if (c.ws_online()) c.send_ws(f);
    });
  }
  void request(std::string channel, std::string type, std::string payload, Duration timeout,
               RequestDone done) {
    post([r = Request{0, std::move(channel), std::move(type), std::move(payload), 0}, timeout,
          done = std::move(done)](ClientCore& c) mutable {
      c.send_request(std::move(r), timeout, std::move(done));
    });
  }

 private:
  // One operation waiting for its answer (matched by request id).
  struct Waiting {
    std::variant<PushDone, PullReply, RequestDone> done;
    Subscription timer;
  };

  template <class F>
  void post(F f) {
    asio::post(strand_, [self = shared_from_this(), f = std::move(f)]() mutable { f(*self); });
  }
  // A timer on the scheduler whose action runs on the strand, unless the connection it belongs
  // to is gone by then.
  template <class F>
  Subscription after(Duration d, F f) {
    return timers_.after(d, [weak = weak_from_this(), gen = generation_, f = std::move(f)]() {
      if (auto self = weak.lock()) {
        asio::post(self->strand_, [self, gen, f] {
          if (self->generation_ == gen) f(*self);
        });
      }
    });
  }

  TransportMode mode_now() const {
    return sse_fallback_.count(server_index_) != 0 ? TransportMode::sse : options_.mode;
  }
  bool ws_online() const { return online_ && ws_ != nullptr; }
  std::vector<std::pair<std::string, std::string>> auth_headers() const {
    std::vector<std::pair<std::string, std::string>> h{{"X-Rxsync-Origin", options_.origin}};
    if (!token_.empty()) h.emplace_back("Authorization", "Bearer " + token_);
    return h;
  }

  void set_state(ConnectionState s, std::string error) {
    status_.state = s;
    status_.attempt = s == ConnectionState::online ? 0 : round_;
    if (!error.empty() || s == ConnectionState::online) status_.last_error = std::move(error);
    status_.server = servers_[server_index_ < servers_.size() ? server_index_ : 0].text;
    status_.mode = mode_now();
    if (callbacks_.status) callbacks_.status(status_);
  }

  // ---- connecting ----

  void connect() {
    teardown({});
    ++generation_;
    token_ = options_.token ? options_.token() : std::string();
    const ServerUrl& url = servers_[server_index_];
    status_.server = url.text;
    connect_timer_ = after(options_.connect_timeout,
                           [](ClientCore& c) { c.attempt_failed("timed out connecting"); });
    switch (mode_now()) {
      case TransportMode::websocket:
        return connect_ws(url);
      case TransportMode::sse:
        http_ = std::make_shared<HttpClient>(strand_, url, options_.max_frame, timers_, tls_);
        return connect_sse(url);
      case TransportMode::long_poll:
        http_ = std::make_shared<HttpClient>(strand_, url, options_.max_frame, timers_, tls_);
        watch_ = std::make_shared<HttpClient>(strand_, url, options_.max_frame, timers_, tls_);
        return watch_head(0, Duration::zero());
      case TransportMode::poll:
        http_ = std::make_shared<HttpClient>(strand_, url, options_.max_frame, timers_, tls_);
        http_->request(
            http::verb::get, "/healthz", {}, auth_headers(), options_.connect_timeout,
            [self = shared_from_this(), gen = generation_](HttpClient::Response r) {
              if (self->generation_ != gen) return;
              if (!r.ok) return self->attempt_failed(r.error);
              if (r.status != 200)
                return self->attempt_failed("/healthz answered " + std::to_string(r.status));
              self->became_online(0);
            });
        return;
    }
  }

  void became_online(std::uint64_t epoch) {
    connect_timer_.unsubscribe();
    online_ = true;
    round_ = 0;
    backoff_.reset();
    status_.epoch = epoch;
    last_heard_ = timers_.now();
    set_state(ConnectionState::online, {});
    if (ws_) {
      for (const auto& ch : channels_) send_ws(Subscribe{ch});
    }
    if (ws_ || mode_now() == TransportMode::sse) arm_heartbeat();
  }

  // An attempt that never got online: try the next server, or wait and start a new round.
  void attempt_failed(const std::string& error) {
    if (online_) return connection_lost(error);
    teardown(error);
    if (stopped_) return;
    if (++server_index_ < servers_.size()) {
      set_state(status_.state, error);  // the same state, on the next server
      return connect();
    }
    server_index_ = 0;
    ++round_;
    if (options_.max_reconnect_attempts != 0 && round_ >= options_.max_reconnect_attempts) {
      return set_state(ConnectionState::offline,
                       error + " (gave up after " + std::to_string(round_) + " attempts)");
    }
    set_state(ConnectionState::reconnecting, error);
    schedule_reconnect();
  }

  // An established connection broke (or the server went silent): everything waiting on it
  // fails at once (a push reports "no answer", so it is retried), then reconnect.
  void connection_lost(const std::string& error) {
    teardown(error);
    if (stopped_) return;
    server_index_ = 0;
    round_ = 1;
    set_state(ConnectionState::reconnecting, error);
    schedule_reconnect();
  }

  void schedule_reconnect() {
    const Duration delay = backoff_.next_delay().value_or(options_.reconnect.max);
    reconnect_timer_ = timers_.after(delay, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::post(self->strand_, [self] {
          if (!self->stopped_) self->connect();
        });
      }
    });
  }

  // Closes whatever this connection opened and fails what waits on it.
  void teardown(const std::string& why) {
    ++generation_;
    online_ = false;
    connect_timer_.unsubscribe();
    heartbeat_timer_.unsubscribe();
    resolver_.cancel();
    if (ws_) {
      ws_->next_layer().close();
      ws_.reset();
    }
    writes_.clear();
    writing_ = false;
    if (sse_) sse_->close();
    sse_.reset();
    const std::string reason = why.empty() ? "connection closed" : why;
    if (http_) http_->close(reason);
    if (watch_) watch_->close(reason);
    http_.reset();
    watch_.reset();
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [id, w] : waiting) fail(w, ErrorCode::shutting_down, reason);
  }

  static void fail(Waiting& w, ErrorCode code, const std::string& why) {
    w.timer.unsubscribe();
    std::visit(
        [&](auto& done) {
          using D = std::decay_t<decltype(done)>;
          if constexpr (std::is_same_v<D, RequestDone>) {
            done(std::nullopt, code, why);
          } else {
            done(std::nullopt, why);
          }
        },
        w.done);
  }

  // ---- WebSocket ----

  // Over TLS (wss://) too: Stream is the TCP connection with or without TLS on top.
  using WsStream = websocket::stream<Stream>;

  void connect_ws(const ServerUrl& url) {
    auto ws = std::make_shared<WsStream>(client_stream(strand_, url, tls_));
    ws_ = ws;
    resolver_.async_resolve(
        url.host, std::to_string(url.port),
        asio::bind_executor(
            strand_, [self = shared_from_this(), gen = generation_, ws, url](
                         beast::error_code ec, asio::ip::tcp::resolver::results_type results) {
              if (self->generation_ != gen) return;
              if (ec) return self->attempt_failed(url.text + ": resolve: " + ec.message());
              connect_stream(ws->next_layer(), self->strand_, results, url, self->tls_.verify,
                             [self, gen, ws, url](const std::string& error) {
                               if (self->generation_ != gen) return;
                               if (!error.empty())
                                 return self->attempt_failed(url.text + ": " + error);
                               self->handshake_ws(ws, url, gen);
                             });
            }));
  }

  void handshake_ws(const std::shared_ptr<WsStream>& ws, const ServerUrl& url, std::uint64_t gen) {
    ws->read_message_max(options_.max_frame);
    ws->binary(true);
    ws->set_option(websocket::stream_base::decorator([token = token_](websocket::request_type& r) {
      r.set(http::field::user_agent, "rxsync");
      if (!token.empty()) r.set(http::field::authorization, "Bearer " + token);
    }));
    auto response = std::make_shared<websocket::response_type>();
    ws->async_handshake(
        *response, host_and_port(url), "/v1/ws",
        asio::bind_executor(
            strand_, [self = shared_from_this(), gen, ws, url, response](beast::error_code ec) {
              if (self->generation_ != gen) return;
              if (ec == websocket::error::upgrade_declined && self->options_.fallback_to_sse) {
                // A proxy (or a server) that refuses the upgrade: the same server over SSE + HTTP.
                self->sse_fallback_.insert(self->server_index_);
                self->status_.last_error = url.text + ": WebSocket refused (HTTP " +
                                           std::to_string(response->result_int()) +
                                           "); falling back to SSE";
                return self->connect();
              }
              if (ec)
                return self->attempt_failed(url.text + ": WebSocket handshake: " + ec.message());
              self->send_ws(
                  Hello{self->options_.origin, 0, self->token_, self->options_.client_name, 0});
              self->read_ws(ws, gen);
            }));
  }

  void read_ws(const std::shared_ptr<WsStream>& ws, std::uint64_t gen) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    ws->async_read(*buffer,
                   asio::bind_executor(strand_, [self = shared_from_this(), ws, gen, buffer](
                                                    beast::error_code ec, std::size_t) {
                     if (self->generation_ != gen) return;
                     if (ec) return self->attempt_failed("connection lost: " + ec.message());
                     self->last_heard_ = self->timers_.now();
                     self->on_frame(beast::buffers_to_string(buffer->data()));
                     if (self->generation_ == gen) self->read_ws(ws, gen);
                   }));
  }

  template <class F>
  void send_ws(const F& frame) {
    if (!ws_) return;
    writes_.push_back(encode_frame(frame));
    if (!writing_) write_next();
  }
  void write_next() {
    if (writes_.empty() || !ws_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto ws = ws_;
    auto bytes = std::make_shared<std::string>(std::move(writes_.front()));
    writes_.pop_front();
    ws->async_write(asio::buffer(*bytes),
                    asio::bind_executor(strand_, [self = shared_from_this(), gen = generation_, ws,
                                                  bytes](beast::error_code ec, std::size_t) {
                      if (self->generation_ != gen) return;
                      if (ec) return self->attempt_failed("write failed: " + ec.message());
                      self->write_next();
                    }));
  }

  void on_frame(const std::string& bytes);  // below, with the frame handlers

  void arm_heartbeat() {
    heartbeat_timer_ = after(options_.heartbeat, [](ClientCore& c) {
      if (!c.online_) return;
      if (c.timers_.now() - c.last_heard_ > 2 * c.options_.heartbeat) {
        return c.connection_lost("the server was silent for two heartbeats");
      }
      if (c.ws_) c.send_ws(Ping{++c.next_id_});
      c.arm_heartbeat();
    });
  }

  // ---- SSE and long poll ----

  void connect_sse(const ServerUrl& url);                    // below
  void watch_head(std::uint64_t after_head, Duration wait);  // below

  // ---- requests ----

  void send_push(std::vector<WireChange> changes, PushDone done);
  void send_pull(std::uint64_t cursor, PullReply done);
  void send_request(Request r, Duration timeout, RequestDone done);
  std::uint64_t wait_for(std::variant<PushDone, PullReply, RequestDone> done, Duration timeout);

  Strand strand_;
  const NetTransportOptions options_;
  Timers timers_;
  ClientCallbacks callbacks_;
  std::vector<ServerUrl> servers_;
  ClientTls tls_;  // the context is made once, when a server URL asks for TLS
  asio::ip::tcp::resolver resolver_;
  ExponentialBackoff<> backoff_;
  ConnectionStatus status_;
  std::size_t server_index_ = 0;
  std::uint32_t round_ = 0;
  std::uint64_t generation_ = 0;  // bumped by every teardown: late completions are ignored
  std::set<std::size_t> sse_fallback_;
  std::string token_;
  bool started_ = false;
  bool stopped_ = true;
  bool online_ = false;
  std::shared_ptr<WsStream> ws_;
  std::deque<std::string> writes_;
  bool writing_ = false;
  std::shared_ptr<SseReader> sse_;
  std::shared_ptr<HttpClient> http_;   // pushes and pulls in the HTTP modes
  std::shared_ptr<HttpClient> watch_;  // the long-poll watch
  std::map<std::uint64_t, Waiting> waiting_;
  std::uint64_t next_id_ = 0;
  std::set<std::string> channels_;
  TimePoint last_heard_{};
  Subscription connect_timer_;
  Subscription heartbeat_timer_;
  Subscription reconnect_timer_;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

#include <rxsync/net/detail/client_frames.hpp>
