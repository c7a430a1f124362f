// rxsync/net/detail/ws_session.hpp - one WebSocket connection of a SyncServer (GET /v1/ws).
//
// Hello first (authentication, origin), then Push/Pull through SessionBase, channels through the
// ChannelRouter, Ping -> Pong, and a Poke after every commit that changed the state. A frame that
// does not decode, goes the wrong way or comes out of order is answered with an Error frame and
// the connection is closed; other connections are not affected.
//
// Threading: everything runs on the session's strand (the executor of its socket). The public
// entry points that other threads use (on_commit, shutdown, force_close, deliver) only post to
// it. Messages are read in pieces so an oversized one is refused with an Error frame before it
// is buffered whole; writes go out one at a time from a queue.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <rxsync/net/detail/channels.hpp>
#include <rxsync/net/detail/server_state.hpp>
#include <rxsync/net/detail/session_base.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace beast = boost::beast;

class WsSession final : public SessionBase, public ChannelPeer {
 public:
  WsSession(ServerState& state, Stream&& stream, std::string peer)
      : SessionBase(state, stream.get_executor(), "websocket", std::move(peer)),
        ws_(std::move(stream)) {}
  ~WsSession() override {
    if (welcomed_) --state_.websocket_sessions;
  }

  // On the strand (the HTTP session that read the upgrade request runs there).
  void start(beast::http::request<beast::http::string_body> upgrade) {
    register_session();
    upgrade_ = std::move(upgrade);
    namespace ws = beast::websocket;
    ws_.next_layer().tcp().expires_never();  // the HTTP session's timeout; ours are below
    ws_.set_option(ws::stream_base::timeout{
        .handshake_timeout = std::chrono::seconds(5),
        .idle_timeout = state_.options.effective_idle_timeout(),
        .keep_alive_pings = true,  // a half-open connection fails its ping and dies
    });
    ws_.set_option(
        ws::stream_base::decorator([name = state_.options.server_name](ws::response_type& res) {
          res.set(beast::http::field::server, name);
        }));
    ws_.read_message_max(0);  // the size check is ours, so the client gets an Error frame first
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.async_accept(upgrade_, [self = self()](beast::error_code ec) { self->on_accept(ec); });
  }

  void on_commit(std::uint64_t) override {
    asio::post(strand_, [self = self()] {
      if (self->phase_ != Phase::open) return;
      self->send_poke();
      self->wake_held_pulls();
    });
  }
  void shutdown() override {
    asio::post(strand_, [self = self()] { self->on_shutdown(); });
  }
  void force_close() override {
    asio::post(strand_, [self = self()] {
      self->closed_ = true;
      self->end_reason_ = "closed: the server stopped";
      self->ws_.next_layer().close();
    });
  }
  void deliver(std::string frame) override {
    asio::post(strand_, [self = self(), frame = std::move(frame)]() mutable {
      if (self->phase_ == Phase::open) self->send(std::move(frame));
    });
  }

 private:
  enum class Phase { handshake, hello, open, closing };
  struct Out {
    std::string bytes;
    bool poke = false;  // encoded when written, with the head of that moment
  };
  // More than this many pushes and pulls unanswered on one connection: stop reading until some
  // are answered (the client is not waiting for its answers).
  static constexpr std::size_t kMaxRequestsInProgress = 64;

