// rxsync/net/detail/client_frames.hpp - what ClientCore sends and how it handles what comes
// back (internal): frames from the WebSocket, the SSE and long-poll watches, and the HTTP
// requests of pushes and pulls.
//
// Runs on ClientCore's strand, like the rest of it.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

#include <rxsync/net/detail/client_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

inline void ClientCore::on_frame(const std::string& bytes) {
  Frame frame;
  try {
    frame = decode_frame(bytes, options_.max_frame);
  } catch (const ProtocolError& e) {
    return connection_lost(std::string("bad frame from the server: ") + e.what());
  }
  const auto take = [&](std::uint64_t id) -> std::optional<Waiting> {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return std::nullopt;  // answered after its timeout
    Waiting w = std::move(it->second);
    waiting_.erase(it);
    w.timer.unsubscribe();
    return w;
  };
  std::visit(
      [&](auto& f) {
        using F = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<F, Welcome>) {
          if (!online_) became_online(f.epoch);
        } else if constexpr (std::is_same_v<F, Ack>) {
          if (auto w = take(f.request_id); w && std::holds_alternative<PushDone>(w->done))
            std::get<PushDone>(w->done)(std::move(f.outcomes), {});
        } else if constexpr (std::is_same_v<F, Changes>) {
          if (auto w = take(f.request_id); w && std::holds_alternative<PullReply>(w->done))
            std::get<PullReply>(w->done)(std::move(f), {});
        } else if constexpr (std::is_same_v<F, Poke>) {
          if (callbacks_.poke) callbacks_.poke(f.head);
        } else if constexpr (std::is_same_v<F, Message>) {
          if (callbacks_.message)
            callbacks_.message(ChannelMessage{std::move(f.channel), std::move(f.type),
                                              std::move(f.payload), std::move(f.from),
                                              f.request_ref});
        } else if constexpr (std::is_same_v<F, Response>) {
          if (auto w = take(f.request_id); w && std::holds_alternative<RequestDone>(w->done))
            std::get<RequestDone>(w->done)(
                ChannelReply{std::move(f.type), std::move(f.payload), f.is_error},
                ErrorCode::internal, {});
        } else if constexpr (std::is_same_v<F, Error>) {
          const std::string text = std::string(to_string(f.code)) + ": " + f.text;
          if (f.request_id == 0) {
            // The server refused the connection (a bad token, a wrong origin) or is stopping.
            return attempt_failed("the server closed the connection: " + text);
          }
          if (auto w = take(f.request_id)) fail(*w, f.code, text);
        }
        // Pong: a sign of life, already counted. Client-to-server frames: ignored.
      },
      frame);
}

inline std::uint64_t ClientCore::wait_for(std::variant<PushDone, PullReply, RequestDone> done,
                                          Duration timeout) {
  const std::uint64_t id = ++next_id_;
  Waiting& w = waiting_[id];
  w.done = std::move(done);
  w.timer = after(timeout, [id](ClientCore& c) {
    auto it = c.waiting_.find(id);
    if (it == c.waiting_.end()) return;
    Waiting late = std::move(it->second);
    c.waiting_.erase(it);
    fail(late, ErrorCode::timeout, "no answer within the request timeout");
  });
  return id;
}

inline void ClientCore::send_push(std::vector<WireChange> changes, PushDone done) {
  if (!online_) return done(std::nullopt, "not connected");
  if (ws_) {
    const std::uint64_t id = wait_for(std::move(done), options_.request_timeout);
    return send_ws(Push{id, std::move(changes)});
  }
  const std::string body = encode_frame(Push{++next_id_, std::move(changes)});
  http_->request(
      http::verb::post, "/v1/push", body, auth_headers(), options_.request_timeout,
      [self = shared_from_this(), gen = generation_,
       done = std::move(done)](HttpClient::Response r) {
        if (!r.ok) {
          done(std::nullopt, r.error);
          if (self->generation_ == gen) self->connection_lost(r.error);
          return;
        }
        try {
          Frame f = decode_frame(r.body, self->options_.max_frame);
          if (auto* ack = std::get_if<Ack>(&f); ack && r.status == 200)
            return done(std::move(ack->outcomes), {});
          if (auto* err = std::get_if<Error>(&f))
            return done(std::nullopt, "HTTP " + std::to_string(r.status) + ": " + err->text);
          done(std::nullopt, "unexpected answer to a push (HTTP " + std::to_string(r.status) + ")");
        } catch (const ProtocolError& e) {
          done(std::nullopt, "HTTP " + std::to_string(r.status) + ": " + e.what());
        }
      });
}

