// Process-level tests of rxsync-server and of the server program in docs/server.md: started as
// child processes on 127.0.0.1 with OS-chosen ports, talked to over plain POSIX sockets. Every
// child is killed by pid when its guard goes out of scope, even when a check failed; every wait
// polls a condition with a deadline.
#include <rxsync/models/demo_document.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/storage/codec.hpp>
#include <rxsync/sync/digest.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rxsync_catch.hpp"
#include "tls_support.hpp"

namespace net = rxsync::net;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using rxsync_test::contains;

namespace {

constexpr auto kTimeout = 10s;

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("rxsync-server-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path path;
};

// A child process with stdout and stderr in files; killed (SIGKILL) and reaped on destruction if
// it is still running.
class Process {
 public:
  Process(const std::vector<std::string>& args, const fs::path& dir, const std::string& name)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string dir_s = dir.string(), out_s = out_.string(), err_s = err_.string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      if (::chdir(dir_s.c_str()) != 0) ::_exit(126);
      const int out = ::open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }
  // The exit code once the process has exited within the timeout (-1: killed by a signal).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = kTimeout) {
    eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
          return status_.has_value();
        },
        timeout);
    if (!status_) return std::nullopt;
    return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1;
  }
  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct RunResult {
  std::optional<int> code;
  std::string out, err;
};

RunResult run_to_end(const std::vector<std::string>& args, const fs::path& dir) {
  Process p(args, dir, "run");
  auto code = p.wait_exit();
  return {code, p.out(), p.err()};
}

