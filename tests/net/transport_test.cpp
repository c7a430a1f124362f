// NetTransport without a server (URLs, options, SSE parsing, unreachable servers) and against a
// real SyncServer on loopback: sync in every mode, reconnects, failover,
// tokens, oversized frames, channels and request timeouts; and, with the rxsync-server binary,
// a server frozen with SIGSTOP noticed within two heartbeats. The same over TLS (wss://,
// https://) with a certificate made at test time: sync in every mode, certificate and host
// verification, plain and TLS ends that do not match, failover and the SSE fallback.
#if RXSYNC_TEST_NET

#include <rxsync/models/demo_document.hpp>
#include <rxsync/net/net_transport.hpp>
#include <rxsync/net/server.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/sync_service.hpp>

#include "../../examples/net/process.hpp"
#include "net_support.hpp"
#include "rxsync_catch.hpp"
#include "tls_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace net = rxsync::net;
using net_test::eventually;

namespace {

struct MaxMerge {
  std::string operator()(const std::string& a, const std::string& b) const {
    return std::max(a, b);
  }
};

// A SyncServer for string values (merge: the greater string) over a memory store that outlives
// restarts of the server, like a database.
struct Server {
  explicit Server(net::ServerOptions o = anonymous()) : options(std::move(o)) { start(); }
  static net::ServerOptions anonymous() {
    net::ServerOptions o;
    o.allow_anonymous = true;
    o.log = nullptr;
    o.heartbeat = 200ms;
    return o;
  }
  void start() {
    core =
        std::make_unique<rxsync::ServerCore>(store, rxsync::typed_merger<std::string, MaxMerge>(),
                                             rxsync::typed_validator<std::string>());
    server = std::make_unique<net::SyncServer>(*core, options);
    server->start();
    options.port = server->port();  // a restart comes back on the same port
  }
  void stop() {
    server->stop();
    server.reset();
    core.reset();
  }
  std::string url(const char* scheme = "ws") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(options.port);
  }

  net::ServerOptions options;
  rxsync::MemoryServerStore store;
  std::unique_ptr<rxsync::ServerCore> core;
  std::unique_ptr<net::SyncServer> server;
};

using Transport = net::NetTransport<std::string, std::string, rxsync::EventLoopThread>;
using Service = rxsync::SyncService<std::string, std::string, Transport, rxsync::MemoryStorage,
                                    rxsync::EventLoopThread, MaxMerge>;

net::NetTransportOptions client(const std::vector<std::string>& servers, const std::string& origin,
                                net::TransportMode mode = net::TransportMode::websocket) {
  net::NetTransportOptions o;
  o.servers = servers;
  o.origin = origin;
  o.mode = mode;
  o.reconnect.initial = 20ms;
  o.reconnect.max = 200ms;
  o.heartbeat = 200ms;
  o.request_timeout = 2s;
  o.long_poll_wait = 2s;
  return o;
}

rxsync::SyncServiceOptions service_options(const std::string& origin) {
  rxsync::SyncServiceOptions o;
  o.origin = origin;
  o.batch.window = 0ms;
  o.batch.backoff.initial = 20ms;
  o.batch.backoff.max = 200ms;
  o.poller.base = 200ms;  // poll mode has no pokes: it pulls at this pace
  o.poller.max = 200ms;
  return o;
}

bool online(const Transport& t) { return t.status().state == net::ConnectionState::online; }

// Two services over `ta` and `tb`: 20 edits on a, one conflicting edit on b (the greater string,
// so it wins the max merge everywhere); both converge through `server`.
void two_devices_sync(Server& server, rxsync::EventLoopThread& loop, Transport& ta, Transport& tb,
                      net::TransportMode mode) {
  rxsync::MemoryStorage sa, sb;
  Service a(loop, ta, sa, service_options("a"));
  Service b(loop, tb, sb, service_options("b"));
  a.start();
  b.start();
  REQUIRE(eventually([&] { return online(ta) && online(tb); }));
  CHECK(ta.status().mode == mode);

  for (int i = 0; i < 20; ++i)
    a.queue_for_sync("k" + std::to_string(i), "from a " + std::to_string(i));
  b.queue_for_sync("k0", "zzz from b");  // greater: wins the max merge everywhere
  REQUIRE(eventually([&] {
    return a.pending() == 0 && b.pending() == 0 && b.values().size() == 20 &&
           a.value("k0") == std::optional<std::string>("zzz from b");
  }));
  CHECK(b.value("k7") == std::optional<std::string>("from a 7"));
  CHECK(server.core->stats().changes_applied == 21);
}

}  // namespace

