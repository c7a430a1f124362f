// rxsync-device: one device of the demo's documents (conversation states and chat threads),
// syncing through rxsync-server over a real connection, with its own durable store.
//
//   rxsync-device --server ws://127.0.0.1:8080 --origin phone --store phone.log
//                 --ops 200 --seed 1 --log logs/phone.log          (edit, exit once acknowledged)
//   rxsync-device --server ws://127.0.0.1:8080 --origin checker --store checker.log
//                 --ops 0 --verify logs                             (check every logged edit)
//   rxsync-device ... --scenario thread --messages 100              (grow thread/bench)
//
// Every edit is logged (one line: key, tab, the edited document in hex) once it is durable
// locally, so a checker can tell that no acknowledged edit was lost, even across kills.
#include <rxsync/models/demo_document.hpp>
#include <rxsync/net/net_transport.hpp>
#include <rxsync/schedulers/event_loop_thread.hpp>
#include <rxsync/storage/file_storage.hpp>
#include <rxsync/sync/digest.hpp>
#include <rxsync/sync/sync_service.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../demo_edits.hpp"

using namespace std::chrono_literals;
using Doc = rxsync::DemoDocument;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  std::vector<std::string> servers;
  std::string origin;
  std::string store;
  rxsync::net::TransportMode mode = rxsync::net::TransportMode::websocket;
  std::string token;
  std::string tls_ca;         // extra CA certificates (PEM) for wss:// and https://
  bool tls_insecure = false;  // do not verify the server's certificate (tests only)
  long long ops = 0;
  std::uint64_t seed = 1;
  double rate = 0;  // edits per second; 0: as fast as they go
  std::string log;
  std::string verify;
  std::string scenario;
  long long messages = 0;
  double deadline = 60;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "rxsync-device: %s\n"
               "usage: rxsync-device --server URLS --origin NAME --store PATH\n"
               "         [--transport websocket|sse|long-poll|poll] [--token TOKEN]\n"
               "         [--tls-ca FILE] [--tls-insecure]\n"
               "         [--ops N --seed S [--rate OPS_PER_S] --log FILE] [--verify DIR]\n"
               "         [--scenario thread --messages N] [--deadline SECONDS]\n",
               problem.c_str());
  std::exit(2);
}

double number(const std::string& flag, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= lo && d <= hi)) {
    usage(flag + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
          "], got '" + v + "'");
  }
  return d;
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") usage("help");
    if (flag == "--tls-insecure") {
      c.tls_insecure = true;
      continue;
    }
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--server") {
      std::stringstream ss(v);
      for (std::string url; std::getline(ss, url, ',');)
        if (!url.empty()) c.servers.push_back(url);
    } else if (flag == "--origin") {
      c.origin = v;
    } else if (flag == "--store") {
      c.store = v;
    } else if (flag == "--transport") {
      try {
        c.mode = rxsync::net::parse_transport_mode(v);
      } catch (const std::exception& e) {
        usage(std::string("--transport: ") + e.what());
      }
    } else if (flag == "--token") {
      c.token = v;
    } else if (flag == "--tls-ca") {
      c.tls_ca = v;
    } else if (flag == "--ops") {
      c.ops = static_cast<long long>(number(flag, v, 0, 1e9));
    } else if (flag == "--seed") {
      c.seed = static_cast<std::uint64_t>(number(flag, v, 0, 1e18));
    } else if (flag == "--rate") {
      c.rate = number(flag, v, 0, 1e6);
    } else if (flag == "--log") {
      c.log = v;
    } else if (flag == "--verify") {
      c.verify = v;
    } else if (flag == "--scenario") {
      if (v != "thread") usage("--scenario must be 'thread', got '" + v + "'");
      c.scenario = v;
    } else if (flag == "--messages") {
      c.messages = static_cast<long long>(number(flag, v, 0, 1e9));
    } else if (flag == "--deadline") {
      c.deadline = number(flag, v, 0.001, 1e6);
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (c.servers.empty()) usage("--server is required");
  if (c.origin.empty()) usage("--origin is required");
  if (c.store.empty()) usage("--store is required");
  if (c.ops > 0 && c.log.empty()) usage("--ops needs --log FILE");
  return c;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}
std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int v = 0;
    for (char c : text.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else {
        return std::nullopt;
      }
    }
    out += static_cast<char>(v);
  }
  return out;
}

