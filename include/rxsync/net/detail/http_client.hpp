// rxsync/net/detail/http_client.hpp - one keep-alive HTTP/1.1 (or HTTPS) connection, requests
// in order (internal to NetTransport).
//
// The HTTP modes send pushes and pulls as requests; the long-poll mode holds a request open on
// a second client. Requests queue and go one at a time (no pipelining). Every request has a
// deadline on the owner's scheduler: a request without an answer by then fails, and the
// connection is closed (its state is unknown). Threading: every member runs on the owner's
// strand; callbacks are called there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <rxsync/core/subscription.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/net_transport_options.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using Strand = asio::strand<asio::io_context::executor_type>;

// Frames are written whole: with Nagle's algorithm a small frame after a large one waits for
// the peer's delayed ACK (tens of milliseconds per round trip).
inline void set_no_delay(asio::ip::tcp::socket& socket) {
  beast::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
}

// The owner's clock and timers: the injected Scheduler, type-erased.
struct Timers {
  std::function<TimePoint()> now;
  std::function<Subscription(Duration, std::function<void()>)> after;
};

// How the client speaks TLS to wss:// and https:// servers: the settings every connection shares
// (null when no server needs TLS), and whether certificates are checked against the URL's host.
struct ClientTls {
  std::shared_ptr<TlsContext> context;
  bool verify = true;
};

// A new, unconnected stream to `url`: over TLS for wss:// and https://.
inline Stream client_stream(const Strand& strand, const ServerUrl& url, const ClientTls& tls) {
  return url.tls() ? Stream(beast::tcp_stream(strand), tls.context)
                   : Stream(beast::tcp_stream(strand));
}

// Connects `stream` to one of `endpoints` and, over TLS, does the handshake, checking the
// certificate against the URL's host. Calls done("") when the stream is ready, done(why)
// otherwise ("connect: ...", "TLS handshake: ..."), on the strand. `done` must keep the stream
// alive (it owns what owns the stream).
template <class Done>
void connect_stream(Stream& stream, const Strand& strand,
                    const asio::ip::tcp::resolver::results_type& endpoints, const ServerUrl& url,
                    bool verify, Done done) {
  stream.tcp().async_connect(
      endpoints, asio::bind_executor(strand, [&stream, strand, host = url.host, verify,
                                              done = std::move(done)](beast::error_code ec,
                                                                      const auto&) mutable {
        if (ec) return done("connect: " + ec.message());
        set_no_delay(stream.tcp().socket());
        if (!stream.is_tls()) return done(std::string());
        stream.expect_server(host, verify);
        stream.async_handshake(beast::role_type::client,
                               asio::bind_executor(strand, [&stream, done = std::move(done)](
                                                               beast::error_code e) mutable {
                                 if (e) return done("TLS handshake: " + stream.describe_error(e));
                                 done(std::string());
                               }));
      }));
}

class HttpClient : public std::enable_shared_from_this<HttpClient> {
 public:
  struct Response {
    bool ok = false;  // an answer arrived (whatever its status)
    unsigned status = 0;
    std::string body;
    std::string error;  // why there is no answer
  };
  using Done = std::function<void(Response)>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  HttpClient(Strand strand, ServerUrl url, std::size_t max_body, Timers timers, ClientTls tls)
      : strand_(std::move(strand)),
        url_(std::move(url)),
        max_body_(max_body),
        timers_(std::move(timers)),
        tls_(std::move(tls)),
        resolver_(strand_) {}

  // Queues a request; `done` is called once, on the strand.
  void request(http::verb method, std::string target, std::string body, Headers headers,
               Duration timeout, Done done) {
    auto req = std::make_shared<http::request<http::string_body>>(method, target, 11);
    req->set(http::field::host, host_and_port(url_));
    req->set(http::field::user_agent, "rxsync");
    for (auto& [k, v] : headers) req->set(k, v);
    if (!body.empty() || method == http::verb::post) {
      req->set(http::field::content_type, "application/x-rxsync-frame");
      req->body() = std::move(body);
      req->prepare_payload();
    }
    queue_.push_back(Pending{std::move(req), timeout, std::move(done)});
    if (!busy_) next();
  }

  // Fails the request in progress and every queued one with `why`, and closes the connection.
  void close(const std::string& why) {
    closed_ = true;
    std::deque<Pending> failed;
    failed.swap(queue_);
    if (current_) failed.push_front(std::move(*current_));
    current_.reset();
    reset_connection();
    for (auto& p : failed) p.done(Response{false, 0, {}, why});
  }

