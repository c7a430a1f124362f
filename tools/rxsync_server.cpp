// rxsync-server: the reference sync server. It holds rxsync::DemoDocument values (the documents
// of rxsync-device and the demos) under std::string keys, in memory or in a SQLite file, and
// serves them on one port (docs/server.md; the endpoints are in docs/net.md).
//
// Exit codes: 0 after SIGTERM/SIGINT (graceful stop) or --digest/--help; 2 for a bad command
// line or something this build does not do; 1 when the store or the port cannot be opened.
#include <rxsync/adapters/sqlite_server_store.hpp>
#include <rxsync/models/demo_document.hpp>
#include <rxsync/net/server.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace {

constexpr std::string_view kUsage = R"(usage: rxsync-server [options]

Serves rxsync::DemoDocument state to rxsync clients over WebSocket, HTTP and SSE, plain or TLS.

  --listen HOST:PORT     address to listen on (default 127.0.0.1:8080; port 0: any free port)
  --port-file FILE       once accepting, write the bound port and a newline to FILE
  --store SPEC           memory | sqlite:PATH | postgres:CONNINFO (default sqlite:rxsync-server.db)
  --durable on|off       SQLite: fsync every commit (on, default); off risks losing the last
                         acknowledged pushes on a power failure (not on a crash)
  --tokens FILE          clients authenticate with tokens: lines `TOKEN ORIGIN`, # comments
  --allow-anonymous      clients without a token may connect, as any origin
  --no-websocket         refuse WebSocket upgrades (clients fall back to SSE and HTTP)
  --tls-cert FILE        speak TLS only (clients use https:// and wss://), with this PEM
                         certificate chain (the server's certificate first)
  --tls-key FILE         the PEM private key of --tls-cert (give both or neither)
  --peer URL             another region's server (repeatable; not implemented yet)
  --digest               print the digest line of the store's state and exit
  --io-threads N         socket threads (default 2)
  --heartbeat-ms MS      heartbeat announced to clients (default 10000); 2 silent
                         heartbeats close a WebSocket
  --max-frame BYTES      largest frame accepted (default 16777216)
  --quiet                no connection log on stderr
  --help                 this text

Without --tokens or --allow-anonymous, a loopback address accepts anonymous clients and any
other address is refused. SIGTERM or SIGINT stops gracefully (exit 0).
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string port_file;
  std::string store = "sqlite:rxsync-server.db";
  bool durable = true;
  std::string tokens_file;
  bool allow_anonymous = false;
  bool websocket = true;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> peers;
  bool digest = false;
  std::size_t io_threads = 2;
  std::uint32_t heartbeat_ms = 10'000;
  std::size_t max_frame = rxsync::net::kDefaultMaxFrameSize;
  bool quiet = false;
  bool help = false;
};

std::string bad_value(std::string_view flag, std::string_view value, std::string_view expected) {
  return std::string(flag) + " '" + std::string(value) + "': " + std::string(expected);
}

template <class N>
N parse_number(std::string_view flag, std::string_view value, N min, N max) {
  N n{};
  const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || err != std::errc() || end != value.data() + value.size() || n < min ||
      n > max) {
    throw UsageError(bad_value(
        flag, value,
        "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
  }
  return n;
}

void parse_listen(Config& c, std::string_view value) {
  const std::size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
    throw UsageError(bad_value("--listen", value, "expected HOST:PORT (e.g. 127.0.0.1:8080)"));
  }
  std::string_view host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {  // [::1]:8080
    host = host.substr(1, host.size() - 2);
  }
  c.host = std::string(host);
  c.port = parse_number<std::uint16_t>("--listen port", value.substr(colon + 1), 0, 65535);
}

Config parse(int argc, char** argv) {
  Config c;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::optional<std::string_view> inline_value;
    if (const std::size_t eq = flag.find('='); flag.starts_with("--") && eq != flag.npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    const auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw UsageError(std::string(flag) + " needs a value");
      return args[++i];
    };
    const auto no_value = [&] {
      if (inline_value) throw UsageError(std::string(flag) + " takes no value");
    };
    if (flag == "--listen") {
      parse_listen(c, value());
    } else if (flag == "--port-file") {
      c.port_file = std::string(value());
      if (c.port_file.empty()) throw UsageError("--port-file needs a file name");
    } else if (flag == "--store") {
      c.store = std::string(value());
    } else if (flag == "--durable") {
      const std::string_view v = value();
      if (v != "on" && v != "off") throw UsageError(bad_value(flag, v, "expected on or off"));
      c.durable = v == "on";
    } else if (flag == "--tokens") {
      c.tokens_file = std::string(value());
    } else if (flag == "--allow-anonymous") {
      no_value();
      c.allow_anonymous = true;
    } else if (flag == "--no-websocket") {
      no_value();
      c.websocket = false;
    } else if (flag == "--tls-cert" || flag == "--tls-key") {
      const std::string_view v = value();
      if (v.empty()) throw UsageError(std::string(flag) + " needs a file name");
      (flag == "--tls-cert" ? c.tls_cert : c.tls_key) = std::string(v);
    } else if (flag == "--peer") {
      c.peers.emplace_back(value());
    } else if (flag == "--digest") {
      no_value();
      c.digest = true;
    } else if (flag == "--io-threads") {
      c.io_threads = parse_number<std::size_t>(flag, value(), 1, 256);
    } else if (flag == "--heartbeat-ms") {
      c.heartbeat_ms = parse_number<std::uint32_t>(flag, value(), 1, 3'600'000);
    } else if (flag == "--max-frame") {
      c.max_frame = parse_number<std::size_t>(flag, value(), 64, std::size_t{1} << 30);
    } else if (flag == "--quiet") {
      no_value();
      c.quiet = true;
    } else if (flag == "--help" || flag == "-h") {
      c.help = true;
    } else {
      throw UsageError("unknown flag '" + std::string(args[i]) + "' (see --help)");
    }
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    throw UsageError(c.tls_cert.empty() ? "--tls-key needs --tls-cert (give both or neither)"
                                        : "--tls-cert needs --tls-key (give both or neither)");
  }
  return c;
}