TEST_CASE("two devices sync through the server in every transport mode", "[net]") {
  const auto mode = GENERATE(net::TransportMode::websocket, net::TransportMode::sse,
                             net::TransportMode::long_poll, net::TransportMode::poll);
  INFO(net::to_string(mode));
  Server server;
  rxsync::EventLoopThread loop;
  const char* scheme = mode == net::TransportMode::websocket ? "ws" : "http";
  Transport ta(loop, client({server.url(scheme)}, "a", mode));
  Transport tb(loop, client({server.url(scheme)}, "b", mode));
  two_devices_sync(server, loop, ta, tb, mode);
}

TEST_CASE("transports on the caller's io_context share its thread and may go before it stops",
          "[net]") {
  Server server;
  rxsync::EventLoopThread loop;
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  std::atomic<int> acked{0};
  {
    std::vector<std::unique_ptr<Transport>> clients;
    for (const char* origin : {"a", "b", "c"})
      clients.push_back(std::make_unique<Transport>(loop, ioc, client({server.url()}, origin)));
    REQUIRE(eventually([&] {
      return std::all_of(clients.begin(), clients.end(), [](auto& c) { return online(*c); });
    }));
    for (std::size_t c = 0; c < clients.size(); ++c) {
      const std::string origin(1, static_cast<char>('a' + c));
      std::vector<Transport::Item> batch;
      for (int i = 0; i < 10; ++i) {
        std::string key = origin;
        key += std::to_string(i);
        batch.push_back({std::move(key), {"v", static_cast<std::uint64_t>(i + 1), origin}, 0});
      }
      clients[c]->send(std::move(batch), [&](std::vector<rxsync::ItemOutcome> outcomes) {
        if (outcomes.size() == 10 && std::all_of(outcomes.begin(), outcomes.end(), [](auto o) {
              return o == rxsync::ItemOutcome::ok;
            }))
          ++acked;
      });
    }
    REQUIRE(eventually([&] { return acked == 3; }));
  }  // destroyed while the io_context still runs their sockets' last operations
  CHECK(server.core->stats().changes_applied == 30);
  work.reset();
  io.join();  // returns: nothing of the transports is left on the io_context
}

TEST_CASE("a server restart: reconnect rounds, then edits made meanwhile are delivered", "[net]") {
  Server server;
  rxsync::EventLoopThread loop;
  Transport t(loop, client({server.url()}, "a"));
  net_test::Recorder<net::ConnectionStatus> seen;
  auto sub = t.connection().subscribe([&](const net::ConnectionStatus& s) { seen.add(s); });
  rxsync::MemoryStorage storage;
  Service svc(loop, t, storage, service_options("a"));
  svc.start();
  REQUIRE(eventually([&] { return online(t); }));

  server.stop();
  REQUIRE(eventually([&] { return t.status().state == net::ConnectionState::reconnecting; }));
  svc.queue_for_sync("k", "made while the server was down");
  REQUIRE(eventually([&] { return t.status().attempt >= 3; }));  // rounds go on, with backoff
  CHECK(svc.status("k").state != rxsync::SyncState::failed);

  server.start();
  REQUIRE(eventually([&] { return svc.pending() == 0; }));
  CHECK(server.core->value("k") ==
        rxsync::DefaultCodec::encode(std::string("made while the server was down")));
  CHECK(seen.any([](const auto& s) {
    return s.state == net::ConnectionState::reconnecting && !s.last_error.empty();
  }));
  CHECK(online(t));
}

