// Tests for rxsync/net/server_options.hpp: option validation (TLS files included) and the tokens
// file format.
#include <rxsync/net/server_options.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "net_support.hpp"
#include "rxsync_catch.hpp"

namespace net = rxsync::net;
using namespace std::chrono_literals;
using rxsync_test::contains;

namespace {

net::ServerOptions anonymous() {
  net::ServerOptions o;
  o.allow_anonymous = true;
  return o;
}

std::map<std::string, std::string> tokens_of(const std::string& text) {
  std::istringstream in(text);
  return net::parse_tokens(in, "tokens.txt");
}

}  // namespace

TEST_CASE("ServerOptions: the defaults with anonymous access are valid", "[server]") {
  CHECK_NOTHROW(net::validate_server_options(anonymous()));
  net::ServerOptions o;
  o.tokens = {{"t0k3n", "phone"}};
  CHECK_NOTHROW(net::validate_server_options(o));
  CHECK(o.effective_idle_timeout() == 2 * o.heartbeat);
  o.idle_timeout = 5s;
  CHECK(o.effective_idle_timeout() == 5s);
}

TEST_CASE("ServerOptions: each invalid option is named with its value", "[server]") {
  const auto refused = [](net::ServerOptions o, const std::string& text) {
    CHECK_THROWS_WITH(net::validate_server_options(o), contains(text));
    CHECK_THROWS_AS(net::validate_server_options(o), std::invalid_argument);
  };
  auto o = anonymous();
  o.host.clear();
  refused(o, "ServerOptions.host");
  o = anonymous();
  o.max_frame = 10;
  refused(o, "ServerOptions.max_frame must be >= 64 bytes, got 10");
  o = anonymous();
  o.heartbeat = 0ms;
  refused(o, "ServerOptions.heartbeat must be between 1 ms and 1 hour, got 0 ms");
  o = anonymous();
  o.idle_timeout = -1ms;
  refused(o, "ServerOptions.idle_timeout");
  o = anonymous();
  o.max_long_poll = 0ms;
  refused(o, "ServerOptions.max_long_poll");
  o = anonymous();
  o.request_timeout = 0ms;
  refused(o, "ServerOptions.request_timeout");
  o = anonymous();
  o.max_request_timeout = 1ms;
  refused(o, "ServerOptions.max_request_timeout");
  o = anonymous();
  o.stop_timeout = 0ms;
  refused(o, "ServerOptions.stop_timeout");
  o = anonymous();
  o.max_page_bytes = 1;
  refused(o, "ServerOptions.max_page_bytes");
  o = anonymous();
  o.io_threads = 0;
  refused(o, "ServerOptions.io_threads must be between 1 and 256, got 0");
  o = anonymous();
  o.store_threads = 0;
  refused(o, "ServerOptions.store_threads");
  o = anonymous();
  o.allow_anonymous = false;
  refused(o, "tokens is empty and allow_anonymous is false");
  o = anonymous();
  o.tokens = {{"has space", "phone"}};
  refused(o, "ServerOptions.tokens");
  o.tokens = {{"t", ""}};
  refused(o, "ServerOptions.tokens");
}

TEST_CASE("ServerOptions: TLS files come as a pair, and unreadable ones are named with the path",
          "[server]") {
  const auto refused = [](const net::ServerOptions& o, const std::string& text) {
    CHECK_THROWS_WITH(net::validate_server_options(o), contains(text));
    CHECK_THROWS_AS(net::validate_server_options(o), std::invalid_argument);
  };
  net_test::TempDir dir;
  const std::string cert = (dir.path / "cert.pem").string();
  const std::string key = (dir.path / "key.pem").string();
  std::ofstream(cert) << "-----BEGIN CERTIFICATE-----\n";  // read by SyncServer, not here
  std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\n";

  auto o = anonymous();
  CHECK_FALSE(o.tls());
  o.tls_certificate_file = cert;
  refused(o, "ServerOptions.tls_private_key_file is empty but tls_certificate_file is set");
  o = anonymous();
  o.tls_private_key_file = key;
  refused(o, "ServerOptions.tls_certificate_file is empty but tls_private_key_file is set");
  o.tls_certificate_file = (dir.path / "missing.pem").string();
  refused(o, "ServerOptions.tls_certificate_file: cannot read '" + o.tls_certificate_file + "'");
  o.tls_certificate_file = cert;
  o.tls_private_key_file = (dir.path / "missing.key").string();
  refused(o, "ServerOptions.tls_private_key_file: cannot read '" + o.tls_private_key_file + "'");
  o.tls_private_key_file = key;
  CHECK_NOTHROW(net::validate_server_options(o));
  CHECK(o.tls());
}

TEST_CASE("tokens file: TOKEN ORIGIN lines, comments and blank lines", "[server]") {
  const auto tokens = tokens_of(
      "# devices of the demo\n"
      "\n"
      "t-phone   phone\n"
      "  t-laptop\tlaptop\r\n"
      "   # indented comment\n");
  CHECK(tokens == std::map<std::string, std::string>{{"t-phone", "phone"}, {"t-laptop", "laptop"}});
  CHECK(tokens_of("").empty());
}

TEST_CASE("tokens file: a bad line is an error naming the file and the line", "[server]") {
  CHECK_THROWS_WITH(tokens_of("a phone\nlonely\n"),
                    contains("tokens.txt:2: expected `TOKEN ORIGIN`, got 1 field(s)"));
  CHECK_THROWS_WITH(tokens_of("# c\na b c\n"), contains("tokens.txt:2:"));
  CHECK_THROWS_WITH(tokens_of("a phone\na laptop\n"), contains("tokens.txt:2: token listed twice"));
  CHECK_THROWS_AS(tokens_of("x\n"), std::invalid_argument);
  CHECK_THROWS_WITH(net::read_tokens_file("/nonexistent/rxsync/tokens"),
                    contains("cannot open tokens file /nonexistent/rxsync/tokens"));
}

TEST_CASE("the log line names the event, transport, peer, origin and reason", "[server]") {
  const net::ServerLogEvent e{net::ServerLogEvent::Kind::refused, "websocket", "127.0.0.1:5000",
                              "phone", "unauthorized: unknown token"};
  CHECK(net::format_log_event(e) ==
        "refused websocket 127.0.0.1:5000 origin=phone: unauthorized: unknown token");
  CHECK(net::format_log_event({net::ServerLogEvent::Kind::connected, "sse", "1.2.3.4:5", "", ""}) ==
        "connect sse 1.2.3.4:5");
}