// Reads the TLS files before anything is opened; a file that cannot be used is a bad value of
// its flag (exit 2).
void check_tls_files(const Config& c, rxsync::net::ServerOptions& options) {
  options.tls_certificate_file = c.tls_cert;
  options.tls_private_key_file = c.tls_key;
  for (const auto& [flag, path] :
       {std::pair<std::string_view, std::string>{"--tls-cert", c.tls_cert},
        {"--tls-key", c.tls_key}}) {
    if (!path.empty() && !std::ifstream(path))
      throw UsageError(bad_value(flag, path, "cannot read the file"));
  }
  try {
    rxsync::net::validate_server_tls_files(options);
  } catch (const std::invalid_argument& e) {
    std::string text = e.what();
    for (const auto& [option, flag] : {std::pair<std::string_view, std::string_view>{
                                           "ServerOptions.tls_certificate_file", "--tls-cert"},
                                       {"ServerOptions.tls_private_key_file", "--tls-key"}}) {
      for (auto at = text.find(option); at != std::string::npos;
           at = text.find(option, at + flag.size()))
        text.replace(at, option.size(), flag);
    }
    throw UsageError(text);
  }
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// The store named by --store; throws UsageError for a spec this build cannot open.
std::unique_ptr<rxsync::ServerStore> open_store(const Config& c) {
  const std::string_view spec = c.store;
  if (spec == "memory") return std::make_unique<rxsync::MemoryServerStore>();
  if (spec.starts_with("sqlite:") && spec.size() > 7) {
    return std::make_unique<rxsync::SqliteServerStore>(
        std::string(spec.substr(7)),
        rxsync::SqliteServerStoreOptions{.durable = c.durable, .create_if_missing = !c.digest});
  }
  if (spec.starts_with("postgres:")) {
    throw UsageError("--store " + c.store +
                     ": PostgreSQL is not supported by this build yet; use memory or sqlite:PATH");
  }
  throw UsageError(bad_value("--store", spec, "expected memory, sqlite:PATH or postgres:CONNINFO"));
}

// Temp file and rename: a reader never sees a partial port.
void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
  }
}

