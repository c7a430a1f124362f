// rxsync/net/detail/http_session.hpp - one HTTP/1.1 connection of a SyncServer: the TLS
// handshake when the server has a certificate, then routes each request (docs/net.md,
// "Endpoints"), and hands the stream to a WsSession (GET /v1/ws upgrade) or an SseSession
// (GET /v1/events).
//
// Threading: everything runs on the session's strand (the executor of its socket); on_commit,
// shutdown and force_close only post to it. One request at a time per connection (keep-alive,
// no pipelining): the next one is read after the answer is written.
#pragma once

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <rxsync/net/detail/server_state.hpp>
#include <rxsync/net/detail/session_base.hpp>
#include <rxsync/net/detail/sse_session.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/detail/ws_session.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace http = boost::beast::http;

inline constexpr std::string_view kFrameContentType = "application/x-rxsync-frame";

// The HTTP status that reports an ErrorCode.
inline http::status http_status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::unauthorized:
      return http::status::unauthorized;
    case ErrorCode::forbidden_origin:
      return http::status::forbidden;
    case ErrorCode::frame_too_large:
      return http::status::payload_too_large;
    case ErrorCode::shutting_down:
    case ErrorCode::overloaded:
      return http::status::service_unavailable;
    case ErrorCode::internal:
      return http::status::internal_server_error;
    default:
      return http::status::bad_request;
  }
}

class HttpSession final : public SessionBase {
 public:
  HttpSession(ServerState& state, Stream&& stream, std::string peer)
      : SessionBase(state, stream.get_executor(), "http", std::move(peer)),
        stream_(std::move(stream)),
        head_timer_(strand_) {}

  // Any thread.
  void start() {
    asio::post(strand_, [self = self()] {
      self->register_session();
      if (self->stream_.is_tls()) {
        self->handshake();
      } else {
        self->do_read();
      }
    });
  }

  void on_commit(std::uint64_t) override {
    asio::post(strand_, [self = self()] {
      self->wake_held_pulls();
      if (self->head_wait_ && self->state_.head() != *self->head_wait_) self->answer_head();
    });
  }
  void shutdown() override {
    asio::post(strand_, [self = self()] {
      self->stopping_ = true;
      // A WebSocket or SSE session that took the socket over after stop() listed the sessions.
      if (auto next = self->successor_.lock()) next->shutdown();
      self->release_held_pulls();
      if (self->head_wait_) self->answer_head();
      // Idle between requests, or not past the TLS handshake yet: nothing to answer.
      if (self->reading_ || self->handshaking_) self->close();
    });
  }
  void force_close() override {
    asio::post(strand_, [self = self()] {
      if (auto next = self->successor_.lock()) next->force_close();
      self->close();
    });
  }

 private:
  std::shared_ptr<HttpSession> self() {
    return std::static_pointer_cast<HttpSession>(shared_from_this());
  }

  // TLS: the handshake comes before the first request, within the idle timeout. A client that
  // fails it (plain HTTP on this port, a certificate it does not trust) is refused: logged with
  // OpenSSL's reason and counted in refused_total.
  void handshake() {
    handshaking_ = true;
    stream_.tcp().expires_after(state_.options.effective_idle_timeout());
    stream_.async_handshake(beast::role_type::server, [self = self()](beast::error_code ec) {
      self->handshaking_ = false;
      if (!ec) return self->do_read();
      if (!self->stopping_) {
        ++self->state_.refused;
        self->state_.log(ServerLogEvent::Kind::refused, self->transport_, self->peer_, "",
                         "TLS handshake: " + self->stream_.describe_error(ec));
      }
      self->close();
    });
  }

