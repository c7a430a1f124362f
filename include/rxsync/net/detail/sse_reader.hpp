// rxsync/net/detail/sse_reader.hpp - reads a Server-Sent Events stream (internal).
//
// GET /v1/events on its own connection (TLS for https://), then every event (name and data) as it
// arrives, and the end of the stream. Comment lines (keep-alives) count as signs of life.
// Threading: runs on the owner's strand; callbacks are called there. close() ends it without a
// callback.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <rxsync/net/detail/http_client.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/net_transport_options.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Splits an event stream into events. Fed arbitrary chunks; lines end with \n or \r\n.
class SseParser {
 public:
  // on_event(name, data) for each event; on_comment() for each comment line.
  template <class OnEvent, class OnComment>
  void feed(std::string_view chunk, OnEvent&& on_event, OnComment&& on_comment) {
    line_.append(chunk.data(), chunk.size());
    std::size_t start = 0;
    for (std::size_t nl; (nl = line_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(line_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {  // the blank line ends an event
        if (!data_.empty() || !event_.empty()) {
          if (!data_.empty() && data_.back() == '\n') data_.pop_back();
          on_event(event_.empty() ? std::string("message") : event_, data_);
        }
        event_.clear();
        data_.clear();
      } else if (line.front() == ':') {
        on_comment();
      } else {
        const auto colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value =
            colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (field == "event") event_ = std::string(value);
        if (field == "data") {
          data_.append(value.data(), value.size());
          data_ += '\n';
        }
      }
    }
    line_.erase(0, start);
    if (line_.size() > kMaxLine) line_.clear();  // a runaway line: drop it rather than grow
  }

 private:
  static constexpr std::size_t kMaxLine = 1 << 20;
  std::string line_;
  std::string event_;
  std::string data_;
};

class SseReader : public std::enable_shared_from_this<SseReader> {
 public:
  using OnEvent = std::function<void(const std::string& name, const std::string& data)>;
  using OnAlive = std::function<void()>;
  using OnEnd = std::function<void(const std::string& why)>;

  SseReader(Strand strand, ServerUrl url, std::vector<std::pair<std::string, std::string>> headers,
            const ClientTls& tls)
      : strand_(std::move(strand)),
        url_(std::move(url)),
        headers_(std::move(headers)),
        verify_(tls.verify),
        resolver_(strand_),
        stream_(client_stream(strand_, url_, tls)) {}

  void start(OnEvent on_event, OnAlive on_alive, OnEnd on_end) {
    on_event_ = std::move(on_event);
    on_alive_ = std::move(on_alive);
    on_end_ = std::move(on_end);
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        asio::bind_executor(
            strand_, [self = shared_from_this()](beast::error_code ec,
                                                 asio::ip::tcp::resolver::results_type results) {
              if (ec) return self->end("resolve: " + ec.message());
              connect_stream(self->stream_, self->strand_, results, self->url_, self->verify_,
                             [self](const std::string& error) {
                               if (!error.empty()) return self->end(error);
                               self->send_request();
                             });
            }));
  }

  void close() {
    closed_ = true;
    resolver_.cancel();
    stream_.close();
  }

 private:
  void send_request() {
    req_ = http::request<http::empty_body>(http::verb::get, "/v1/events", 11);
    req_.set(http::field::host, host_and_port(url_));
    req_.set(http::field::accept, "text/event-stream");
    for (auto& [k, v] : headers_) req_.set(k, v);
    http::async_write(
        stream_, req_,
        asio::bind_executor(
            strand_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
              if (ec) return self->end("write: " + ec.message());
              self->parser_.emplace();
              self->parser_->body_limit(boost::none);
              http::async_read_header(
                  self->stream_, self->buffer_, *self->parser_,
                  asio::bind_executor(self->strand_, [self](beast::error_code e, std::size_t) {
                    if (e) return self->end("read: " + e.message());
                    const unsigned status = self->parser_->get().result_int();
                    if (status != 200)
                      return self->end("/v1/events answered " + std::to_string(status));
                    self->read_body();
                  }));
            }));
  }

  void read_body() {
    auto& body = parser_->get().body();
    body.data = chunk_;
    body.size = sizeof(chunk_);
    http::async_read_some(
        stream_, buffer_, *parser_,
        asio::bind_executor(
            strand_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
              const std::size_t n = sizeof(self->chunk_) - self->parser_->get().body().size;
              if (ec == http::error::need_buffer) ec = {};
              if (n > 0 && !self->closed_) {
                self->parser_text_.feed(
                    std::string_view(self->chunk_, n),
                    [&](const std::string& name, const std::string& data) {
                      if (!self->closed_) self->on_event_(name, data);
                    },
                    [&] {
                      if (!self->closed_) self->on_alive_();
                    });
              }
              if (ec) return self->end("event stream ended: " + ec.message());
              if (self->parser_->is_done()) return self->end("event stream ended by the server");
              self->read_body();
            }));
  }

  void end(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    on_end_(why);
  }

  Strand strand_;
  ServerUrl url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool verify_;
  asio::ip::tcp::resolver resolver_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> req_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  char chunk_[4096];
  SseParser parser_text_;
  OnEvent on_event_;
  OnAlive on_alive_;
  OnEnd on_end_;
  bool closed_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
