// Tests for rxsync/net/server.hpp: a SyncServer on 127.0.0.1, an OS-chosen port, over a
// MemoryServerStore, driven by small Boost.Beast clients written here (WebSocket, HTTP, raw TCP
// for SSE; HTTPS through OpenSSL's C API, in tls_support.hpp). Every wait is bounded: a client
// operation that does not complete in kTimeout fails the test, and conditions on other threads
// are polled with a deadline.
#include <rxsync/models/demo_document.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/net/server.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "net_support.hpp"
#include "rxsync_catch.hpp"
#include "tls_support.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = rxsync::net;
using asio::ip::tcp;
using namespace std::chrono_literals;
using net::ErrorCode;
using rxsync_test::contains;

namespace {

constexpr std::chrono::milliseconds kTimeout = 10s;  // generous: only a broken server hits it

// Polls `condition` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Runs handlers until `done` is set or the timeout passes.
bool run_until(asio::io_context& ioc, const bool& done,
               std::chrono::milliseconds timeout = kTimeout) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    ioc.run_one_for(deadline - now);
  }
  return true;
}

tcp::endpoint loopback(std::uint16_t port) { return {asio::ip::make_address("127.0.0.1"), port}; }

std::string encoded_key(const std::string& key) { return rxsync::DefaultCodec::encode(key); }

// A document with one chat message whose id and text are `text`.
std::string doc(const std::string& text, std::int64_t at = 1) {
  rxsync::DemoDocument d;
  d.messages.push_back(
      rxsync::ChatMessage{text, rxsync::TimePoint{rxsync::Duration{at}}, "user", text});
  return rxsync::DefaultCodec::encode(d);
}

net::WireChange change(const std::string& key, const std::string& origin, std::uint64_t version,
                       const std::string& text) {
  return {encoded_key(key), origin, version, net::ValueEncoding::full, doc(text)};
}

template <class F>
F as(const std::optional<net::Frame>& frame) {
  REQUIRE(frame.has_value());
  INFO("got a " << net::to_string(net::frame_type_of(*frame)) << " frame");
  REQUIRE(std::holds_alternative<F>(*frame));
  return std::get<F>(*frame);
}

// A WebSocket client for one test, on its own io_context (the test's thread runs it).
class WsClient {
 public:
  explicit WsClient(std::uint16_t port) : ws_(ioc_) {
    bool done = false;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).async_connect(loopback(port), [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    REQUIRE(run_until(ioc_, done));
    REQUIRE_FALSE(ec);
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));  // no 40 ms stalls
    done = false;
    ws_.async_handshake("127.0.0.1", "/v1/ws", [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    REQUIRE(run_until(ioc_, done));
    REQUIRE_FALSE(ec);
    ws_.binary(true);
  }

  void send_bytes(const std::string& bytes) {
    bool done = false;
    beast::error_code ec;
    ws_.async_write(asio::buffer(bytes), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    REQUIRE(run_until(ioc_, done));
    REQUIRE_FALSE(ec);
  }
  template <class F>
  void send(const F& frame) {
    send_bytes(net::encode_frame(frame));
  }

  // The next frame, or nullopt when the connection closed (error() says how).
  std::optional<net::Frame> read() {
    beast::flat_buffer buffer;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code e, std::size_t) {
      error_ = e;
      done = true;
    });
    if (!run_until(ioc_, done)) FAIL("no frame and no close from the server within the timeout");
    if (error_) return std::nullopt;
    return net::decode_frame(beast::buffers_to_string(buffer.data()));
  }
  template <class F>
  F expect() {
    return as<F>(read());
  }
  // The next frame of type F, skipping others (Pokes, Pongs): answers computed on the store
  // threads (Ack, Changes) may come after frames the server sent later.
  template <class F>
  F until() {
    for (;;) {
      auto f = read();
      REQUIRE(f.has_value());
      if (auto* wanted = std::get_if<F>(&*f)) return std::move(*wanted);
    }
  }
  net::Error expect_error(ErrorCode code) {
    auto e = expect<net::Error>();
    CHECK(e.code == code);
    return e;
  }
  // The server closed the connection (after what was already read).
  void expect_closed() {
    auto frame = read();
    if (frame) FAIL("expected the close, got a " << net::to_string(net::frame_type_of(*frame)));
  }

  net::Welcome hello(const std::string& origin, const std::string& token = "") {
    send(net::Hello{origin, 0, token, "server_test", 0});
    return expect<net::Welcome>();
  }
  // Frames the server sent before answering this Ping (every frame queued before it).
  std::vector<net::Frame> sync(std::uint64_t nonce = 77) {
    send(net::Ping{nonce});
    std::vector<net::Frame> before;
    for (;;) {
      auto f = read();
      REQUIRE(f.has_value());
      if (auto* pong = std::get_if<net::Pong>(&*f); pong && pong->nonce == nonce) return before;
      before.push_back(std::move(*f));
    }
  }

  beast::error_code error() const { return error_; }
  websocket::close_reason close_reason() const { return ws_.reason(); }
  asio::io_context& context() { return ioc_; }
  websocket::stream<beast::tcp_stream>& stream() { return ws_; }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::error_code error_;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  http::response<http::string_body> response;
};

// Fails with an exception rather than a Catch2 assertion: http_call also runs on other threads.
void check_step(bool completed, const beast::error_code& ec, const char* step) {
  if (!completed) throw std::runtime_error(std::string("HTTP client: ") + step + " timed out");
  if (ec) throw std::runtime_error(std::string("HTTP client: ") + step + ": " + ec.message());
}