  void do_read() {
    if (stopping_ || state_.stopping()) {
      close();
      return;
    }
    parser_.emplace();
    parser_->body_limit(state_.options.max_frame);
    parser_->header_limit(16 * 1024);
    stream_.tcp().expires_after(state_.options.effective_idle_timeout());
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      req_ = parser_->release();
      keep_alive_ = false;  // the rest of the body is still on the wire
      ++state_.protocol_errors;
      respond_error(
          ErrorCode::frame_too_large,
          "request body over the limit of " + std::to_string(state_.options.max_frame) + " bytes",
          true);
      return;
    }
    if (ec) {
      close();
      return;
    }
    req_ = parser_->release();
    keep_alive_ = req_.keep_alive();
    route();
  }

  void route() {
    const std::string_view target(req_.target().data(), req_.target().size());
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    query_ = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    const bool get = req_.method() == http::verb::get;
    const bool post = req_.method() == http::verb::post;
    if (path == "/v1/ws") {
      if (!state_.options.websocket) {
        // As a proxy that does not pass WebSocket upgrades answers: clients fall back to SSE.
        respond_text(http::status::not_found, "WebSocket is disabled on this server\n");
        return;
      }
      if (!get || !beast::websocket::is_upgrade(req_)) {
        respond_text(http::status::upgrade_required, "GET /v1/ws is a WebSocket upgrade\n");
        return;
      }
      auto ws = std::make_shared<WsSession>(state_, std::move(stream_), peer_);
      successor_ = ws;
      ws->start(std::move(req_));
      return;  // this session ends here; the socket lives on in the WebSocket session
    }
    if (path == "/v1/push" || path == "/v1/pull") {
      if (!post) return method_not_allowed("POST");
      return path == "/v1/push" ? on_push() : on_pull();
    }
    if (path == "/v1/head" || path == "/v1/events" || path == "/v1/digest" || path == "/healthz" ||
        path == "/metrics") {
      if (!get) return method_not_allowed("GET");
      if (path == "/v1/head") return on_head();
      if (path == "/v1/events") return on_events();
      if (path == "/v1/digest") return on_digest();
      if (path == "/healthz") {
        return state_.stopping()
                   ? respond_text(http::status::service_unavailable, "shutting down\n", false)
                   : respond_text(http::status::ok, "ok\n", false);
      }
      return respond(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                     state_.metrics_text(), false);
    }
    respond_text(http::status::not_found, "not found: " + std::string(path) + "\n");
  }

  // Authorization: Bearer <token> and X-Rxsync-Origin. On failure answers (an Error frame for
  // the frame endpoints, text for the others) and returns nullopt.
  std::optional<AuthResult> authenticate(bool frame_errors) {
    std::string_view header = to_view(req_[http::field::authorization]);
    std::string_view token;
    if (header.size() > 7 && beast::iequals(header.substr(0, 7), "Bearer ")) {
      token = header.substr(7);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    }
    const std::string_view origin = to_view(req_["X-Rxsync-Origin"]);
    AuthResult auth = state_.authorize(token, origin);
    if (auth.ok) return auth;
    ++state_.refused;
    state_.log(ServerLogEvent::Kind::refused, transport_, peer_, origin,
               std::string(to_string(auth.code)) + ": " + auth.reason);
    respond_error(auth.code, auth.reason, frame_errors);
    return std::nullopt;
  }

  // The request body as one frame of type F; otherwise answers 4xx and returns nullopt.
  template <class F>
  std::optional<F> body_frame() {
    state_.bytes_in += req_.body().size();
    try {
      Frame frame = decode_frame(req_.body(), state_.options.max_frame);
      if (auto* f = std::get_if<F>(&frame)) return std::move(*f);
      respond_error(ErrorCode::bad_request,
                    std::string(to_string(F::kType)) + " frame expected, got " +
                        std::string(to_string(frame_type_of(frame))),
                    true);
    } catch (const ProtocolError& e) {
      ++state_.protocol_errors;
      state_.log(ServerLogEvent::Kind::protocol_error, transport_, peer_, origin_, e.what());
      respond_error(e.code, e.what(), true);
    }
    return std::nullopt;
  }

  void on_push() {
    auto auth = authenticate(true);
    if (!auth) return;
    if (auth->origin.empty()) {
      respond_error(ErrorCode::bad_request, "name the pushing device in X-Rxsync-Origin", true);
      return;
    }
    origin_ = auth->origin;
    auto push = body_frame<Push>();
    if (!push) return;
    run_push(std::move(*push), [self = self()](Frame f) { self->respond_frame(f); });
  }

  void on_pull() {
    auto auth = authenticate(true);
    if (!auth) return;
    origin_ = auth->origin;
    auto pull = body_frame<Pull>();
    if (!pull) return;
    run_pull(*pull, [self = self()](Frame f) { self->respond_frame(f); });
  }

  // GET /v1/head?after=CURSOR&wait=MS
  void on_head() {
    if (!authenticate(false)) return;
    const auto after = query_number("after");
    const auto wait = query_number("wait");
    if (!after || !wait) {
      respond_text(http::status::bad_request, "after and wait must be decimal numbers\n");
      return;
    }
    if (!after->has_value() || state_.head() != **after || wait->value_or(0) == 0 || stopping_) {
      answer_head();
      return;
    }
    head_wait_ = **after;
    ++state_.long_polls;
    const auto ms = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(**wait),
                                                        state_.options.max_long_poll);
    head_timer_.expires_after(ms);
    head_timer_.async_wait([self = self(), generation = ++head_generation_](beast::error_code) {
      if (self->head_wait_ && generation == self->head_generation_) self->answer_head();
    });
  }

  void answer_head() {
    if (head_wait_) {
      head_wait_.reset();
      ++head_generation_;
      head_timer_.cancel();
      --state_.long_polls;
    }
    respond(http::status::ok, "text/plain", std::to_string(state_.head()) + "\n");
  }

  void on_events() {
    auto auth = authenticate(false);
    if (!auth) return;
    if (state_.stopping()) {
      respond_text(http::status::service_unavailable, "shutting down\n");
      return;
    }
    auto sse =
        std::make_shared<SseSession>(state_, std::move(stream_), peer_, std::move(auth->origin));
    successor_ = sse;
    sse->start();
  }

  void on_digest() {
    asio::post(store_, [self = self()] {
      std::string line;
      bool ok = true;
      try {
        line = self->state_.core.digest_line() + "\n";
      } catch (const std::exception& e) {
        ok = false;
        line = std::string("server storage: ") + e.what() + "\n";
      }
      asio::post(self->strand_, [self, ok, line = std::move(line)]() mutable {
        self->respond(ok ? http::status::ok : http::status::internal_server_error, "text/plain",
                      std::move(line));
      });
    });
  }

  // nullopt: malformed; an empty optional inside: absent.
  std::optional<std::optional<std::uint64_t>> query_number(std::string_view name) const {
    std::string_view rest = query_;
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      const std::size_t eq = pair.find('=');
      if (pair.substr(0, eq) != name) continue;
      const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      std::uint64_t n = 0;
      const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (err != std::errc() || end != value.data() + value.size() || value.empty())
        return std::nullopt;
      return std::optional<std::uint64_t>(n);
    }
    return std::optional<std::optional<std::uint64_t>>(std::in_place);
  }

  void respond_frame(const Frame& f) {
    const auto* error = std::get_if<Error>(&f);
    respond(error != nullptr ? http_status_of(error->code) : http::status::ok, kFrameContentType,
            encode_frame(f));
  }

  void respond_error(ErrorCode code, const std::string& why, bool as_frame) {
    if (as_frame) {
      respond_frame(Error{0, code, why});
    } else {
      respond(http_status_of(code), "text/plain", std::string(to_string(code)) + ": " + why + "\n");
    }
  }

  void respond_text(http::status status, std::string body, bool count = true) {
    respond(status, "text/plain", std::move(body), count);
  }

  void method_not_allowed(std::string_view allow) {
    respond(http::status::method_not_allowed, "text/plain",
            std::string(to_string(req_.method())) + " is not allowed here; use " +
                std::string(allow) + "\n",
            true, allow);
  }

  void respond(http::status status, std::string_view content_type, std::string body,
               bool count = true, std::string_view allow = {}) {
    res_ = {};
    res_.version(req_.version() == 10 ? 10 : 11);
    res_.result(status);
    res_.set(http::field::server, state_.options.server_name);
    res_.set(http::field::content_type, content_type);
    res_.set(http::field::cache_control, "no-store");
    if (!allow.empty()) res_.set(http::field::allow, allow);
    if (status == http::status::unauthorized) res_.set(http::field::www_authenticate, "Bearer");
    if (count) state_.bytes_out += body.size();
    res_.body() = std::move(body);
    res_.keep_alive(keep_alive_ && !stopping_ && !state_.stopping());
    res_.prepare_payload();
    stream_.tcp().expires_after(state_.options.effective_idle_timeout());
    http::async_write(stream_, res_, [self = self()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->close();
      } else if (!self->res_.keep_alive()) {
        self->linger_close();
      } else {
        self->do_read();
      }
    });
  }

  // Closing a socket with unread input resets the connection, and the client may then lose the
  // answer just sent (a 413 while it is still uploading): stop sending, read what is still coming
  // for a moment, then close. Over TLS too, without a close_notify: the answer carries its
  // length, so the client knows it has all of it (TLS allows this incomplete close for HTTP).
  void linger_close() {
    beast::error_code ec;
    stream_.tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.tcp().expires_after(std::chrono::seconds(2));
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(sink_),
                            [self = self()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                self->close();
                              } else {
                                self->drain();
                              }
                            });
  }

  // Safe after the stream went to a WebSocket or SSE session (then it closes nothing).
  void close() { stream_.close(); }

  static std::string_view to_view(beast::string_view s) { return {s.data(), s.size()}; }

  Stream stream_;  // plain TCP, or TLS when the server has a certificate
  beast::flat_buffer buffer_;
  std::array<char, 4096> sink_{};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  std::string_view query_;  // into req_'s target
  asio::steady_timer head_timer_;
  std::optional<std::uint64_t> head_wait_;  // the `after` of a held /v1/head
  std::uint64_t head_generation_ = 0;
  std::weak_ptr<ServerSession> successor_;  // the session the socket was handed to
  bool keep_alive_ = true;
  bool reading_ = false;
  bool handshaking_ = false;
  bool stopping_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