 private:
  // Operations in flight refer to the request, the stream, the buffer and the parser: each is
  // shared with the handlers, so a request that times out (and is forgotten here) leaves them
  // alive until its cancelled operation completes.
  struct Pending {
    std::shared_ptr<http::request<http::string_body>> req;
    Duration timeout;
    Done done;
    bool retried = false;  // already sent again once on a fresh connection
  };
  struct Conn {
    explicit Conn(Stream s) : stream(std::move(s)) {}
    Stream stream;
    beast::flat_buffer buffer;
    std::optional<http::response_parser<http::string_body>> parser;
  };

  void next() {
    if (closed_ || queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    current_.emplace(std::move(queue_.front()));
    queue_.pop_front();
    const std::uint64_t id = ++request_id_;
    deadline_.unsubscribe();
    deadline_ = timers_.after(current_->timeout, [weak = weak_from_this(), id] {
      if (auto self = weak.lock()) {
        asio::post(self->strand_, [self, id] {
          if (self->request_id_ == id && self->current_)
            self->finish(Response{false, 0, {}, "no answer within the request timeout"});
        });
      }
    });
    if (conn_) {
      write(id, true);
    } else {
      connect(id);
    }
  }

  // A kept-alive connection the server has closed meanwhile (it closes idle ones) fails the
  // next request before any answer: send it once more on a fresh connection. Pushes and pulls
  // are idempotent, so a request that did reach the server is harmless to repeat.
  bool retry_on_fresh_connection(std::uint64_t id, bool reused, bool answer_started) {
    if (!reused || answer_started || current_->retried) return false;
    current_->retried = true;
    reset_connection();
    connect(id);
    return true;
  }

  void connect(std::uint64_t id) {
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        asio::bind_executor(strand_, [self = shared_from_this(), id](
                                         beast::error_code ec,
                                         asio::ip::tcp::resolver::results_type results) {
          if (self->request_id_ != id || !self->current_) return;
          if (ec) return self->finish(Response{false, 0, {}, "resolve: " + ec.message()});
          auto conn = std::make_shared<Conn>(client_stream(self->strand_, self->url_, self->tls_));
          self->conn_ = conn;
          connect_stream(conn->stream, self->strand_, results, self->url_, self->tls_.verify,
                         [self, id, conn](const std::string& error) {
                           if (self->request_id_ != id || !self->current_) return;
                           if (!error.empty()) return self->finish(Response{false, 0, {}, error});
                           self->write(id, false);
                         });
        }));
  }

  void write(std::uint64_t id, bool reused) {
    auto conn = conn_;
    auto req = current_->req;
    http::async_write(
        conn->stream, *req,
        asio::bind_executor(strand_, [self = shared_from_this(), id, conn, req, reused](
                                         beast::error_code ec, std::size_t) {
          if (self->request_id_ != id || !self->current_) return;
          if (ec && self->retry_on_fresh_connection(id, reused, false)) return;
          if (ec) return self->finish(Response{false, 0, {}, "write: " + ec.message()});
          conn->parser.emplace();
          conn->parser->body_limit(self->max_body_);
          http::async_read(
              conn->stream, conn->buffer, *conn->parser,
              asio::bind_executor(
                  self->strand_, [self, id, conn, reused](beast::error_code e, std::size_t) {
                    if (self->request_id_ != id || !self->current_) return;
                    if (e && self->retry_on_fresh_connection(id, reused, conn->parser->got_some()))
                      return;
                    if (e) return self->finish(Response{false, 0, {}, "read: " + e.message()});
                    auto res = conn->parser->release();
                    const bool keep = res.keep_alive();
                    Response r{true, res.result_int(), std::move(res.body()), {}};
                    if (!keep) self->reset_connection();
                    self->finish(std::move(r));
                  }));
        }));
  }

  void finish(Response r) {
    deadline_.unsubscribe();
    if (!r.ok) reset_connection();  // a failed exchange leaves the connection in doubt
    Pending done = std::move(*current_);
    current_.reset();
    ++request_id_;  // late completions of the finished request are ignored
    done.done(std::move(r));
    next();
  }

  void reset_connection() {
    if (conn_) {
      conn_->stream.close();  // operations in flight complete with operation_aborted
      conn_.reset();
    }
  }

  Strand strand_;
  ServerUrl url_;
  std::size_t max_body_;
  Timers timers_;
  ClientTls tls_;
  asio::ip::tcp::resolver resolver_;
  std::shared_ptr<Conn> conn_;
  std::deque<Pending> queue_;
  std::optional<Pending> current_;
  std::uint64_t request_id_ = 0;
  Subscription deadline_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
