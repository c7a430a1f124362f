// rxsync/net/detail/sse_session.hpp - one Server-Sent Events stream of a SyncServer
// (GET /v1/events): `event: welcome` with the epoch and head, `event: poke` with the head after
// each commit that changed the state, and a `: keep-alive` comment every heartbeat.
//
// The response has no length and ends when the connection closes (the server's stop, or the
// client going away, which a pending read notices). Threading: everything runs on the
// session's strand; on_commit, shutdown and force_close only post to it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <rxsync/net/detail/server_state.hpp>
#include <rxsync/net/detail/session_base.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace beast = boost::beast;

class SseSession final : public SessionBase {
 public:
  SseSession(ServerState& state, Stream&& stream, std::string peer, std::string origin)
      : SessionBase(state, stream.get_executor(), "sse", std::move(peer)),
        stream_(std::move(stream)),
        keep_alive_(strand_) {
    origin_ = std::move(origin);
  }
  ~SseSession() override {
    if (counted_) --state_.sse_streams;
  }

  // On the strand.
  void start() {
    register_session();
    ++state_.sse_streams;
    counted_ = true;
    log_connected({});
    queue(Out{"HTTP/1.1 200 OK\r\nServer: " + state_.options.server_name +
                  "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                  "Connection: close\r\nX-Accel-Buffering: no\r\n\r\n",
              false, false});
    queue(Out{"event: welcome\ndata: " + std::to_string(state_.epoch()) + " " +
                  std::to_string(state_.head()) + "\n\n",
              false, true});
    stream_.tcp().expires_never();
    do_read();
    arm_keep_alive();
  }

  void on_commit(std::uint64_t) override {
    asio::post(strand_, [self = self()] { self->queue_poke(); });
  }
  void shutdown() override {
    asio::post(strand_, [self = self()] {
      if (self->end_reason_.empty()) self->end_reason_ = "the server is stopping";
      self->closing_ = true;
      self->write_next();  // ends the stream once what is queued is written
    });
  }
  void force_close() override {
    asio::post(strand_, [self = self()] { self->close_now("closed: the server stopped"); });
  }

 private:
  struct Out {
    std::string bytes;
    bool poke = false;
    bool counted = true;  // in bytes_out (the events, not the response header)
  };

  std::shared_ptr<SseSession> self() {
    return std::static_pointer_cast<SseSession>(shared_from_this());
  }

  // Clients send nothing after the request; the read ends when they go away.
  void do_read() {
    stream_.async_read_some(
        asio::buffer(sink_), [self = self()](beast::error_code ec, std::size_t) {
          if (ec) {
            self->close_now(ec == asio::error::eof ? "closed by the client" : ec.message());
            return;
          }
          self->do_read();
        });
  }

  void arm_keep_alive() {
    keep_alive_.expires_after(state_.options.heartbeat);
    keep_alive_.async_wait([self = self()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (self->queue_.empty()) self->queue(Out{": keep-alive\n\n"});
      self->arm_keep_alive();
    });
  }

  void queue_poke() {
    if (poke_queued_ || closed_ || closing_) return;
    poke_queued_ = true;
    queue(Out{{}, true});
  }

  void queue(Out out) {
    if (closed_) return;
    queue_.push_back(std::move(out));
    write_next();
  }

  void write_next() {
    if (writing_ || closed_) return;
    if (queue_.empty()) {
      if (closing_) close_now({});
      return;
    }
    Out& out = queue_.front();
    if (out.poke) {
      out.bytes = "event: poke\ndata: " + std::to_string(state_.head()) + "\n\n";
      poke_queued_ = false;
    }
    writing_ = true;
    stream_.tcp().expires_after(state_.options.effective_idle_timeout());  // a stuck reader dies
    asio::async_write(stream_, asio::buffer(out.bytes),
                      [self = self()](beast::error_code ec, std::size_t n) {
                        self->writing_ = false;
                        if (self->queue_.front().counted) self->state_.bytes_out += n;
                        self->queue_.pop_front();
                        if (ec) {
                          self->close_now("write failed: " + ec.message());
                          return;
                        }
                        self->write_next();
                      });
  }

  void close_now(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    if (end_reason_.empty()) end_reason_ = why;
    keep_alive_.cancel();
    // Over TLS without a close_notify: the client takes any end of the stream for a lost
    // connection and reconnects, so a cut-short stream costs nothing more than that.
    stream_.close();
  }

  Stream stream_;
  asio::steady_timer keep_alive_;
  std::array<char, 256> sink_{};
  std::deque<Out> queue_;
  bool writing_ = false;
  bool poke_queued_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool counted_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