TEST_CASE("a refused WebSocket upgrade falls back to SSE + HTTP on the same server", "[net]") {
  net::ServerOptions o = Server::anonymous();
  o.websocket = false;  // as behind a proxy that does not pass upgrades
  Server server(o);
  rxsync::EventLoopThread loop;
  Transport t(loop, client({server.url()}, "a"));
  rxsync::MemoryStorage storage;
  Service svc(loop, t, storage, service_options("a"));
  svc.start();
  REQUIRE(eventually([&] { return online(t); }));
  CHECK(t.status().mode == net::TransportMode::sse);
  svc.queue_for_sync("k", "over http");
  REQUIRE(eventually([&] { return svc.pending() == 0; }));

  auto strict = client({server.url()}, "b");
  strict.fallback_to_sse = false;
  Transport no_fallback(loop, strict);
  REQUIRE(eventually([&] { return no_fallback.status().attempt >= 2; }));
  CHECK(no_fallback.status().state == net::ConnectionState::reconnecting);
  CHECK(no_fallback.status().last_error.find("handshake") != std::string::npos);
}

TEST_CASE("HTTP modes: a kept-alive connection the server closed when idle is replaced quietly",
          "[net]") {
  net::ServerOptions o = Server::anonymous();
  o.idle_timeout = 100ms;  // the server closes idle HTTP connections quickly
  Server server(o);
  rxsync::EventLoopThread loop;
  Transport t(loop, client({server.url("http")}, "a", net::TransportMode::poll));
  net_test::Recorder<net::ConnectionStatus> seen;
  auto sub = t.connection().subscribe([&](const net::ConnectionStatus& s) { seen.add(s); });
  REQUIRE(eventually([&] { return online(t); }));
  auto push = [&](const std::string& key) {
    std::atomic<bool> done{false};
    std::vector<rxsync::ItemOutcome> out;
    t.send({{key, {"v", 1, "a"}, 0}}, [&](std::vector<rxsync::ItemOutcome> o2) {
      out = std::move(o2);
      done = true;
    });
    REQUIRE(eventually([&] { return done.load(); }));
    return out;
  };
  CHECK(push("k1") == std::vector<rxsync::ItemOutcome>{rxsync::ItemOutcome::ok});
  // Wait until the server has dropped the idle connection, then use it again.
  REQUIRE(eventually([&] { return server.server->stats().connections == 0; }));
  CHECK(push("k2") == std::vector<rxsync::ItemOutcome>{rxsync::ItemOutcome::ok});
  CHECK_FALSE(
      seen.any([](const auto& s) { return s.state == net::ConnectionState::reconnecting; }));
}

TEST_CASE("failover: an unreachable first server, the second one serves", "[net]") {
  Server server;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string dead = "ws://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  probe.close();
  rxsync::EventLoopThread loop;
  Transport t(loop, client({dead, server.url()}, "a"));
  REQUIRE(eventually([&] { return online(t); }));
  CHECK(t.status().server == server.url());
}

TEST_CASE("a refused token: reconnecting with the server's reason, asked again each time",
          "[net]") {
  net::ServerOptions o = Server::anonymous();
  o.allow_anonymous = false;
  o.tokens = {{"good-token", "a"}};
  Server server(o);
  rxsync::EventLoopThread loop;
  std::atomic<int> asked{0};
  auto opts = client({server.url()}, "a");
  opts.token = [&] {
    ++asked;
    return asked.load() < 3 ? std::string("expired-token") : std::string("good-token");
  };
  Transport t(loop, opts);
  net_test::Recorder<net::ConnectionStatus> seen;
  auto sub = t.connection().subscribe([&](const net::ConnectionStatus& s) { seen.add(s); });
  REQUIRE(eventually([&] { return online(t); }));  // the third token is good
  CHECK(asked.load() >= 3);
  CHECK(seen.any(
      [](const auto& s) { return s.last_error.find("unauthorized") != std::string::npos; }));
}

