// The networked demo: rxsync-server and several rxsync-device processes on loopback. Devices
// edit the demo's documents; one is killed with SIGKILL and restarted from its store; the server
// is killed with SIGKILL and restarted on the same port (and, with --pause-server, stopped with
// SIGSTOP for a while). Afterwards every device reopens its store, pulls to the server's head and
// checks that every edit any device logged is in its state; all digests must be the server's.
//
//   rxsync_demo_net [--devices 3] [--ops 150] [--rate 50] [--transport websocket]
//                   [--pause-server SECONDS] [--keep]
#include <rxsync/net/net_transport_options.hpp>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

#ifndef RXSYNC_SERVER_BIN
#define RXSYNC_SERVER_BIN "rxsync-server"
#endif
#ifndef RXSYNC_DEVICE_BIN
#define RXSYNC_DEVICE_BIN "rxsync-device"
#endif

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Config {
  int devices = 3;
  int ops = 150;
  double rate = 50;
  std::string transport = "websocket";
  double pause_server = 0;
  bool keep = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "rxsync_demo_net: %s\nusage: rxsync_demo_net [--devices N] [--ops N] [--rate R] "
               "[--transport websocket|sse|long-poll|poll] [--pause-server SECONDS] [--keep]\n",
               problem.c_str());
  std::exit(2);
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--keep") {
      c.keep = true;
      continue;
    }
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string v = argv[++i];
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    const bool numeric = !v.empty() && *end == '\0';
    if (flag == "--devices" && numeric && d >= 2 && d <= 10) {
      c.devices = static_cast<int>(d);
    } else if (flag == "--ops" && numeric && d >= 1 && d <= 1e6) {
      c.ops = static_cast<int>(d);
    } else if (flag == "--rate" && numeric && d > 0 && d <= 1e5) {
      c.rate = d;
    } else if (flag == "--pause-server" && numeric && d >= 0 && d <= 60) {
      c.pause_server = d;
    } else if (flag == "--transport") {
      try {
        (void)rxsync::net::parse_transport_mode(v);
      } catch (const std::exception& e) {
        usage(e.what());
      }
      c.transport = v;
    } else {
      usage("bad flag or value: " + flag + " " + v);
    }
  }
  return c;
}