// A client socket to 127.0.0.1:port with send and receive timeouts.
class Socket {
 public:
  explicit Socket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  void send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      sent += static_cast<std::size_t>(n);
    }
  }
  // Appends what arrives to `received` until `needle` is in it (true) or EOF/timeout (false).
  bool read_until(const std::string& needle) {
    while (received.find(needle) == std::string::npos) {
      if (!read_some()) return false;
    }
    return true;
  }
  // Reads to EOF; false on a timeout.
  bool read_to_eof() {
    while (!eof_) {
      if (!read_some() && !eof_) return false;
    }
    return true;
  }

  std::string received;

 private:
  bool read_some() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    received.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  bool eof_ = false;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& body = {}, const std::vector<std::string>& headers = {}) {
  Socket s(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  s.send_all(req);
  REQUIRE(s.read_to_eof());
  HttpReply r;
  const auto& text = s.received;
  REQUIRE(text.starts_with("HTTP/1.1 "));
  r.status = std::stoi(text.substr(9, 3));
  const auto split = text.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  r.body = text.substr(split + 4);
  return r;
}

std::uint16_t read_port_file(const fs::path& p) {
  std::string text;
  REQUIRE(eventually([&] {
    text = read_file(p);
    return !text.empty() && text.back() == '\n';
  }));
  return static_cast<std::uint16_t>(std::stoul(text));
}

std::string doc(const std::string& text) {
  rxsync::DemoDocument d;
  d.messages.push_back(
      rxsync::ChatMessage{text, rxsync::TimePoint{rxsync::Duration{7}}, "user", text});
  return rxsync::DefaultCodec::encode(d);
}

#ifdef RXSYNC_SERVER_BINARY
const std::string kServer = RXSYNC_SERVER_BINARY;

// A running rxsync-server with its port.
struct Server {
  Server(const TempDir& dir, std::vector<std::string> extra, const std::string& name = "server") {
    const fs::path port_file = dir.path / (name + ".port");
    fs::remove(port_file);  // a file left by an earlier server would name its port
    std::vector<std::string> args{kServer, "--listen", "127.0.0.1:0", "--port-file",
                                  port_file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    process.emplace(args, dir.path, name);
    port = read_port_file(port_file);
  }
  std::optional<Process> process;
  std::uint16_t port = 0;
};
#endif

}  // namespace

#ifdef RXSYNC_SERVER_BINARY

TEST_CASE("rxsync-server: --port-file, /healthz, and SIGTERM exits 0 within 5 s", "[server]") {
  TempDir dir;
  for (const int sig : {SIGTERM, SIGINT}) {
    INFO("signal " << sig);
    Server s(dir, {"--store", "memory"});
    CHECK(s.port != 0);
    const auto health = http(s.port, "GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    Socket events(s.port);  // an open SSE stream: the stop must end it
    events.send_all("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(events.read_until("event: welcome"));
    const auto t0 = std::chrono::steady_clock::now();
    s.process->signal(sig);
    const auto code = s.process->wait_exit(5s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(events.read_to_eof());
    CHECK_THAT(s.process->err(), contains("listening on 127.0.0.1:" + std::to_string(s.port)));
    CHECK_THAT(s.process->err(), contains("connect sse"));
  }
}

TEST_CASE("rxsync-server: --digest of a SQLite store equals /v1/digest of a server on it",
          "[server]") {
  TempDir dir;
  const std::string store = "sqlite:" + (dir.path / "state.db").string();
  const std::map<std::string, std::string> state{
      {rxsync::DefaultCodec::encode(std::string("thread/a")), doc("hello")},
      {rxsync::DefaultCodec::encode(std::string("conv/b")), doc("world")}};
  rxsync::StateDigest expected;
  for (const auto& [k, v] : state) expected.add(k, v);

  std::string served;
  {
    Server first(dir, {"--store", store, "--allow-anonymous", "--durable", "off"}, "first");
    net::Push push{1, {}};
    std::uint64_t version = 0;
    for (const auto& [k, v] : state) {
      push.changes.push_back({k, "dev", ++version, net::ValueEncoding::full, v});
    }
    const auto r =
        http(first.port, "POST", "/v1/push", net::encode_frame(push), {"X-Rxsync-Origin: dev"});
    REQUIRE(r.status == 200);
    const auto ack = std::get<net::Ack>(net::decode_frame(r.body));
    REQUIRE(ack.outcomes.size() == 2);
    CHECK(ack.outcomes[0].kind == rxsync::ItemOutcome::ok);
    CHECK(ack.outcomes[1].kind == rxsync::ItemOutcome::ok);
    served = http(first.port, "GET", "/v1/digest").body;
    CHECK(served == expected.digest_line() + "\n");
    first.process->signal(SIGTERM);
    CHECK(first.process->wait_exit(5s) == 0);
  }
  const auto offline = run_to_end({kServer, "--digest", "--store", store}, dir.path);
  CHECK(offline.code == 0);
  CHECK(offline.out == served);

  Server second(dir, {"--store", store, "--allow-anonymous"}, "second");
  CHECK(http(second.port, "GET", "/v1/digest").body == served);
  second.process->signal(SIGTERM);
  CHECK(second.process->wait_exit(5s) == 0);

  const auto missing =
      run_to_end({kServer, "--digest", "--store", "sqlite:nothing-here.db"}, dir.path);
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, contains("cannot open --store sqlite:nothing-here.db"));
}

TEST_CASE("rxsync-server: tokens from --tokens decide who may push", "[server]") {
  TempDir dir;
  {
    std::ofstream(dir.path / "tokens.txt") << "# who may sync\nt-phone phone\n\nt-desk desk\n";
  }
  Server s(dir, {"--store", "memory", "--tokens", "tokens.txt"});
  const std::string body =
      net::encode_frame(net::Push{1,
                                  {{rxsync::DefaultCodec::encode(std::string("k")), "phone", 1,
                                    net::ValueEncoding::full, doc("x")}}});
  CHECK(http(s.port, "POST", "/v1/push", body, {"Authorization: Bearer nope"}).status == 401);
  CHECK(http(s.port, "POST", "/v1/push", body,
             {"Authorization: Bearer t-desk", "X-Rxsync-Origin: phone"})
            .status == 403);
  const auto ok = http(s.port, "POST", "/v1/push", body, {"Authorization: Bearer t-phone"});
  CHECK(ok.status == 200);
  const auto metrics = http(s.port, "GET", "/metrics").body;
  CHECK_THAT(metrics, contains("\nrxsync_server_changes_applied_total 1\n"));
  s.process->signal(SIGTERM);
  CHECK(s.process->wait_exit(5s) == 0);
  CHECK_THAT(s.process->err(), contains("refused http"));
}

TEST_CASE("rxsync-server: a bad command line exits 2 naming the flag and value", "[server]") {
  TempDir dir;
  {
    std::ofstream(dir.path / "bad-tokens.txt") << "t1 phone\nt2\n";
  }
  std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--bogus"}, "unknown flag '--bogus'"},
      {{"--listen"}, "--listen needs a value"},
      {{"--listen", "nohost"}, "--listen 'nohost': expected HOST:PORT"},
      {{"--listen", "127.0.0.1:99999"}, "--listen port '99999'"},
      {{"--store", "nonsense"}, "--store 'nonsense'"},
      {{"--store", "postgres:host=db"}, "PostgreSQL is not supported by this build yet"},
      {{"--durable", "maybe"}, "--durable 'maybe': expected on or off"},
      {{"--io-threads", "0"}, "--io-threads '0'"},
      {{"--store", "memory", "--tokens", "missing.txt"}, "cannot open tokens file missing.txt"},
      {{"--store", "memory", "--tokens", "bad-tokens.txt"}, "bad-tokens.txt:2:"},
      {{"--store", "memory", "--peer", "ws://10.0.0.2:8080"},
       "--peer ws://10.0.0.2:8080: region replication is not implemented"},
      {{"--store", "memory", "--listen", "0.0.0.0:0"}, "give --tokens FILE"},
      {{"--allow-anonymous=yes"}, "--allow-anonymous takes no value"},
      {{"--tls-cert"}, "--tls-cert needs a value"},
      {{"--tls-cert", "cert.pem"}, "--tls-cert needs --tls-key (give both or neither)"},
      {{"--tls-key", "server.key"}, "--tls-key needs --tls-cert (give both or neither)"},
  };
  // Bad files are reported before the store is opened: none of these creates a database.
#if RXSYNC_NET_TLS
  const auto files = net_test::make_self_signed(dir.path);
  const auto other = net_test::make_self_signed(dir.path, "other");
  cases.push_back({{"--tls-cert", "missing.pem", "--tls-key", files.private_key},
                   "--tls-cert 'missing.pem': cannot read the file"});
  cases.push_back({{"--tls-cert", files.certificate, "--tls-key", "missing.key"},
                   "--tls-key 'missing.key': cannot read the file"});
  cases.push_back({{"--tls-cert", "bad-tokens.txt", "--tls-key", files.private_key},
                   "--tls-cert 'bad-tokens.txt': not a PEM certificate chain"});
  cases.push_back({{"--tls-cert", files.certificate, "--tls-key", "bad-tokens.txt"},
                   "--tls-key 'bad-tokens.txt': not a PEM private key"});
  cases.push_back({{"--tls-cert", files.certificate, "--tls-key", other.private_key},
                   "--tls-key '" + other.private_key + "': does not match the certificate"});
#else
  {
    std::ofstream(dir.path / "cert.pem") << "x\n";
  }
  cases.push_back({{"--tls-cert", "cert.pem", "--tls-key", "cert.pem"},
                   "--tls-cert: TLS was asked for, but this build of rxsync::net has no TLS"});
#endif
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args{kServer};
    args.insert(args.end(), flags.begin(), flags.end());
    std::string shown;
    for (const auto& f : flags) shown += " " + f;
    INFO("flags:" << shown);
    const auto r = run_to_end(args, dir.path);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, contains(message));
    CHECK_FALSE(fs::exists(dir.path / "rxsync-server.db"));  // nothing opened
  }
  const auto help = run_to_end({kServer, "--help"}, dir.path);
  CHECK(help.code == 0);
  CHECK_THAT(help.out, contains("--listen HOST:PORT"));
  CHECK_THAT(help.out, contains("--port-file FILE"));
  CHECK_THAT(help.out, contains("--tls-cert FILE"));
  CHECK_THAT(help.out, contains("--tls-key FILE"));
}