TEST_CASE("a frame over the server's limit: refused, the connection reopened, the push not hung",
          "[net]") {
  net::ServerOptions o = Server::anonymous();
  o.max_frame = 64 * 1024;
  Server server(o);
  rxsync::EventLoopThread loop;
  Transport t(loop, client({server.url()}, "a"));
  REQUIRE(eventually([&] { return online(t); }));
  std::atomic<bool> answered{false};
  std::vector<rxsync::ItemOutcome> outcomes{rxsync::ItemOutcome::ok};
  t.send({{"big", {std::string(100 * 1024, 'x'), 1, "a"}, 0}},
         [&](std::vector<rxsync::ItemOutcome> out) {
           outcomes = std::move(out);
           answered = true;
         });
  REQUIRE(eventually([&] { return answered.load(); }));
  CHECK(outcomes.empty());  // no answer for this batch: retried by a sync service
  REQUIRE(eventually([&] { return online(t); }));  // reconnected
  CHECK(server.server->stats().connections >= 1);
}

TEST_CASE("channels: publish, request/reply, and a request nobody answers times out", "[net]") {
  Server server;
  rxsync::EventLoopThread loop;
  Transport ta(loop, client({server.url()}, "a"));
  Transport tb(loop, client({server.url()}, "b"));
  REQUIRE(eventually([&] { return online(ta) && online(tb); }));

  net_test::Recorder<net::ChannelMessage> at_b;
  auto sub = tb.subscribe("typing").subscribe([&](const net::ChannelMessage& m) {
    at_b.add(m);
    if (m.request_ref != 0) tb.reply(m.request_ref, "pong", "b is here");
  });
  // The subscription reaches the server asynchronously: publish until b hears it.
  REQUIRE(eventually([&] {
    ta.publish("typing", "start", "a is typing");
    return at_b.size() > 0;
  }));
  CHECK(at_b.values().front().from == "a");
  CHECK(at_b.values().front().payload == "a is typing");

  std::optional<net::ChannelReply> reply;
  std::atomic<bool> done{false};
  auto r = ta.request("typing", "ping", "?", 2s)
               .subscribe([&](const net::ChannelReply& rep) { reply = rep; },
                          [&](std::exception_ptr) { done = true; }, [&] { done = true; });
  REQUIRE(eventually([&] { return done.load(); }));
  REQUIRE(reply);
  CHECK(reply->payload == "b is here");

  std::atomic<int> code{0};
  auto nobody = ta.request("silence", "ping", "?", 300ms)
                    .subscribe([](const net::ChannelReply&) {},
                               [&](std::exception_ptr e) {
                                 try {
                                   std::rethrow_exception(e);
                                 } catch (const net::RequestError& err) {
                                   code = static_cast<int>(err.code);
                                 }
                               });
  REQUIRE(eventually([&] { return code.load() != 0; }));
  CHECK((code.load() == static_cast<int>(net::ErrorCode::no_responder) ||
         code.load() == static_cast<int>(net::ErrorCode::timeout)));

  // A subscriber that never replies: the requester's own timeout ends it.
  auto mute = tb.subscribe("mute").subscribe([](const net::ChannelMessage&) {});
  REQUIRE(eventually([&] { return server.server->stats().connections >= 2; }));
  std::this_thread::sleep_for(50ms);  // let the Subscribe frame reach the server
  std::atomic<int> timeout_code{0};
  auto slow = ta.request("mute", "ping", "?", 300ms)
                  .subscribe([](const net::ChannelReply&) {},
                             [&](std::exception_ptr e) {
                               try {
                                 std::rethrow_exception(e);
                               } catch (const net::RequestError& err) {
                                 timeout_code = static_cast<int>(err.code);
                               }
                             });
  REQUIRE(eventually([&] { return timeout_code.load() != 0; }));
  CHECK(timeout_code.load() == static_cast<int>(net::ErrorCode::timeout));
}

