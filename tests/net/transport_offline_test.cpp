// NetTransport without a server: URLs and options are checked, an unreachable server means
// reconnecting with backoff and failover, and nothing waits forever.
#if RXSYNC_TEST_NET

#include <rxsync/net/net_transport.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>

#include "net_support.hpp"
#include "rxsync_catch.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace net = rxsync::net;
using net_test::eventually;
using Transport = net::NetTransport<std::string, std::string, rxsync::EventLoopThread>;

TEST_CASE("server URLs are parsed, and bad ones are refused by name", "[net]") {
  CHECK(net::parse_server_url("ws://127.0.0.1:8080") ==
        net::ServerUrl{"ws", "127.0.0.1", 8080, "ws://127.0.0.1:8080"});
  CHECK(net::parse_server_url("http://example.com/ignored/path").port == 80);
  CHECK(net::parse_server_url("ws://[::1]:9000").host == "::1");
  for (const char* bad : {"127.0.0.1:80", "ftp://x:1", "ws://:80", "ws://x:0", "ws://x:65536",
                          "ws://x:8o", "ws://[::1:80"}) {
    INFO(bad);
    CHECK_THROWS_AS(net::parse_server_url(bad), std::invalid_argument);
  }
  REQUIRE_THROWS_WITH(net::parse_server_url("wss://x:1"), rxsync_test::contains("needs TLS"));
}

TEST_CASE("transport modes parse by name", "[net]") {
  CHECK(net::parse_transport_mode("long-poll") == net::TransportMode::long_poll);
  CHECK(std::string(net::to_string(net::TransportMode::sse)) == "sse");
  REQUIRE_THROWS_WITH(net::parse_transport_mode("carrier-pigeon"),
                      rxsync_test::contains("got 'carrier-pigeon'"));
}

TEST_CASE("NetTransport options are validated by name", "[net]") {
  rxsync::EventLoopThread loop;
  net::NetTransportOptions o;
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("NetTransportOptions.servers"));
  o.servers = {"ws://127.0.0.1:1"};
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("NetTransportOptions.origin"));
  o.origin = "a";
  o.heartbeat = 0s;
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("NetTransportOptions.heartbeat"));
  o.heartbeat = 1s;
  o.max_frame = 10;
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("NetTransportOptions.max_frame"));
}

TEST_CASE("SSE streams are split into events whatever the chunking", "[net]") {
  const std::string stream =
      "retry: 1000\r\n\r\nevent: welcome\ndata: 7 3\n\n: keep-alive\n\nevent: poke\ndata: 9\n\n"
      "data: a\ndata: b\n\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, stream.size()}) {
    rxsync::net::detail::SseParser p;
    std::vector<std::string> events;
    int comments = 0;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      p.feed(
          std::string_view(stream).substr(i, chunk),
          [&](const std::string& name, const std::string& data) {
            events.push_back(name + "=" + data);
          },
          [&] { ++comments; });
    }
    CHECK(events == std::vector<std::string>{"welcome=7 3", "poke=9", "message=a\nb"});
    CHECK(comments == 1);
  }
}

namespace {
// A port nothing listens on: bound, then closed, so connecting is refused at once.
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}
}  // namespace

TEST_CASE("an unreachable server: reconnecting with backoff, failover, offline at the cap",
          "[net]") {
  rxsync::EventLoopThread loop;
  net::NetTransportOptions o;
  const std::string first = "ws://127.0.0.1:" + std::to_string(closed_port());
  const std::string second = "http://127.0.0.1:" + std::to_string(closed_port());
  o.servers = {first, second};
  o.origin = "a";
  o.reconnect.initial = 20ms;
  o.reconnect.max = 50ms;
  o.max_reconnect_attempts = 3;
  Transport t(loop, o);
  net_test::Recorder<net::ConnectionStatus> seen;
  auto sub = t.connection().subscribe([&](const net::ConnectionStatus& s) { seen.add(s); });

  REQUIRE(eventually([&] { return t.status().state == net::ConnectionState::offline; }));
  const auto all = seen.values();
  std::vector<std::uint32_t> attempts;
  bool tried_second = false;
  for (const auto& s : all) {
    // One status per server tried: the attempt count moves once per round of both.
    if (s.state == net::ConnectionState::reconnecting &&
        (attempts.empty() || attempts.back() != s.attempt))
      attempts.push_back(s.attempt);
    tried_second = tried_second || s.server == second;
  }
  CHECK(attempts == std::vector<std::uint32_t>{1, 2});
  CHECK(tried_second);  // each round tries both servers, in order
  CHECK(t.status().last_error.find("gave up after 3 attempts") != std::string::npos);
  CHECK(t.status().last_error.find("connect") != std::string::npos);

  // Nothing waits for a server that is not there: a push reports "no answer" at once.
  std::atomic<int> answered{0};
  std::vector<rxsync::ItemOutcome> outcomes{rxsync::ItemOutcome::ok};
  t.send({{"k", {"v", 1, "a"}, 0}}, [&](std::vector<rxsync::ItemOutcome> o2) {
    outcomes = std::move(o2);
    answered = 1;
  });
  std::optional<rxsync::PullResult<std::string, std::string>> pulled;
  t.pull(0, [&](rxsync::PullResult<std::string, std::string> r) {
    pulled = std::move(r);
    answered += 1;
  });
  REQUIRE(eventually([&] { return answered.load() == 2; }));
  CHECK(outcomes.empty());
  CHECK_FALSE(pulled->ok);

  std::atomic<bool> got_error{false};
  auto req = t.request("chat", "ping", "x")
                 .subscribe([](const net::ChannelReply&) {},
                            [&](std::exception_ptr) { got_error = true; });
  REQUIRE(eventually([&] { return got_error.load(); }));
}

#endif  // RXSYNC_TEST_NET