  std::shared_ptr<WsSession> self() {
    return std::static_pointer_cast<WsSession>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      end_reason_ = "WebSocket handshake failed: " + ec.message();
      return;
    }
    phase_ = Phase::hello;
    if (stop_requested_) {
      on_shutdown();
      return;
    }
    do_read();
  }

  // ---- reading ----

  void do_read() {
    if (reading_ || closed_ || stop_requested_ || phase_ == Phase::closing) return;
    if (requests_in_progress_ >= kMaxRequestsInProgress) return;  // on_request_done resumes
    reading_ = true;
    // Read at most one byte over the limit: enough to know the message is too large.
    const std::size_t room = state_.options.max_frame + 1 - buffer_.size();
    ws_.async_read_some(buffer_, std::min<std::size_t>(room, std::size_t{1} << 20),
                        [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec) {
      closed_ = true;
      if (phase_ != Phase::closing) {
        if (ec == beast::websocket::error::closed) {
          end_reason_ = "closed by the client";
        } else if (ec == beast::error::timeout) {
          end_reason_ = "idle timeout: nothing received for " +
                        std::to_string(state_.options.effective_idle_timeout().count()) + " ms";
        } else if (end_reason_.empty()) {
          end_reason_ = ec.message();
        }
      }
      return;
    }
    if (buffer_.size() > state_.options.max_frame) {
      fail(ProtocolError(
          ErrorCode::frame_too_large,
          "message over the limit of " + std::to_string(state_.options.max_frame) + " bytes"));
      return;
    }
    if (!ws_.is_message_done()) {
      do_read();
      return;
    }
    std::string message = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    state_.bytes_in += message.size();
    on_message(message);
    do_read();
  }

  void on_request_done() override {
    if (stop_requested_) {
      if (requests_in_progress_ == 0) close_for_shutdown();
      return;
    }
    do_read();
  }

  void on_message(const std::string& bytes) {
    Frame frame;
    try {
      frame = decode_frame(bytes, state_.options.max_frame);
    } catch (const ProtocolError& e) {
      fail(e);
      return;
    }
    const FrameType type = frame_type_of(frame);
    if (direction_of(type) != FrameDirection::to_server) {
      fail(ProtocolError(ErrorCode::bad_request, "a " + std::string(to_string(type)) +
                                                     " frame goes from server to client"));
      return;
    }
    if (phase_ == Phase::hello) {
      if (auto* hello = std::get_if<Hello>(&frame)) {
        on_hello(*hello);
      } else {
        fail(ProtocolError(ErrorCode::bad_request,
                           "the first frame must be Hello, got " + std::string(to_string(type))));
      }
      return;
    }
    if (phase_ != Phase::open) return;
    std::visit([this](auto& f) { on_frame(f); }, frame);
  }

  void on_hello(const Hello& hello) {
    namespace ws = beast::websocket;
    if (state_.stopping()) {
      refuse(hello, ErrorCode::shutting_down, "the server is stopping", ws::close_code::going_away);
      return;
    }
    AuthResult auth = state_.authorize(hello.token, hello.origin);
    if (!auth.ok) {
      refuse(hello, auth.code, auth.reason, ws::close_code::policy_error);
      return;
    }
    if (auth.origin.empty()) {
      fail(ProtocolError(ErrorCode::bad_request, "Hello.origin is empty: name the device"));
      return;
    }
    origin_ = std::move(auth.origin);
    phase_ = Phase::open;
    welcomed_ = true;
    ++state_.websocket_sessions;
    const auto& o = state_.options;
    send(encode_frame(Welcome{state_.epoch(), state_.head(), o.server_name,
                              static_cast<std::uint32_t>(o.heartbeat.count()), o.max_frame,
                              origin_}));
    log_connected(hello.client.empty() ? std::string() : "client " + hello.client);
  }

  void refuse(const Hello& hello, ErrorCode code, const std::string& why,
              beast::websocket::close_code close) {
    ++state_.refused;
    state_.log(ServerLogEvent::Kind::refused, transport_, peer_, hello.origin,
               std::string(to_string(code)) + ": " + why);
    end_reason_ = why;
    send(encode_frame(Error{0, code, why}));
    close_after_writes(close, to_string(code));
  }

  // A frame that breaks the protocol: Error, then close.
  void fail(const ProtocolError& e) {
    ++state_.protocol_errors;
    state_.log(ServerLogEvent::Kind::protocol_error, transport_, peer_, origin_, e.what());
    end_reason_ = e.what();
    send(encode_frame(error_frame(e)));
    close_after_writes(e.code == ErrorCode::frame_too_large
                           ? beast::websocket::close_code::too_big
                           : beast::websocket::close_code::policy_error,
                       to_string(e.code));
  }

  auto answer() {
    return [self = self()](Frame f) { self->send(encode_frame(f)); };
  }

  void on_frame(Hello&) {
    fail(ProtocolError(ErrorCode::bad_request, "Hello was already received"));
  }
  void on_frame(Push& p) { run_push(std::move(p), answer()); }
  void on_frame(Pull& p) { run_pull(p, answer()); }
  void on_frame(Subscribe& s) { state_.router.subscribe(s.channel, id_, self()); }
  void on_frame(Unsubscribe& u) { state_.router.unsubscribe(u.channel, id_); }
  void on_frame(Publish& p) { state_.router.publish(p, id_, origin_); }
  void on_frame(Request& r) {
    const auto& o = state_.options;
    const auto timeout = r.timeout_ms == 0
                             ? o.request_timeout
                             : std::min<std::chrono::milliseconds>(
                                   std::chrono::milliseconds(r.timeout_ms), o.max_request_timeout);
    state_.router.request(r, id_, origin_, self(), strand_, timeout);
  }
  void on_frame(Reply& r) {
    if (!state_.router.reply(r, id_)) {
      state_.log(ServerLogEvent::Kind::info, transport_, peer_, origin_,
                 "Reply to request_ref " + std::to_string(r.request_ref) +
                     " ignored: not pending for this connection (timed out or answered)");
    }
  }
  void on_frame(Ping& p) { send(encode_frame(Pong{p.nonce})); }
  template <class ServerFrame>
  void on_frame(ServerFrame&) {}  // to-client frames were refused before

  // ---- writing ----

  void send(std::string bytes) {
    if (closed_ || close_queued_) return;
    queued_bytes_ += bytes.size();
    if (queued_bytes_ > max_queued_bytes()) {
      // A reader this slow would hold unbounded memory; it reconnects and pulls instead.
      end_reason_ = "too slow: " + std::to_string(queued_bytes_) + " bytes waiting to be sent";
      state_.log(ServerLogEvent::Kind::info, transport_, peer_, origin_, end_reason_);
      closed_ = true;
      ws_.next_layer().close();
      return;
    }
    queue_.push_back(Out{std::move(bytes)});
    write_next();
  }

  void send_poke() {
    if (poke_queued_ || closed_ || close_queued_) return;  // one Poke waiting is enough
    poke_queued_ = true;
    queue_.push_back(Out{{}, true});
    write_next();
  }

  std::size_t max_queued_bytes() const {
    return std::max<std::size_t>(std::size_t{64} << 20, 4 * state_.options.max_frame);
  }

  void write_next() {
    if (writing_ || closed_) return;
    if (queue_.empty()) {
      if (close_queued_ && !close_started_) {
        close_started_ = true;
        ws_.async_close(close_reason_,
                        [self = self()](beast::error_code) { self->closed_ = true; });
      }
      return;
    }
    Out& out = queue_.front();
    if (out.poke) {
      out.bytes = encode_frame(Poke{state_.head()});
      poke_queued_ = false;
    }
    writing_ = true;
    ws_.async_write(asio::buffer(out.bytes), [self = self()](beast::error_code ec, std::size_t n) {
      self->on_write(ec, n);
    });
  }

  void on_write(beast::error_code ec, std::size_t n) {
    writing_ = false;
    if (!queue_.front().poke) queued_bytes_ -= queue_.front().bytes.size();
    queue_.pop_front();
    if (ec) {
      closed_ = true;
      queue_.clear();
      if (end_reason_.empty()) end_reason_ = "write failed: " + ec.message();
      return;
    }
    state_.bytes_out += n;
    write_next();
  }

  void close_after_writes(beast::websocket::close_code code, std::string_view reason) {
    if (close_queued_) return;
    close_queued_ = true;
    phase_ = Phase::closing;
    close_reason_ = beast::websocket::close_reason(code, reason);
    write_next();
  }

  // The server stops: held pulls are answered now, pulls being read are answered when read,
  // and then Error{shutting_down} and the close frame go out behind them. Nothing more is read.
  void on_shutdown() {
    stop_requested_ = true;
    release_held_pulls();
    if (phase_ == Phase::handshake) return;  // on_accept comes back here
    if (requests_in_progress_ == 0) close_for_shutdown();
  }
  void close_for_shutdown() {
    if (closed_ || close_queued_) return;
    if (end_reason_.empty()) end_reason_ = "the server is stopping";
    send(encode_frame(Error{0, ErrorCode::shutting_down, "the server is stopping; reconnect"}));
    close_after_writes(beast::websocket::close_code::going_away, "shutting_down");
  }

  beast::websocket::stream<Stream> ws_;  // over TLS when the server has a certificate
  beast::http::request<beast::http::string_body> upgrade_;
  beast::flat_buffer buffer_;
  std::deque<Out> queue_;
  std::size_t queued_bytes_ = 0;
  beast::websocket::close_reason close_reason_;
  Phase phase_ = Phase::handshake;
  bool reading_ = false;
  bool writing_ = false;
  bool poke_queued_ = false;
  bool close_queued_ = false;
  bool close_started_ = false;
  bool closed_ = false;
  bool welcomed_ = false;
  bool stop_requested_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