TEST_CASE("a server frozen with SIGSTOP is noticed within two heartbeats, and found again",
          "[net]") {
  char tmpl[] = "/tmp/rxsync-net-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  demo::Process server({RXSYNC_SERVER_BINARY, "--listen", "127.0.0.1:0", "--port-file",
                        dir + "/port", "--store", "memory", "--allow-anonymous"},
                       dir + "/server.out");
  const auto port = demo::wait_for_port(dir + "/port", std::chrono::steady_clock::now() + 20s);
  REQUIRE(port);
  rxsync::EventLoopThread loop;
  auto opts = client({"ws://127.0.0.1:" + std::to_string(*port)}, "a");
  opts.heartbeat = 300ms;
  Transport t(loop, opts);
  REQUIRE(eventually([&] { return online(t); }));

  server.signal(SIGSTOP);
  const auto stopped = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return t.status().state == net::ConnectionState::reconnecting; }));
  const auto noticed = std::chrono::steady_clock::now() - stopped;
  CHECK(t.status().last_error.find("silent for two heartbeats") != std::string::npos);
  // Two heartbeats of silence, checked once per heartbeat: at most three heartbeats, with room
  // for a loaded machine (reported, not a timing assertion on the library's speed).
  CHECK(noticed < 10 * opts.heartbeat);
  server.signal(SIGCONT);
  REQUIRE(eventually([&] { return online(t); }));
  server.signal(SIGTERM);
  CHECK(server.wait(std::chrono::steady_clock::now() + 10s) == 0);
  std::filesystem::remove_all(dir);
}

// ---- without a server ----

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
}

TEST_CASE("TLS URLs: wss:// and https:// default to port 443, and the CA file is checked by name",
          "[net]") {
  CHECK(net::parse_server_url("wss://sync.example.com") ==
        net::ServerUrl{"wss", "sync.example.com", 443, "wss://sync.example.com"});
  CHECK(net::parse_server_url("https://[::1]/v1").port == 443);
  CHECK(net::parse_server_url("https://x:8443").port == 8443);
  CHECK(net::parse_server_url("https://x:8443").tls());
  CHECK(net::parse_server_url("wss://x").tls());
  CHECK_FALSE(net::parse_server_url("ws://x").tls());
  CHECK_FALSE(net::parse_server_url("http://x").tls());
  CHECK_THROWS_AS(net::parse_server_url("wss://x:0"), std::invalid_argument);

  rxsync::EventLoopThread loop;
  net::NetTransportOptions o;
  o.servers = {"wss://127.0.0.1:1"};
  o.origin = "a";
#if RXSYNC_NET_TLS
  o.tls_ca_file = "/nonexistent/ca.pem";
  REQUIRE_THROWS_WITH(Transport(loop, o),
                      rxsync_test::contains("NetTransportOptions.tls_ca_file: "
                                            "cannot read '/nonexistent/ca.pem'"));
  net_test::TempDir dir;
  const std::string junk = (dir.path / "junk.pem").string();
  std::ofstream(junk) << "not a certificate\n";
  o.tls_ca_file = junk;
  REQUIRE_THROWS_WITH(Transport(loop, o),
                      rxsync_test::contains("NetTransportOptions.tls_ca_file '" + junk +
                                            "': no CA certificate could be read from it"));
#else
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("'wss://127.0.0.1:1' needs TLS"));
  REQUIRE_THROWS_WITH(Transport(loop, o), rxsync_test::contains("without OpenSSL"));
#endif
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

// ---- TLS ----

#if RXSYNC_NET_TLS

namespace {

net::ServerOptions with_tls(const net_test::TlsFiles& files,
                            net::ServerOptions o = Server::anonymous()) {
  o.tls_certificate_file = files.certificate;
  o.tls_private_key_file = files.private_key;
  return o;
}

// A client that trusts `files`' self-signed certificate, as it would a private CA.
net::NetTransportOptions trusting(const net_test::TlsFiles& files,
                                  const std::vector<std::string>& servers,
                                  const std::string& origin,
                                  net::TransportMode mode = net::TransportMode::websocket) {
  net::NetTransportOptions o = client(servers, origin, mode);
  o.tls_ca_file = files.certificate;
  return o;
}

bool retrying(const Transport& t) {
  const auto s = t.status();
  return s.state == net::ConnectionState::reconnecting && s.attempt >= 2;
}

}  // namespace

TEST_CASE("TLS: two devices sync over wss:// and https:// in every transport mode", "[net]") {
  const auto mode = GENERATE(net::TransportMode::websocket, net::TransportMode::sse,
                             net::TransportMode::long_poll, net::TransportMode::poll);
  INFO(net::to_string(mode));
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  Server server(with_tls(files));
  rxsync::EventLoopThread loop;
  const char* scheme = mode == net::TransportMode::websocket ? "wss" : "https";
  Transport ta(loop, trusting(files, {server.url(scheme)}, "a", mode));
  Transport tb(loop, trusting(files, {server.url(scheme)}, "b", mode));
  two_devices_sync(server, loop, ta, tb, mode);
  CHECK(server.server->stats().refused == 0);
}