#endif  // RXSYNC_SERVER_BINARY

#ifdef RXSYNC_SERVER_DOC_EXAMPLE

namespace {
// The value type of the program in docs/server.md, encoded the same way.
struct Tags {
  std::set<std::string> items;
  void encode_to(rxsync::BinaryWriter& w) const {
    w.put_varint(items.size());
    for (const auto& s : items) w.put_string(s);
  }
  static Tags decode_from(rxsync::BinaryReader& r) {
    Tags t;
    for (std::size_t n = r.get_count(); n > 0; --n) t.items.insert(r.get_string());
    return t;
  }
};
}  // namespace

TEST_CASE("the server program of docs/server.md serves its own value type", "[server]") {
  TempDir dir;
  {
    std::ofstream(dir.path / "tokens.txt") << "t-phone phone\n";
  }
  Process p({RXSYNC_SERVER_DOC_EXAMPLE, "0", (dir.path / "tags.db").string()}, dir.path, "doc");
  std::uint16_t port = 0;
  REQUIRE(eventually([&] {
    const std::string out = p.out();
    const auto at = out.find("serving on port ");
    if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
    port = static_cast<std::uint16_t>(std::stoul(out.substr(at + 16)));
    return true;
  }));
  const auto key = rxsync::DefaultCodec::encode(std::string("tags/1"));
  const auto push = [&](const std::string& value, std::uint64_t version) {
    const auto r = http(port, "POST", "/v1/push",
                        net::encode_frame(net::Push{
                            version, {{key, "phone", version, net::ValueEncoding::full, value}}}),
                        {"Authorization: Bearer t-phone"});
    REQUIRE(r.status == 200);
    return std::get<net::Ack>(net::decode_frame(r.body)).outcomes.at(0).kind;
  };
  CHECK(push(rxsync::DefaultCodec::encode(Tags{{"a"}}), 1) == rxsync::ItemOutcome::ok);
  CHECK(push(rxsync::DefaultCodec::encode(Tags{{"b"}}), 2) == rxsync::ItemOutcome::ok);
  CHECK(push("\x05garbage", 3) == rxsync::ItemOutcome::reject);  // the validator decodes
  std::map<std::string, std::string> expected{
      {key, rxsync::DefaultCodec::encode(Tags{{"a", "b"}})}};
  rxsync::StateDigest d;
  for (const auto& [k, v] : expected) d.add(k, v);
  CHECK(http(port, "GET", "/v1/digest").body == d.digest_line() + "\n");  // merged
  CHECK(http(port, "POST", "/v1/pull", net::encode_frame(net::Pull{}), {}).status == 401);
  p.signal(SIGTERM);
  CHECK(p.wait_exit(5s) == 0);
}

#endif  // RXSYNC_SERVER_DOC_EXAMPLE