// One HTTP request on a new connection. Thread-safe (no Catch2 assertions inside).
HttpResult http_call(std::uint16_t port, http::verb verb, const std::string& target,
                     std::string body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  bool done = false;
  beast::error_code ec;
  stream.async_connect(loopback(port), [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  check_step(run_until(ioc, done), ec, "connect");
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (verb == http::verb::post) req.set(http::field::content_type, "application/x-rxsync-frame");
  req.body() = std::move(body);
  req.prepare_payload();
  done = false;
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  check_step(run_until(ioc, done), ec, "write");
  beast::flat_buffer buffer;
  HttpResult out;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  done = false;
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  check_step(run_until(ioc, done), ec, "read");
  out.response = parser.release();
  out.status = out.response.result_int();
  out.body = out.response.body();
  return out;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

HttpResult post_frame(std::uint16_t port, const std::string& target, const net::Frame& frame,
                      const Headers& headers = {}) {
  return http_call(port, http::verb::post, target, net::encode_frame(frame), headers);
}

net::Frame frame_of(const HttpResult& r) {
  CHECK(r.response[http::field::content_type] == "application/x-rxsync-frame");
  return net::decode_frame(r.body);
}

// A raw TCP connection: what an SSE stream looks like on the wire.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(ioc_) {
    beast::error_code ec;
    socket_.connect(loopback(port), ec);
    REQUIRE_FALSE(ec);
  }
  void write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads until the text received so far contains `needle`; false on EOF or timeout.
  bool read_until(const std::string& needle) {
    while (received_.find(needle, consumed_) == std::string::npos) {
      std::array<char, 4096> chunk{};
      bool done = false;
      beast::error_code ec;
      std::size_t n = 0;
      socket_.async_read_some(asio::buffer(chunk), [&](beast::error_code e, std::size_t got) {
        ec = e;
        n = got;
        done = true;
      });
      if (!run_until(ioc_, done)) return false;
      if (ec) {
        eof_ = true;
        return false;
      }
      received_.append(chunk.data(), n);
    }
    consumed_ = received_.find(needle, consumed_) + needle.size();
    return true;
  }
  bool closed_by_server() {
    while (!eof_) {
      if (!read_until("\x01never\x01") && !eof_) return false;
    }
    return true;
  }
  const std::string& received() const { return received_; }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  std::string received_;
  std::size_t consumed_ = 0;
  bool eof_ = false;
};

// Collects the server's log events.
struct LogSink {
  std::mutex mutex;
  std::vector<net::ServerLogEvent> events;
  bool has(net::ServerLogEvent::Kind kind, const std::string& text) {
    std::lock_guard lock(mutex);
    for (const auto& e : events) {
      if (e.kind == kind && net::format_log_event(e).find(text) != std::string::npos) return true;
    }
    return false;
  }
};

// A store whose transactions wait at begin() while the gate is closed: a push "in flight".
class GatedStore final : public rxsync::ServerStore {
 public:
  std::uint64_t epoch() const override { return inner_.epoch(); }
  std::uint64_t head() const override { return inner_.head(); }
  std::unique_ptr<rxsync::ServerTransaction> begin() override {
    {
      std::unique_lock lock(mutex_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_; });
      --waiting_;
    }
    return inner_.begin();
  }
  std::vector<rxsync::StoredChange> changes_after(std::uint64_t after,
                                                  std::size_t limit) const override {
    return inner_.changes_after(after, limit);
  }
  std::optional<std::string> value(std::string_view key) const override {
    return inner_.value(key);
  }
  void for_each(
      const std::function<void(std::string_view, std::string_view)>& visit) const override {
    inner_.for_each(visit);
  }

  void set_open(bool open) {
    std::lock_guard lock(mutex_);
    open_ = open;
    changed_.notify_all();
  }
  bool wait_for_waiters(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return waiting_ >= n; });
  }

 private:
  rxsync::MemoryServerStore inner_{42};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
};

net::ServerOptions quiet_anonymous(const std::shared_ptr<LogSink>& sink = nullptr) {
  net::ServerOptions o;
  o.allow_anonymous = true;
  o.log = nullptr;
  if (sink) {
    o.log = [sink](const net::ServerLogEvent& e) {
      std::lock_guard lock(sink->mutex);
      sink->events.push_back(e);
    };
  }
  return o;
}

template <class Store = rxsync::MemoryServerStore>
struct Fixture {
  explicit Fixture(net::ServerOptions o = quiet_anonymous())
      : core(store, rxsync::typed_merger<rxsync::DemoDocument>(),
             rxsync::typed_validator<rxsync::DemoDocument>()),
        server(core, std::move(o)) {
    server.start();
  }
  std::uint16_t port() const { return server.port(); }
  std::vector<rxsync::ServerOutcome> push_direct(const std::string& key, const std::string& origin,
                                                 std::uint64_t version, const std::string& text) {
    const std::vector<rxsync::ServerChange> c{{encoded_key(key), doc(text), origin, version, 0}};
    return core.push(c);
  }

  Store store;
  rxsync::ServerCore core;
  net::SyncServer server;
};

std::string metric_line(const std::string& metrics, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const auto at = metrics.find(prefix);
  if (at == std::string::npos) return "(missing " + name + ")";
  return metrics.substr(at + 1, metrics.find('\n', at + 1) - at - 1);
}

}  // namespace