TEST_CASE("TLS: a self-signed certificate is refused until trusted through tls_ca_file", "[net]") {
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  Server server(with_tls(files));
  rxsync::EventLoopThread loop;

  // Verification is on by default, against the system's CAs: the attempt fails like any other
  // connection attempt, and is retried with backoff.
  Transport strict(loop, client({server.url("wss")}, "a"));
  REQUIRE(eventually([&] { return retrying(strict); }));
  CHECK_THAT(
      strict.status().last_error,
      rxsync_test::contains(server.url("wss") + ": TLS handshake: certificate verify failed"));
  CHECK_THAT(strict.status().last_error, rxsync_test::contains("self"));  // "self-signed ..."
  Transport strict_http(loop, client({server.url("https")}, "b", net::TransportMode::sse));
  REQUIRE(eventually([&] { return retrying(strict_http); }));
  CHECK_THAT(strict_http.status().last_error,
             rxsync_test::contains("TLS handshake: certificate verify failed"));
  // The server hears the client's alert: a refused connection.
  REQUIRE(eventually([&] { return server.server->stats().refused >= 2; }));

  // Trusted as a CA: online, over wss:// and https://.
  Transport trusted(loop, trusting(files, {server.url("wss")}, "c"));
  Transport trusted_http(loop,
                         trusting(files, {server.url("https")}, "d", net::TransportMode::sse));
  REQUIRE(eventually([&] { return online(trusted) && online(trusted_http); }));

  // The name is checked too: a trusted certificate for another host is refused.
  const auto elsewhere = net_test::make_self_signed(dir.path, "elsewhere", "DNS:sync.example.com");
  Server other(with_tls(elsewhere));
  Transport wrong_host(loop, trusting(elsewhere, {other.url("wss")}, "e"));
  REQUIRE(eventually([&] { return retrying(wrong_host); }));
  CHECK_THAT(wrong_host.status().last_error,
             rxsync_test::contains("TLS handshake: certificate verify failed"));
  CHECK_THAT(wrong_host.status().last_error, rxsync_test::contains("mismatch"));

  // The opt-out takes any certificate.
  auto anything = client({other.url("wss")}, "f");
  anything.tls_verify_peer = false;
  Transport insecure(loop, anything);
  REQUIRE(eventually([&] { return online(insecure); }));
}

TEST_CASE("TLS: a plain client of a TLS server, and a TLS client of a plain server, fail cleanly",
          "[net]") {
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  Server tls_server(with_tls(files));
  Server plain_server;
  rxsync::EventLoopThread loop;
  Transport ws_to_tls(loop, client({tls_server.url("ws")}, "a"));
  Transport http_to_tls(loop, client({tls_server.url("http")}, "b", net::TransportMode::sse));
  Transport wss_to_plain(loop, trusting(files, {plain_server.url("wss")}, "c"));
  Transport https_to_plain(
      loop, trusting(files, {plain_server.url("https")}, "d", net::TransportMode::long_poll));
  // Each attempt ends (no hang until a timeout) and is retried.
  REQUIRE(eventually([&] {
    return retrying(ws_to_tls) && retrying(http_to_tls) && retrying(wss_to_plain) &&
           retrying(https_to_plain);
  }));
  CHECK_FALSE(ws_to_tls.status().last_error.empty());
  CHECK_FALSE(http_to_tls.status().last_error.empty());
  CHECK_THAT(wss_to_plain.status().last_error, rxsync_test::contains("TLS handshake"));
  CHECK_THAT(https_to_plain.status().last_error, rxsync_test::contains("TLS handshake"));
  for (const auto* t : {&ws_to_tls, &http_to_tls, &wss_to_plain, &https_to_plain}) {
    INFO(t->status().last_error);
    CHECK_THAT(t->status().last_error, !rxsync_test::contains("timed out"));
  }
  CHECK(tls_server.server->stats().refused >= 4);  // two clients, two rounds each
  CHECK(plain_server.server->stats().websocket_sessions == 0);
}