inline void ClientCore::send_pull(std::uint64_t cursor, PullReply done) {
  if (!online_) return done(std::nullopt, "not connected");
  Pull pull{0, cursor, options_.pull_limit, 0};
  if (ws_) {
    pull.request_id = wait_for(std::move(done), options_.request_timeout);
    return send_ws(pull);
  }
  pull.request_id = ++next_id_;
  http_->request(
      http::verb::post, "/v1/pull", encode_frame(pull), auth_headers(), options_.request_timeout,
      [self = shared_from_this(), gen = generation_,
       done = std::move(done)](HttpClient::Response r) {
        if (!r.ok) {
          done(std::nullopt, r.error);
          if (self->generation_ == gen) self->connection_lost(r.error);
          return;
        }
        try {
          Frame f = decode_frame(r.body, self->options_.max_frame);
          if (auto* ch = std::get_if<Changes>(&f); ch && r.status == 200)
            return done(std::move(*ch), {});
          if (auto* err = std::get_if<Error>(&f))
            return done(std::nullopt, "HTTP " + std::to_string(r.status) + ": " + err->text);
          done(std::nullopt, "unexpected answer to a pull");
        } catch (const ProtocolError& e) {
          done(std::nullopt, e.what());
        }
      });
}

inline void ClientCore::send_request(Request r, Duration timeout, RequestDone done) {
  if (!ws_online()) {
    return done(std::nullopt, ErrorCode::bad_request,
                online_ ? "channels need the websocket mode" : "not connected");
  }
  r.request_id = wait_for(std::move(done), timeout);
  r.timeout_ms = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  send_ws(r);
}

inline void ClientCore::connect_sse(const ServerUrl& url) {
  sse_ = std::make_shared<SseReader>(strand_, url, auth_headers(), tls_);
  const std::uint64_t gen = generation_;
  sse_->start(
      [this, self = shared_from_this(), gen](const std::string& name, const std::string& data) {
        if (generation_ != gen) return;
        last_heard_ = timers_.now();
        std::uint64_t a = 0, b = 0;
        const char* p = data.data();
        const char* end = data.data() + data.size();
        auto r1 = std::from_chars(p, end, a);
        if (name == "welcome") {
          // data: <epoch> <head>
          if (r1.ec == std::errc() && r1.ptr < end) (void)std::from_chars(r1.ptr + 1, end, b);
          if (!online_) became_online(a);
        } else if (name == "poke" && r1.ec == std::errc()) {
          if (callbacks_.poke) callbacks_.poke(a);
        }
      },
      [this, self = shared_from_this(), gen] {
        if (generation_ == gen) last_heard_ = timers_.now();
      },
      [this, self = shared_from_this(), gen](const std::string& why) {
        if (generation_ == gen) attempt_failed(why);
      });
}

// The long-poll watch: /v1/head answers once the head differs from `after_head` (or the wait
// ends); a new head is a poke. The first call (wait 0) is the connection check.
inline void ClientCore::watch_head(std::uint64_t after_head, Duration wait) {
  const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  watch_->request(
      http::verb::get,
      "/v1/head?after=" + std::to_string(after_head) + "&wait=" + std::to_string(wait_ms), {},
      auth_headers(), wait + options_.request_timeout,
      [self = shared_from_this(), gen = generation_, after_head](HttpClient::Response r) {
        if (self->generation_ != gen) return;
        if (!r.ok) return self->attempt_failed("/v1/head: " + r.error);
        std::uint64_t head = 0;
        if (r.status != 200 ||
            std::from_chars(r.body.data(), r.body.data() + r.body.size(), head).ec != std::errc())
          return self->attempt_failed("/v1/head answered " + std::to_string(r.status));
        if (!self->online_) {
          self->became_online(0);
        } else if (head != after_head && self->callbacks_.poke) {
          self->callbacks_.poke(head);
        }
        self->watch_head(head, self->options_.long_poll_wait);
      });
}

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