// ---- WebSocket ---------------------------------------------------------------------------------

TEST_CASE("WebSocket: Hello is answered by Welcome with the epoch, head and limits", "[server]") {
  auto o = quiet_anonymous();
  o.heartbeat = 2500ms;
  o.max_frame = 1 << 20;
  o.server_name = "test-server/1";
  Fixture f(std::move(o));
  REQUIRE(f.port() != 0);
  WsClient c(f.port());
  const auto w = c.hello("phone");
  CHECK(w.epoch == f.core.epoch());
  CHECK(w.head == f.core.head_cursor());
  CHECK(w.server == "test-server/1");
  CHECK(w.heartbeat_ms == 2500);
  CHECK(w.max_frame == (1u << 20));
  CHECK(w.origin == "phone");
  CHECK(eventually([&] { return f.server.stats().websocket_sessions == 1; }));
}

TEST_CASE("WebSocket: a push is acknowledged after the commit, and a pull returns it", "[server]") {
  Fixture f;
  WsClient c(f.port());
  c.hello("phone");
  c.send(
      net::Push{5, {change("thread/a", "phone", 1, "hi"), change("thread/b", "phone", 1, "yo")}});
  net::Ack ack;
  for (;;) {  // a Poke may come first: the commit notifies before the Ack is queued
    auto frame = c.read();
    REQUIRE(frame.has_value());
    if (std::holds_alternative<net::Poke>(*frame)) continue;
    ack = as<net::Ack>(frame);
    break;
  }
  CHECK(ack.request_id == 5);
  REQUIRE(ack.outcomes.size() == 2);
  CHECK(ack.outcomes[0].kind == rxsync::ItemOutcome::ok);
  CHECK(ack.outcomes[1].kind == rxsync::ItemOutcome::ok);
  CHECK(f.core.value(encoded_key("thread/a")) == doc("hi"));  // committed before the Ack

  c.send(net::Pull{6, 0, 0, 0});
  const auto page = c.until<net::Changes>();
  CHECK(page.request_id == 6);
  REQUIRE(page.changes.size() == 2);
  CHECK(page.changes[0].key == encoded_key("thread/a"));
  CHECK(page.changes[0].value == doc("hi"));
  CHECK(page.next_cursor == f.core.head_cursor());
  CHECK_FALSE(page.more);
  CHECK_FALSE(page.reset);

  // The same change again is a duplicate: acknowledged ok, no effect.
  c.send(net::Push{7, {change("thread/a", "phone", 1, "hi")}});
  CHECK(c.expect<net::Ack>().outcomes.at(0).kind == rxsync::ItemOutcome::ok);
  CHECK(f.core.stats().duplicates == 1);
}

TEST_CASE("WebSocket: a commit pokes every connection with the new head", "[server]") {
  Fixture f;
  WsClient a(f.port());
  WsClient b(f.port());
  a.hello("phone");
  b.hello("laptop");
  b.send(net::Push{1, {change("conv/x", "laptop", 1, "m")}});
  const auto poke = a.expect<net::Poke>();
  CHECK(poke.head == f.core.head_cursor());
  // A push that changes nothing (a duplicate) pokes nobody.
  b.send(net::Push{2, {change("conv/x", "laptop", 1, "m")}});
  bool acked = false;
  while (!acked) {
    auto fr = b.read();
    REQUIRE(fr);
    acked = std::holds_alternative<net::Ack>(*fr) && std::get<net::Ack>(*fr).request_id == 2;
  }
  CHECK(a.sync().empty());
}