TEST_CASE("TLS: a server that never answers the handshake: the attempt times out, and is retried",
          "[net]") {
  boost::asio::io_context ioc;
  // Listening, never accepting: the kernel completes TCP connects, nobody speaks TLS.
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string where = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  rxsync::EventLoopThread loop;
  auto ws = client({"wss://" + where}, "a");
  ws.connect_timeout = 200ms;
  auto sse = client({"https://" + where}, "b", net::TransportMode::sse);
  sse.connect_timeout = 200ms;
  Transport a(loop, ws);
  Transport b(loop, sse);
  REQUIRE(eventually([&] { return retrying(a) && retrying(b); }));
  CHECK_THAT(a.status().last_error, rxsync_test::contains("timed out connecting"));
  CHECK_THAT(b.status().last_error, rxsync_test::contains("timed out connecting"));
}

TEST_CASE("TLS: failover and the fallback from WebSocket to SSE work the same over TLS", "[net]") {
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  net::ServerOptions o = with_tls(files);
  o.websocket = false;  // as behind a proxy that does not pass upgrades
  Server server(o);
  const std::string dead = "wss://127.0.0.1:" + std::to_string(closed_port());
  rxsync::EventLoopThread loop;
  Transport t(loop, trusting(files, {dead, server.url("wss")}, "a"));
  rxsync::MemoryStorage storage;
  Service svc(loop, t, storage, service_options("a"));
  svc.start();
  REQUIRE(eventually([&] { return online(t); }));
  CHECK(t.status().server == server.url("wss"));
  CHECK(t.status().mode == net::TransportMode::sse);
  svc.queue_for_sync("k", "over https");
  REQUIRE(eventually([&] { return svc.pending() == 0; }));
  CHECK(server.core->value("k") == rxsync::DefaultCodec::encode(std::string("over https")));
}

TEST_CASE("rxsync-server --tls-cert --tls-key: wss clients, /healthz over https, a frozen server",
          "[net]") {
  net_test::TempDir dir;
  const auto files = net_test::make_self_signed(dir.path);
  const std::string log = (dir.path / "server.out").string();
  demo::Process server(
      {RXSYNC_SERVER_BINARY, "--listen", "127.0.0.1:0", "--port-file", (dir.path / "port").string(),
       "--store", "memory", "--allow-anonymous", "--heartbeat-ms", "300", "--tls-cert",
       files.certificate, "--tls-key", files.private_key},
      log);
  const auto port =
      demo::wait_for_port((dir.path / "port").string(), std::chrono::steady_clock::now() + 20s);
  REQUIRE(port);
  const auto health =
      net_test::https_get(static_cast<std::uint16_t>(*port), "/healthz", files.certificate);
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");

  rxsync::EventLoopThread loop;
  auto opts = trusting(files, {"wss://127.0.0.1:" + std::to_string(*port)}, "a");
  opts.heartbeat = 300ms;
  Transport t(loop, opts);
  REQUIRE(eventually([&] { return online(t); }));
  std::atomic<bool> pulled{false};
  t.pull(0, [&](rxsync::PullResult<std::string, std::string> r) { pulled = r.ok; });
  REQUIRE(eventually([&] { return pulled.load(); }));  // a request and its answer over TLS

  server.signal(SIGSTOP);
  REQUIRE(eventually([&] { return t.status().state == net::ConnectionState::reconnecting; }));
  CHECK_THAT(t.status().last_error, rxsync_test::contains("silent for two heartbeats"));
  server.signal(SIGCONT);
  REQUIRE(eventually([&] { return online(t); }));
  server.signal(SIGTERM);
  CHECK(server.wait(std::chrono::steady_clock::now() + 10s) == 0);
  CHECK_THAT(demo::read_text(log), rxsync_test::contains(", TLS)"));
  CHECK_THAT(demo::read_text(log), rxsync_test::contains("connect websocket"));
}

#endif  // RXSYNC_NET_TLS

#endif  // RXSYNC_TEST_NET