// Waits (polling the service, which runs on its own thread) until `done` or the deadline.
template <class F>
bool wait_until(Clock::time_point deadline, F&& done) {
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

using Transport = rxsync::net::NetTransport<std::string, Doc, rxsync::EventLoopThread>;
using Service =
    rxsync::SyncService<std::string, Doc, Transport, rxsync::FileStorage, rxsync::EventLoopThread>;

// Pulls until a pull brings nothing new: the local state is then the server's as of that pull.
bool pull_to_head(Service& svc, Clock::time_point deadline) {
  for (;;) {
    const auto before = svc.stats();
    svc.pull_now();
    if (!wait_until(deadline, [&] { return svc.stats().pulls > before.pulls; })) return false;
    const auto after = svc.stats();
    if (after.pull_failures == before.pull_failures &&
        after.changes_pulled == before.changes_pulled)
      return true;
    if (after.pull_failures != before.pull_failures) std::this_thread::sleep_for(50ms);
    if (Clock::now() > deadline) return false;
  }
}

int verify(Service& svc, const Config& cfg) {
  std::size_t edits = 0, missing = 0;
  const auto state = svc.values();
  for (const auto& entry : std::filesystem::directory_iterator(cfg.verify)) {
    if (entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline: a line cut short by a kill is not an edit
      const auto tab = line.find('\t');
      const auto bytes = tab == std::string::npos ? std::nullopt : unhex(line.substr(tab + 1));
      if (!bytes) {
        std::fprintf(stderr, "%s: unreadable line: %s\n", entry.path().c_str(), line.c_str());
        ++missing;
        continue;
      }
      ++edits;
      const std::string key = line.substr(0, tab);
      const Doc effect = rxsync::DefaultCodec::decode(*bytes, static_cast<Doc*>(nullptr));
      const auto have = svc.value(key);
      if (!have || !have->contains(effect)) {
        ++missing;
        std::fprintf(stderr, "missing: an edit of %s logged in %s\n", key.c_str(),
                     entry.path().c_str());
      }
    }
  }
  // A message id held twice in a thread would be an edit applied twice.
  std::size_t duplicates = 0;
  for (const auto& [key, doc] : state) {
    std::set<std::string> ids;
    for (const auto& m : doc.messages) duplicates += ids.insert(m.id).second ? 0U : 1U;
  }
  std::printf("verified: %zu edits, missing: %zu\n", edits, missing);
  std::printf("duplicates: %zu\n", duplicates);
  std::printf("%s\n", rxsync::digest_of<rxsync::DefaultCodec>(state).c_str());
  return missing == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse(argc, argv);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(cfg.deadline));
  rxsync::EventLoopThread loop;
  rxsync::net::NetTransportOptions net;
  net.servers = cfg.servers;
  net.origin = cfg.origin;
  net.mode = cfg.mode;
  net.reconnect.initial = 100ms;
  net.reconnect.max = 1s;
  net.heartbeat = 2s;
  net.request_timeout = 5s;
  if (!cfg.token.empty()) net.token = [token = cfg.token] { return token; };
  net.tls_ca_file = cfg.tls_ca;
  net.tls_verify_peer = !cfg.tls_insecure;
  rxsync::SyncServiceOptions opts;
  opts.origin = cfg.origin;
  opts.batch.backoff.initial = 100ms;
  opts.batch.backoff.max = 2s;
  opts.poller.base = 1s;
  opts.poller.max = 5s;

  try {
    rxsync::FileStorage store(cfg.store);
    Transport transport(loop, net);
    Service svc(loop, transport, store, opts);
    svc.start();
    if (!svc.outbox_recovery().corrupt.empty() || !store.recovery_report().clean()) {
      std::fprintf(stderr, "rxsync-device: recovered %s: %s\n", cfg.store.c_str(),
                   store.recovery_report().describe().c_str());
    }

    std::FILE* log = cfg.log.empty() ? nullptr : std::fopen(cfg.log.c_str(), "ab");
    if (!cfg.log.empty() && log == nullptr) usage("cannot open --log " + cfg.log);
    std::mt19937_64 rng(cfg.seed ^ std::hash<std::string>{}(cfg.origin));
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const std::vector<std::string> convs = {"conv/alice", "conv/team", "conv/family", "conv/news"};
    const std::vector<std::string> threads = {"thread/refactor", "thread/bugfix", "thread/design"};
    const auto started = Clock::now();
    // Every run of a device tags its edits apart (a restarted device repeats its seed).
    const std::string run = std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
    auto tag = [&](long long i) { return run + "-" + std::to_string(i); };
    for (long long i = 0; i < cfg.ops; ++i) {
      if (cfg.rate > 0) {
        std::this_thread::sleep_until(
            started + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(i) / cfg.rate)));
      }
      const bool message = pick(100) < 45;
      const std::string key = message ? threads[pick(threads.size())] : convs[pick(convs.size())];
      Doc edited;
      svc.update(key, [&](Doc& doc) {
        if (message) {
          demo::add_message(doc, cfg.origin, loop.now(), tag(i), pick);
        } else {
          demo::edit_conversation(doc, cfg.origin, loop.now(), tag(i), pick);
        }
        edited = doc;
      });
      // Durable locally now: log it.
      const std::string line = key + "\t" + hex(rxsync::DefaultCodec::encode(edited)) + "\n";
      std::fwrite(line.data(), 1, line.size(), log);
      std::fflush(log);
    }
    for (long long i = 0; i < cfg.messages; ++i) {
      svc.update("thread/bench",
                 [&](Doc& doc) { demo::add_message(doc, cfg.origin, loop.now(), tag(i), pick); });
    }
    if (log != nullptr) std::fclose(log);

    if (!wait_until(deadline, [&] { return svc.pending() == 0; })) {
      std::fprintf(stderr, "rxsync-device: %zu edits not acknowledged by the deadline (%s: %s)\n",
                   svc.pending(), rxsync::net::to_string(transport.status().state),
                   transport.status().last_error.c_str());
      return 1;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (cfg.verify.empty()) {
      std::printf("acknowledged: %lld edits in %lld ms\nconflicts resolved: %llu\n",
                  cfg.ops + cfg.messages, static_cast<long long>(took.count()),
                  static_cast<unsigned long long>(svc.stats().conflicts_resolved));
      return 0;
    }
    if (!pull_to_head(svc, deadline)) {
      std::fprintf(stderr, "rxsync-device: could not pull to the server's head by the deadline\n");
      return 1;
    }
    return verify(svc, cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rxsync-device: %s\n", e.what());
    return 1;
  }
}