TEST_CASE("WebSocket: a pull with wait_ms is held until a commit", "[server]") {
  Fixture f;
  WsClient c(f.port());
  const auto w = c.hello("phone");
  c.send(net::Pull{9, w.head, 0, 20'000});
  REQUIRE(eventually([&] { return f.server.stats().long_polls == 1; }));
  f.push_direct("thread/t", "desk", 1, "late");
  net::Changes page;
  for (;;) {
    auto fr = c.read();
    REQUIRE(fr);
    if (std::holds_alternative<net::Poke>(*fr)) continue;
    page = as<net::Changes>(fr);
    break;
  }
  CHECK(page.request_id == 9);
  REQUIRE(page.changes.size() == 1);
  CHECK(page.changes[0].value == doc("late"));
  CHECK(f.server.stats().long_polls == 0);
  // wait_ms 0 answers at once, even with nothing new.
  c.send(net::Pull{10, page.next_cursor, 0, 0});
  CHECK(c.expect<net::Changes>().changes.empty());
}

TEST_CASE("WebSocket: pulls honour limit, and pages stay under max_page_bytes", "[server]") {
  auto o = quiet_anonymous();
  o.max_page_bytes = 600;
  Fixture f(std::move(o));
  for (int i = 0; i < 7; ++i) f.push_direct("k" + std::to_string(i), "o", 1, std::string(50, 'x'));
  WsClient c(f.port());
  c.hello("phone");
  c.send(net::Pull{1, 0, 2, 0});
  auto p1 = c.expect<net::Changes>();
  CHECK(p1.changes.size() == 2);
  CHECK(p1.more);
  c.send(net::Pull{2, p1.next_cursor, 0, 0});  // default page, cut by size
  auto p2 = c.expect<net::Changes>();
  CHECK(p2.changes.size() >= 1);
  CHECK(p2.changes.size() < 5);
  CHECK(net::encode_frame(p2).size() <= 600);
  CHECK(p2.more);
  std::size_t total = p1.changes.size() + p2.changes.size();
  auto cursor = p2.next_cursor;
  for (int guard = 0; guard < 10 && total < 7; ++guard) {
    c.send(net::Pull{3, cursor, 0, 0});
    auto p = c.expect<net::Changes>();
    total += p.changes.size();
    cursor = p.next_cursor;
  }
  CHECK(total == 7);
  CHECK(cursor == f.core.head_cursor());
}

TEST_CASE("WebSocket: publish reaches the channel's other subscribers", "[server]") {
  Fixture f;
  WsClient a(f.port()), b(f.port()), c(f.port()), d(f.port());
  a.hello("a");
  b.hello("b");
  c.hello("c");
  d.hello("d");
  a.send(net::Subscribe{"room"});
  b.send(net::Subscribe{"room"});
  c.send(net::Subscribe{"room"});
  c.send(net::Unsubscribe{"room"});
  a.sync();
  b.sync();
  c.sync();
  b.send(net::Publish{"room", "typing", "\x01\x02"});
  b.sync();
  const auto m = a.expect<net::Message>();
  CHECK(m.channel == "room");
  CHECK(m.type == "typing");
  CHECK(m.payload == "\x01\x02");
  CHECK(m.from == "b");
  CHECK(m.request_ref == 0);
  CHECK(c.sync().empty());  // unsubscribed
  CHECK(d.sync().empty());  // never subscribed
  d.send(net::Publish{"room", "t", "from a non-subscriber"});
  d.sync();
  CHECK(a.expect<net::Message>().from == "d");
  CHECK(b.expect<net::Message>().from == "d");
  CHECK(f.server.stats().channel_messages == 3);
}

TEST_CASE("WebSocket: a request goes to one subscriber and its reply comes back", "[server]") {
  Fixture f;
  WsClient asker(f.port()), helper(f.port());
  asker.hello("asker");
  helper.hello("helper");
  helper.send(net::Subscribe{"svc"});
  helper.sync();
  asker.send(net::Request{41, "svc", "sum", "1+2", 0});
  const auto m = helper.expect<net::Message>();
  CHECK(m.channel == "svc");
  CHECK(m.from == "asker");
  CHECK(m.payload == "1+2");
  REQUIRE(m.request_ref != 0);
  // A reply with a reference that is not this helper's is ignored.
  asker.send(net::Reply{m.request_ref, "forged", "", false});
  helper.send(net::Reply{m.request_ref, "result", "3", false});
  helper.sync();  // the reply was routed: the Response is queued for the asker
  auto frames = asker.sync();
  REQUIRE(frames.size() == 1);
  const auto r = as<net::Response>(frames[0]);
  CHECK(r.request_id == 41);
  CHECK(r.type == "result");
  CHECK(r.payload == "3");
  CHECK_FALSE(r.is_error);

  // The requester is never its own responder; nobody else: no_responder.
  asker.send(net::Subscribe{"solo"});
  asker.send(net::Request{42, "solo", "x", "", 0});
  asker.expect_error(ErrorCode::no_responder);
  asker.send(net::Request{43, "nobody-here", "x", "", 0});
  CHECK(asker.expect_error(ErrorCode::no_responder).request_id == 43);
}

TEST_CASE("WebSocket: a request nobody answers in time gets Error timeout", "[server]") {
  Fixture f;
  WsClient asker(f.port()), mute(f.port());
  asker.hello("asker");
  mute.hello("mute");
  mute.send(net::Subscribe{"svc"});
  mute.sync();
  asker.send(net::Request{7, "svc", "q", "", 30});
  const auto m = mute.expect<net::Message>();
  const auto e = asker.expect_error(ErrorCode::timeout);
  CHECK(e.request_id == 7);
  CHECK(f.server.stats().request_timeouts == 1);
  mute.send(net::Reply{m.request_ref, "late", "", false});  // too late: dropped
  mute.sync();
  CHECK(asker.sync().empty());

  // A responder that disconnects fails its requests at once.
  asker.send(net::Request{8, "svc", "q", "", 60'000});
  mute.expect<net::Message>();
  mute.stream().next_layer().close();
  CHECK(asker.expect_error(ErrorCode::no_responder).request_id == 8);
}

TEST_CASE("WebSocket: tokens decide who may connect and for which origin", "[server]") {
  auto sink = std::make_shared<LogSink>();
  auto o = quiet_anonymous(sink);
  o.allow_anonymous = false;
  o.tokens = {{"t-phone", "phone"}};
  Fixture f(std::move(o));

  WsClient stranger(f.port());
  stranger.send(net::Hello{"phone", 0, "wrong", "", 0});
  CHECK(stranger.expect_error(ErrorCode::unauthorized).request_id == 0);
  stranger.expect_closed();

  WsClient anonymous(f.port());
  anonymous.send(net::Hello{"phone", 0, "", "", 0});
  anonymous.expect_error(ErrorCode::unauthorized);
  anonymous.expect_closed();

  WsClient impostor(f.port());
  impostor.send(net::Hello{"laptop", 0, "t-phone", "", 0});
  impostor.expect_error(ErrorCode::forbidden_origin);
  impostor.expect_closed();
  CHECK(impostor.close_reason().code == websocket::close_code::policy_error);

  WsClient phone(f.port());
  CHECK(phone.hello("", "t-phone").origin == "phone");  // empty origin: the token's
  phone.send(
      net::Push{3, {change("conv/a", "phone", 1, "mine"), change("conv/b", "laptop", 1, "x")}});
  const auto ack = phone.until<net::Ack>();
  REQUIRE(ack.outcomes.size() == 2);
  CHECK(ack.outcomes[0].kind == rxsync::ItemOutcome::ok);
  CHECK(ack.outcomes[1].kind == rxsync::ItemOutcome::reject);
  CHECK_THAT(ack.outcomes[1].reason, contains("laptop"));
  CHECK_FALSE(f.core.value(encoded_key("conv/b")).has_value());
  CHECK(f.server.stats().rejected_origin == 1);
  CHECK(f.server.stats().refused == 3);
  CHECK(metric_line(f.server.metrics_text(), "rxsync_server_rejected_total") ==
        "rxsync_server_rejected_total 1");
  CHECK(sink->has(net::ServerLogEvent::Kind::refused, "forbidden_origin"));
  CHECK(sink->has(net::ServerLogEvent::Kind::connected, "origin=phone"));
}

TEST_CASE("WebSocket: a bad frame gets an Error and a close, and others keep working", "[server]") {
  auto o = quiet_anonymous();
  o.max_frame = 4096;
  Fixture f(std::move(o));
  WsClient bystander(f.port());
  bystander.hello("bystander");

  std::string truncated = net::encode_frame(net::Push{1, {change("k", "bad", 1, "v")}});
  truncated.resize(truncated.size() - 3);
  std::string newer_major = net::encode_frame(net::Ping{1});
  newer_major[2] = 2;
  std::string unknown_type = net::encode_frame(net::Ping{1});
  unknown_type[4] = 0x3f;
  std::string trailing = net::encode_frame(net::Ping{1}) + "x";

  struct Case {
    const char* name;
    std::string bytes;
    ErrorCode code;
    bool hello_first;
  };
  const std::vector<Case> cases{
      {"truncated", truncated, ErrorCode::bad_frame, true},
      {"garbage", "GET / HTTP/1.1 garbage", ErrorCode::bad_frame, true},
      {"empty", "", ErrorCode::bad_frame, true},
      {"trailing bytes", trailing, ErrorCode::bad_frame, true},
      {"newer major version", newer_major, ErrorCode::unsupported_version, true},
      {"unknown frame type", unknown_type, ErrorCode::unknown_frame, true},
      {"oversized", std::string(5000, 'R'), ErrorCode::frame_too_large, true},
      {"oversized, large", std::string(3 << 20, 'R'), ErrorCode::frame_too_large, true},
      {"server frame from a client", net::encode_frame(net::Welcome{}), ErrorCode::bad_request,
       true},
      {"Push before Hello", net::encode_frame(net::Push{}), ErrorCode::bad_request, false},
      {"second Hello", net::encode_frame(net::Hello{"bad", 0, "", "", 0}), ErrorCode::bad_request,
       true},
  };
  std::uint64_t version = 0;
  for (const Case& k : cases) {
    INFO("case: " << k.name);
    WsClient bad(f.port());
    if (k.hello_first) bad.hello("bad");
    bad.send_bytes(k.bytes);
    const auto e = bad.expect_error(k.code);
    CHECK(e.request_id == 0);
    bad.expect_closed();
    if (k.code == ErrorCode::frame_too_large) {
      CHECK(bad.close_reason().code == websocket::close_code::too_big);
    }
    // The server is still serving: another connection pushes and is acknowledged.
    bystander.send(net::Push{++version, {change("ok", "bystander", version, "v")}});
    bool acked = false;
    while (!acked) {
      auto fr = bystander.read();
      REQUIRE(fr);
      acked = std::holds_alternative<net::Ack>(*fr);
    }
  }
  CHECK(f.server.stats().protocol_errors == cases.size());
}

TEST_CASE("WebSocket: silence for two heartbeats closes, answering pings keeps it open",
          "[server]") {
  auto o = quiet_anonymous();
  o.heartbeat = 100ms;
  Fixture f(std::move(o));
  WsClient silent(f.port());
  WsClient alive(f.port());
  silent.hello("silent");
  alive.hello("alive");
  // `alive` keeps a read pending on another thread, so its pongs go out; `silent` reads nothing.
  beast::flat_buffer buffer;
  beast::error_code alive_error;
  alive.stream().async_read(buffer, [&](beast::error_code e, std::size_t) { alive_error = e; });
  std::thread runner([&] {
    alive.context().restart();
    alive.context().run_for(kTimeout);
  });
  CHECK(eventually([&] { return f.server.stats().websocket_sessions == 1; }));
  f.push_direct("k", "o", 1, "wake");  // the Poke completes alive's read
  runner.join();
  CHECK_FALSE(alive_error);
  CHECK(std::holds_alternative<net::Poke>(
      net::decode_frame(beast::buffers_to_string(buffer.data()))));
  silent.expect_closed();
}

// ---- HTTP --------------------------------------------------------------------------------------

TEST_CASE("HTTP: push and pull carry frames, errors carry status codes", "[server]") {
  auto o = quiet_anonymous();
  o.allow_anonymous = false;
  o.tokens = {{"t-phone", "phone"}};
  o.max_frame = 8192;
  Fixture f(std::move(o));
  const Headers phone{{"Authorization", "Bearer t-phone"}, {"X-Rxsync-Origin", "phone"}};

  auto r =
      post_frame(f.port(), "/v1/push", net::Push{4, {change("conv/a", "phone", 1, "a")}}, phone);
  CHECK(r.status == 200);
  const auto ack = std::get<net::Ack>(frame_of(r));
  CHECK(ack.request_id == 4);
  CHECK(ack.outcomes.at(0).kind == rxsync::ItemOutcome::ok);

  r = post_frame(f.port(), "/v1/pull", net::Pull{5, 0, 0, 0},
                 {{"Authorization", "Bearer t-phone"}});
  CHECK(r.status == 200);
  const auto page = std::get<net::Changes>(frame_of(r));
  CHECK(page.request_id == 5);
  REQUIRE(page.changes.size() == 1);
  CHECK(page.changes[0].value == doc("a"));

  const auto error_of = [](const HttpResult& res) { return std::get<net::Error>(frame_of(res)); };
  r = http_call(f.port(), http::verb::post, "/v1/push", "garbage", phone);
  CHECK(r.status == 400);
  CHECK(error_of(r).code == ErrorCode::bad_frame);
  r = post_frame(f.port(), "/v1/push", net::Pull{}, phone);
  CHECK(r.status == 400);
  CHECK(error_of(r).code == ErrorCode::bad_request);
  r = post_frame(f.port(), "/v1/push", net::Push{}, {{"Authorization", "Bearer nope"}});
  CHECK(r.status == 401);
  CHECK(error_of(r).code == ErrorCode::unauthorized);
  CHECK(r.response[http::field::www_authenticate] == "Bearer");
  r = post_frame(f.port(), "/v1/pull", net::Pull{}, {});
  CHECK(r.status == 401);
  r = post_frame(f.port(), "/v1/push", net::Push{},
                 {{"Authorization", "Bearer t-phone"}, {"X-Rxsync-Origin", "laptop"}});
  CHECK(r.status == 403);
  CHECK(error_of(r).code == ErrorCode::forbidden_origin);
  r = http_call(f.port(), http::verb::post, "/v1/push", std::string(9000, 'x'), phone);
  CHECK(r.status == 413);
  CHECK(error_of(r).code == ErrorCode::frame_too_large);
  r = post_frame(f.port(), "/v1/push", net::Push{6, {change("conv/b", "laptop", 1, "b")}}, phone);
  CHECK(r.status == 200);
  CHECK(std::get<net::Ack>(frame_of(r)).outcomes.at(0).kind == rxsync::ItemOutcome::reject);

  CHECK(http_call(f.port(), http::verb::get, "/v1/push").status == 405);
  CHECK(http_call(f.port(), http::verb::get, "/nowhere").status == 404);
  CHECK(http_call(f.port(), http::verb::get, "/v1/ws").status == 426);
  CHECK(http_call(f.port(), http::verb::get, "/v1/head", "", {}).status == 401);
}

TEST_CASE("HTTP: a pull with wait_ms and /v1/head are held until a commit", "[server]") {
  Fixture f;
  const auto head = f.core.head_cursor();
  auto pull = std::async(std::launch::async, [&] {
    return post_frame(f.port(), "/v1/pull", net::Pull{1, head, 0, 20'000});
  });
  auto watch = std::async(std::launch::async, [&] {
    return http_call(f.port(), http::verb::get,
                     "/v1/head?after=" + std::to_string(head) + "&wait=20000");
  });
  REQUIRE(eventually([&] { return f.server.stats().long_polls == 2; }));
  f.push_direct("thread/x", "desk", 1, "news");
  const auto p = pull.get();
  CHECK(p.status == 200);
  CHECK(std::get<net::Changes>(frame_of(p)).changes.size() == 1);
  const auto w = watch.get();
  CHECK(w.status == 200);
  CHECK(w.body == std::to_string(f.core.head_cursor()) + "\n");
  // A head that already differs answers at once; so does a short wait that ends.
  CHECK(http_call(f.port(), http::verb::get, "/v1/head?after=1&wait=20000").body == w.body);
  CHECK(http_call(f.port(), http::verb::get,
                  "/v1/head?after=" + std::to_string(f.core.head_cursor()) + "&wait=10")
            .body == w.body);
  CHECK(http_call(f.port(), http::verb::get, "/v1/head?after=x").status == 400);
}

TEST_CASE("HTTP: /v1/events streams welcome, pokes and keep-alive comments", "[server]") {
  auto o = quiet_anonymous();
  o.heartbeat = 50ms;
  o.idle_timeout = 10s;
  Fixture f(std::move(o));
  RawClient sse(f.port());
  sse.write("GET /v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  REQUIRE(sse.read_until("\r\n\r\n"));
  CHECK_THAT(sse.received(), contains("HTTP/1.1 200 OK"));
  CHECK_THAT(sse.received(), contains("Content-Type: text/event-stream"));
  REQUIRE(sse.read_until("event: welcome\ndata: " + std::to_string(f.core.epoch()) + " " +
                         std::to_string(f.core.head_cursor()) + "\n\n"));
  REQUIRE(eventually([&] { return f.server.stats().sse_streams == 1; }));
  f.push_direct("conv/y", "o", 1, "y");
  CHECK(sse.read_until("event: poke\ndata: " + std::to_string(f.core.head_cursor()) + "\n\n"));
  CHECK(sse.read_until(": keep-alive\n\n"));
}

TEST_CASE("HTTP: /v1/digest, /healthz and /metrics", "[server]") {
  Fixture f;
  f.push_direct("conv/a", "o", 1, "a");
  auto r = http_call(f.port(), http::verb::get, "/v1/digest");
  CHECK(r.status == 200);
  CHECK(r.body == f.core.digest_line() + "\n");
  CHECK_THAT(r.body, contains("digest: "));
  r = http_call(f.port(), http::verb::get, "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  WsClient c(f.port());
  c.hello("phone");
  c.send(net::Push{1, {change("conv/b", "phone", 1, "b"), change("conv/c", "evil", 1, "c")}});
  c.until<net::Ack>();
  r = http_call(f.port(), http::verb::get, "/metrics");
  CHECK(r.status == 200);
  CHECK_THAT(std::string(r.response[http::field::content_type]), contains("text/plain"));
  const std::string& m = r.body;
  CHECK_THAT(m, contains("# TYPE rxsync_server_connections gauge"));
  CHECK(metric_line(m, "rxsync_server_changes_applied_total") ==
        "rxsync_server_changes_applied_total 2");
  CHECK(metric_line(m, "rxsync_server_rejected_total") == "rxsync_server_rejected_total 1");
  CHECK(metric_line(m, "rxsync_server_duplicates_total") == "rxsync_server_duplicates_total 0");
  CHECK(metric_line(m, "rxsync_server_pushes_total") == "rxsync_server_pushes_total 2");
  for (const char* name : {"rxsync_server_connections", "rxsync_server_bytes_in_total",
                           "rxsync_server_bytes_out_total", "rxsync_server_pulls_total",
                           "rxsync_server_conflicts_merged_total", "rxsync_server_resets_total"}) {
    CHECK_THAT(m, contains(std::string("\n") + name + " "));
  }
  const auto s = f.server.stats();
  CHECK(s.connections >= 1);
  CHECK(s.bytes_in > 0);
  CHECK(s.bytes_out > 0);
}

// ---- threading and stop ------------------------------------------------------------------------

TEST_CASE("a push waiting for the store does not hold up other connections", "[server]") {
  auto o = quiet_anonymous();
  o.io_threads = 1;  // a push blocking an io thread would stall every socket
  Fixture<GatedStore> f(std::move(o));
  WsClient pusher(f.port()), other(f.port());
  pusher.hello("pusher");
  other.hello("other");
  f.store.set_open(false);
  pusher.send(net::Push{1, {change("k", "pusher", 1, "v")}});
  REQUIRE(f.store.wait_for_waiters(1));
  CHECK(pusher.sync().empty());  // no Ack before the commit
  // Meanwhile: pings, pulls and plain HTTP are served.
  other.send(net::Pull{2, 0, 0, 0});
  CHECK(other.until<net::Changes>().changes.empty());
  other.send(net::Ping{5});
  CHECK(other.until<net::Pong>().nonce == 5);
  CHECK(http_call(f.port(), http::verb::get, "/healthz").status == 200);
  f.store.set_open(true);
  for (;;) {
    auto fr = pusher.read();
    REQUIRE(fr);
    if (std::holds_alternative<net::Poke>(*fr)) continue;
    CHECK(as<net::Ack>(fr).outcomes.at(0).kind == rxsync::ItemOutcome::ok);
    break;
  }
}

TEST_CASE("stop() answers the push in flight and held pulls, then closes everything", "[server]") {
  auto o = quiet_anonymous();
  o.stop_timeout = 3s;
  Fixture<GatedStore> f(std::move(o));
  WsClient pusher(f.port()), poller(f.port());
  pusher.hello("pusher");
  const auto w = poller.hello("poller");
  poller.send(net::Pull{8, w.head, 0, 60'000});
  RawClient sse(f.port());
  sse.write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(sse.read_until("event: welcome"));
  auto http_pull = std::async(std::launch::async, [&] {
    return post_frame(f.port(), "/v1/pull", net::Pull{3, w.head, 0, 60'000});
  });
  REQUIRE(eventually([&] { return f.server.stats().long_polls == 2; }));

  f.store.set_open(false);
  pusher.send(net::Push{1, {change("k", "pusher", 1, "in flight")}});
  REQUIRE(f.store.wait_for_waiters(1));
  auto stopped = std::async(std::launch::async, [&] {
    f.server.stop();
    return std::chrono::steady_clock::now();
  });
  REQUIRE(eventually([&] { return f.server.stopping(); }));
  const auto released = std::chrono::steady_clock::now();
  f.store.set_open(true);

  // The push in flight commits and is answered before the connection closes.
  bool acked = false;
  for (;;) {
    auto fr = pusher.read();
    if (!fr) break;
    if (auto* ack = std::get_if<net::Ack>(&*fr)) {
      CHECK(ack->outcomes.at(0).kind == rxsync::ItemOutcome::ok);
      acked = true;
    } else if (auto* e = std::get_if<net::Error>(&*fr)) {
      CHECK(e->code == ErrorCode::shutting_down);
      CHECK(acked);
    }
  }
  CHECK(acked);
  CHECK(pusher.close_reason().code == websocket::close_code::going_away);
  CHECK(f.core.value(encoded_key("k")) == doc("in flight"));
  // The held WebSocket pull is answered (the page of the new commit, or an empty one).
  bool answered = false;
  for (;;) {
    auto fr = poller.read();
    if (!fr) break;
    if (auto* ch = std::get_if<net::Changes>(&*fr); ch && ch->request_id == 8) answered = true;
  }
  CHECK(answered);
  const auto hp = http_pull.get();
  CHECK(hp.status == 200);
  CHECK(std::holds_alternative<net::Changes>(frame_of(hp)));
  CHECK(sse.closed_by_server());

  const auto done = stopped.get();
  CHECK(done - released < 2s);
  CHECK_FALSE(f.server.running());
  f.server.stop();  // idempotent
  // Nobody listens any more.
  tcp::socket probe(pusher.context());
  beast::error_code ec;
  probe.connect(loopback(f.port()), ec);
  CHECK(ec);
}

TEST_CASE("SyncServer: options are checked, start() runs once, a busy port is reported",
          "[server]") {
  rxsync::MemoryServerStore store;
  rxsync::ServerCore core(store, rxsync::typed_merger<rxsync::DemoDocument>());
  net::ServerOptions bad = quiet_anonymous();
  bad.io_threads = 0;
  CHECK_THROWS_AS(net::SyncServer(core, bad), std::invalid_argument);

  net::SyncServer first(core, quiet_anonymous());
  first.start();
  CHECK_THROWS_AS(first.start(), std::logic_error);
  auto same_port = quiet_anonymous();
  same_port.port = first.port();
  net::SyncServer second(core, same_port);
  CHECK_THROWS_WITH(second.start(),
                    contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
  first.stop();
  CHECK_THROWS_AS(first.start(), std::logic_error);
}

// ---- TLS
// -----------------------------------------------------------------------------------------

TEST_CASE("TLS: the port speaks only TLS, and a failed handshake is refused, logged and counted",
          "[server]") {
#if RXSYNC_NET_TLS
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  auto sink = std::make_shared<LogSink>();
  auto o = quiet_anonymous(sink);
  o.tls_certificate_file = files.certificate;
  o.tls_private_key_file = files.private_key;
  Fixture f(std::move(o));
  f.push_direct("conv/a", "o", 1, "a");

  const auto health = net_test::https_get(f.port(), "/healthz", files.certificate);
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(net_test::https_get(f.port(), "/v1/digest", files.certificate).body ==
        f.core.digest_line() + "\n");
  CHECK(f.server.stats().refused == 0);

  // Plain HTTP on the TLS port: no answer, the connection closed, the client refused.
  CHECK_THROWS(http_call(f.port(), http::verb::get, "/healthz"));
  REQUIRE(eventually([&] { return f.server.stats().refused == 1; }));
  CHECK(sink->has(net::ServerLogEvent::Kind::refused, "refused http 127.0.0.1:"));
  CHECK(sink->has(net::ServerLogEvent::Kind::refused, ": TLS handshake: http request"));

  // A client that does not trust the certificate aborts the handshake; its alert is the reason.
  const auto stranger = net_test::make_self_signed(dir.path, "stranger");
  CHECK_THROWS_WITH(net_test::https_get(f.port(), "/healthz", stranger.certificate),
                    contains("TLS handshake"));
  REQUIRE(eventually([&] { return f.server.stats().refused == 2; }));
  CHECK(sink->has(net::ServerLogEvent::Kind::refused, "TLS handshake: tlsv1 alert"));
  const auto metrics = net_test::https_get(f.port(), "/metrics", files.certificate).body;
  CHECK(metric_line(metrics, "rxsync_server_refused_total") == "rxsync_server_refused_total 2");
#else
  SUCCEED("this build has no TLS");
#endif
}

TEST_CASE("SyncServer: TLS files without a usable certificate or key are refused by name",
          "[server]") {
  rxsync::MemoryServerStore store;
  rxsync::ServerCore core(store, rxsync::typed_merger<rxsync::DemoDocument>());
  net_test::TempDir dir;
  const std::string junk = (dir.path / "junk.pem").string();
  std::ofstream(junk) << "not PEM at all\n";
  auto o = quiet_anonymous();
#if RXSYNC_NET_TLS
  const auto files = net_test::make_self_signed(dir.path);
  const auto other = net_test::make_self_signed(dir.path, "other");
  o.tls_certificate_file = junk;
  o.tls_private_key_file = files.private_key;
  CHECK_THROWS_WITH(net::SyncServer(core, o), contains("ServerOptions.tls_certificate_file '" +
                                                       junk + "': not a PEM certificate chain"));
  CHECK_THROWS_AS(net::SyncServer(core, o), std::invalid_argument);
  o.tls_certificate_file = files.certificate;
  o.tls_private_key_file = junk;
  CHECK_THROWS_WITH(net::SyncServer(core, o), contains("ServerOptions.tls_private_key_file '" +
                                                       junk + "': not a PEM private key"));
  o.tls_private_key_file = other.private_key;
  CHECK_THROWS_WITH(net::SyncServer(core, o),
                    contains("ServerOptions.tls_private_key_file '" + other.private_key +
                             "': does not match the certificate in '" + files.certificate + "'"));
  CHECK_THROWS_WITH(net::validate_server_tls_files(o), contains("does not match"));
  o.tls_private_key_file = files.private_key;
  CHECK_NOTHROW(net::validate_server_tls_files(o));
  CHECK_NOTHROW(net::SyncServer(core, o));
#else
  o.tls_certificate_file = junk;
  o.tls_private_key_file = junk;
  CHECK_THROWS_WITH(net::SyncServer(core, o), contains("has no TLS"));
#endif
}