int run(const Config& c) {
  if (!c.peers.empty()) {
    throw UsageError("--peer " + c.peers.front() +
                     ": region replication is not implemented by this build yet; run a single "
                     "server without --peer");
  }
  rxsync::net::ServerOptions options;
  options.host = c.host;
  options.port = c.port;
  options.allow_anonymous = c.allow_anonymous;
  options.websocket = c.websocket;
  options.io_threads = c.io_threads;
  options.heartbeat = std::chrono::milliseconds(c.heartbeat_ms);
  options.max_frame = c.max_frame;
  if (c.quiet) options.log = nullptr;
  if (!c.tls_cert.empty()) check_tls_files(c, options);
  if (!c.tokens_file.empty()) {
    try {
      options.tokens = rxsync::net::read_tokens_file(c.tokens_file);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--tokens: ") + e.what());
    }
    if (options.tokens.empty() && !c.allow_anonymous)
      throw UsageError("--tokens " + c.tokens_file + ": the file lists no token");
  } else if (!c.allow_anonymous && !c.digest) {
    if (!is_loopback(c.host)) {
      throw UsageError("--listen " + c.host + " is not a loopback address: give --tokens FILE " +
                       "(or --allow-anonymous to let anyone in)");
    }
    options.allow_anonymous = true;
  }

  std::unique_ptr<rxsync::ServerStore> store;
  try {
    store = open_store(c);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "rxsync-server: cannot open --store " << c.store << ": " << e.what() << "\n";
    return 1;
  }
  rxsync::ServerCore core(*store, rxsync::typed_merger<rxsync::DemoDocument>(),
                          rxsync::typed_validator<rxsync::DemoDocument>());
  if (c.digest) {
    std::cout << core.digest_line() << std::endl;
    return 0;
  }

  // Installed before the server starts, so a signal that comes right after the port file is
  // written is never lost (Asio queues it until the wait below).
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const boost::system::error_code&, int signal) { received = signal; });

  rxsync::net::SyncServer server(core, std::move(options));
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "rxsync-server: " << e.what() << "\n";
    return 1;
  }
  if (!c.port_file.empty()) {
    try {
      write_port_file(c.port_file, server.port());
    } catch (const std::exception& e) {
      std::cerr << "rxsync-server: --port-file " << c.port_file << ": " << e.what() << "\n";
      server.stop();
      return 1;
    }
  }
  const auto& o = server.options();
  std::cerr << "rxsync-server: listening on " << c.host << ":" << server.port() << " (store "
            << c.store
            << (c.store.starts_with("sqlite:") ? (c.durable ? ", durable" : ", durable off") : "")
            << ", " << o.tokens.size() << " token(s)"
            << (o.allow_anonymous ? ", anonymous clients allowed" : "") << (o.tls() ? ", TLS" : "")
            << ")" << std::endl;

  signals_context.run();  // returns after the first SIGINT or SIGTERM
  std::cerr << "rxsync-server: signal " << received << ": stopping" << std::endl;
  server.stop();
  std::cerr << "rxsync-server: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef SIGPIPE
  std::signal(SIGPIPE, SIG_IGN);  // a peer gone mid-write is an error code, not the end
#endif
  try {
    const Config config = parse(argc, argv);
    if (config.help) {
      std::cout << kUsage;
      return 0;
    }
    return run(config);
  } catch (const UsageError& e) {
    std::cerr << "rxsync-server: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "rxsync-server: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "rxsync-server: " << e.what() << "\n";
    return 1;
  }
}