// A line of `text` that starts with `prefix`, without it.
std::optional<std::string> line_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  const auto end = text.find('\n', at);
  return text.substr(at + prefix.size(), end == std::string::npos ? end : end - at - prefix.size());
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse(argc, argv);
  char tmpl[] = "/tmp/rxsync-demo-net-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) usage("cannot create a temp dir");
  const fs::path dir = tmpl;
  fs::create_directories(dir / "logs");
  const auto deadline = Clock::now() + 240s;
  const auto seconds = [start = Clock::now()] {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto say = [&](const std::string& what) {
    std::printf("t=%5.1fs  %s\n", seconds(), what.c_str());
  };

  const std::string port_file = (dir / "port").string();
  const std::string store = "sqlite:" + (dir / "server.db").string();
  auto start_server = [&](const std::string& listen) {
    fs::remove(port_file);
    demo::Process p({RXSYNC_SERVER_BIN, "--listen", listen, "--port-file", port_file, "--store",
                     store, "--allow-anonymous"},
                    (dir / "server.out").string());
    const auto port = demo::wait_for_port(port_file, Clock::now() + 20s);
    if (!port)
      throw std::runtime_error("the server did not start (see " + (dir / "server.out").string() +
                               ")");
    return std::make_pair(std::move(p), *port);
  };

  int exit_code = 1;
  try {
    auto [server, port] = start_server("127.0.0.1:0");
    const std::string scheme = cfg.transport == "websocket" ? "ws://" : "http://";
    const std::string url = scheme + "127.0.0.1:" + std::to_string(port);
    std::printf("rxsync networked demo: %d devices x %d edits at %.0f/s over %s, server on %s\n",
                cfg.devices, cfg.ops, cfg.rate, cfg.transport.c_str(), url.c_str());

    std::vector<std::string> names = {"phone", "tablet", "desktop"};
    while (static_cast<int>(names.size()) < cfg.devices)
      names.push_back("device-" + std::to_string(names.size() + 1));
    names.resize(static_cast<std::size_t>(cfg.devices));
    auto device = [&](const std::string& name, int ops, const std::string& seed) {
      return demo::Process(
          {RXSYNC_DEVICE_BIN, "--server", url, "--origin", name, "--store",
           (dir / (name + ".store")).string(), "--transport", cfg.transport, "--ops",
           std::to_string(ops), "--seed", seed, "--rate", std::to_string(cfg.rate), "--log",
           (dir / "logs" / (name + ".log")).string(), "--deadline", "180"},
          (dir / (name + ".out")).string());
    };
    std::map<std::string, demo::Process> running;
    for (std::size_t i = 0; i < names.size(); ++i)
      running.emplace(names[i], device(names[i], cfg.ops, std::to_string(i + 1)));
    const double edit_time = cfg.ops / cfg.rate;
    auto at = [&](double fraction) {
      std::this_thread::sleep_until(Clock::now() +
                                    std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(edit_time * fraction)));
    };

    at(0.3);
    const std::string victim = names.back();
    running.at(victim).signal(SIGKILL);
    (void)running.at(victim).wait(Clock::now() + 10s);
    say("kill -9 " + victim);
    running.at(victim) = device(victim, cfg.ops / 2, "99");
    say("restart " + victim + " from its store");

    at(0.2);
    server.signal(SIGKILL);
    (void)server.wait(Clock::now() + 10s);
    say("kill -9 rxsync-server");
    std::this_thread::sleep_for(300ms);
    std::tie(server, port) = start_server("127.0.0.1:" + std::to_string(port));
    say("restart rxsync-server on port " + std::to_string(port) + " from its store");

    if (cfg.pause_server > 0) {
      at(0.1);
      server.signal(SIGSTOP);
      say("kill -STOP rxsync-server");
      std::this_thread::sleep_for(std::chrono::duration<double>(cfg.pause_server));
      server.signal(SIGCONT);
      say("kill -CONT rxsync-server");
    }

    bool devices_ok = true;
    unsigned long long conflicts = 0;
    for (auto& [name, p] : running) {
      const auto code = p.wait(deadline);
      if (code != 0) {
        devices_ok = false;
        std::printf("%s exited with %d (see %s)\n", name.c_str(), code.value_or(-1),
                    (dir / (name + ".out")).c_str());
      }
    }
    say(devices_ok ? "every device's edits acknowledged" : "a device failed");
    for (const auto& name : names) {  // every run of every device, the killed one included
      const std::string out = demo::read_text((dir / (name + ".out")).string());
      for (std::size_t pos = 0;
           (pos = out.find("conflicts resolved: ", pos)) != std::string::npos;) {
        pos += 20;
        conflicts += std::strtoull(out.c_str() + pos, nullptr, 10);
      }
    }

    // Every device reopens its store, pulls to the head and checks every logged edit.
    std::map<std::string, std::string> digests;
    std::size_t edits = 0, missing = 0, duplicates = 0;
    for (const auto& name : names) {
      const std::string out = (dir / (name + ".verify")).string();
      demo::Process v({RXSYNC_DEVICE_BIN, "--server", url, "--origin", name, "--store",
                       (dir / (name + ".store")).string(), "--transport", cfg.transport, "--ops",
                       "0", "--verify", (dir / "logs").string(), "--deadline", "60"},
                      out);
      const auto code = v.wait(deadline);
      const std::string text = demo::read_text(out);
      digests[name] = line_after(text, "digest: ").value_or("?");
      if (auto counts = line_after(text, "verified: ")) {
        unsigned long long n = 0, m = 0;
        if (std::sscanf(counts->c_str(), "%llu edits, missing: %llu", &n, &m) == 2) {
          edits = std::max<std::size_t>(edits, n);
          missing = std::max<std::size_t>(missing, m);
        } else {
          missing = std::max<std::size_t>(missing, 1);  // unreadable: count it as a failure
        }
      } else {
        missing = std::max<std::size_t>(missing, 1);
      }
      if (auto dup = line_after(text, "duplicates: ")) {
        duplicates = std::max<std::size_t>(duplicates, std::stoul(*dup));
      }
      if (code != 0) devices_ok = false;
    }
    server.signal(SIGTERM);
    const auto server_exit = server.wait(Clock::now() + 10s);
    demo::Process digest({RXSYNC_SERVER_BIN, "--store", store, "--digest"},
                         (dir / "server.digest").string());
    (void)digest.wait(deadline);
    const std::string server_digest =
        line_after(demo::read_text((dir / "server.digest").string()), "digest: ").value_or("!");

    bool converged = devices_ok && server_exit == 0;
    for (const auto& [name, d] : digests) {
      std::printf("%-10s digest: %s\n", name.c_str(), d.c_str());
      converged = converged && d == server_digest;
    }
    std::printf("%-10s digest: %s\n", "server", server_digest.c_str());
    converged = converged && missing == 0 && duplicates == 0 && edits > 0;
    std::printf(
        "\nconverged: %s  devices: %d  operations: %zu  lost: %zu  duplicates applied: %zu  "
        "conflicts resolved: %llu  wall: %.1f s\n",
        converged ? "yes" : "NO", cfg.devices, edits, missing, duplicates, conflicts, seconds());
    exit_code = converged ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rxsync_demo_net: %s (files in %s)\n", e.what(), dir.c_str());
    exit_code = 1;
  }
  if (!cfg.keep && exit_code == 0) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else {
    std::printf("files kept in %s\n", dir.c_str());
  }
  return exit_code;
}
