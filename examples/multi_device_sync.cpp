// The multi-device demo: phone, tablet and desktop edit IM conversation state (pin, mute, unread,
// title) and AI chat threads (messages) through a lossy, duplicating, reordering network with one
// partition, each with a durable outbox; one device is killed and restarted mid-run. At the end
// every replica is checked against an independent model of all operations.
//
//   rxsync_example_multi_device_sync [--devices=3] [--ops=300] [--loss=0.1] [--dup=0.1]
//       [--seed=1] [--storage=file|memory|sqlite] [--real-time]
#include <rxsync/models/demo_document.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/file_storage.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/sim_network.hpp>
#if RXSYNC_EXAMPLE_SQLITE
#include <rxsync/adapters/sqlite_storage.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include "demo_edits.hpp"

using namespace std::chrono_literals;

namespace {

// ---- the synced document: one per key ("conv/..." or "thread/...") --------------------------

using Doc = rxsync::DemoDocument;  // conv/ keys: conversation state; thread/ keys: messages

Doc joined(Doc a, const Doc& b) {
  a.merge(b);
  return a;
}

// ---- command line ------------------------------------------------------------------------------

struct Config {
  int devices = 3;
  int ops = 300;
  double loss = 0.1;
  double dup = 0.1;
  std::uint64_t seed = 1;
  std::string storage = "file";
  bool real_time = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "%s\nusage: multi_device_sync [--devices=N (2-10)] [--ops=N] [--loss=P] [--dup=P] "
               "[--seed=N]\n"
               "                         [--storage=file|memory|sqlite] [--real-time]\n",
               problem.c_str());
  std::exit(2);
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string name(arg.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? "" : std::string(arg.substr(eq + 1));
    char* end = nullptr;
    auto number = [&](double lo, double hi) {
      const double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(v >= lo && v <= hi)) {
        usage("invalid value for " + name + ": '" + value + "' (expected " + std::to_string(lo) +
              " to " + std::to_string(hi) + ")");
      }
      return v;
    };
    if (name == "--devices")
      c.devices = static_cast<int>(number(2, 10));
    else if (name == "--ops")
      c.ops = static_cast<int>(number(1, 1e6));
    else if (name == "--loss")
      c.loss = number(0, 0.9);
    else if (name == "--dup")
      c.dup = number(0, 1);
    else if (name == "--seed")
      c.seed = static_cast<std::uint64_t>(number(0, 1e18));
    else if (name == "--storage") {
      if (value != "file" && value != "memory" && value != "sqlite")
        usage("--storage must be file, memory or sqlite");
      c.storage = value;
    } else if (name == "--real-time" && value.empty())
      c.real_time = true;
    else
      usage("unknown argument: " + std::string(arg));
  }
#if !RXSYNC_EXAMPLE_SQLITE
  if (c.storage == "sqlite")
    usage("--storage=sqlite: this build has no SQLite (install libsqlite3-dev and reconfigure)");
#endif
  return c;
}

// ---- time: the same run in virtual or real time ---------------------------------------------

void advance_time(rxsync::VirtualTimeScheduler& s, rxsync::Duration d) { s.advance_by(d); }
void advance_time(rxsync::RunLoop& s, rxsync::Duration d) { s.run_for(d); }

long long seconds(rxsync::Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

// ---- storage per device ---------------------------------------------------------------------

template <class Store>
std::unique_ptr<Store> open_storage(const std::filesystem::path& dir, const std::string& device) {
  if constexpr (std::is_same_v<Store, rxsync::MemoryStorage>) {
    (void)dir;
    (void)device;
    return std::make_unique<Store>();
  } else if constexpr (std::is_same_v<Store, rxsync::FileStorage>) {
    return std::make_unique<Store>(dir / (device + ".log"));  // the default: fdatasync per write
  } else {
    return std::make_unique<Store>(dir / (device + ".db"));
  }
}

// ---- the run
// -------------------------------------------------------------------------------------

template <class Sched, class Store>
int run(const Config& cfg) {
  using Net = rxsync::SimNetwork<std::string, Doc, Sched>;
  using Service = rxsync::SyncService<std::string, Doc, typename Net::Client, Store, Sched>;
  const auto wall_start = rxsync::RunLoop::clock_now();

  Sched sched;
  rxsync::SimNetworkOptions faults;
  faults.loss = cfg.loss;
  faults.duplication = cfg.dup;
  faults.min_delay = 5ms;
  faults.max_delay = 60ms;
  faults.timeout = 500ms;
  faults.seed = cfg.seed;
  Net net(sched, faults);

  // A random name keeps concurrent runs apart (getpid() is POSIX, and this demo runs on Windows
  // too).
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("rxsync-demo-" + std::to_string(std::random_device{}()) + "-" + std::to_string(cfg.seed));
  std::filesystem::create_directories(dir);

  std::vector<std::string> names = {"phone", "tablet", "desktop"};
  while (static_cast<int>(names.size()) < cfg.devices)
    names.push_back("device-" + std::to_string(names.size() + 1));
  names.resize(static_cast<std::size_t>(cfg.devices));

  auto service_options = [&](const std::string& name) {
    rxsync::SyncServiceOptions o;
    o.origin = name;
    o.poller.base = 300ms;  // scaled down from 5 s .. 60 s: the whole run is seconds long
    o.poller.max = 2s;
    // The defaults never give up on an edit (only a server's reject fails one); the delays
    // are scaled down like the poll interval.
    o.batch.backoff.initial = 200ms;
    o.batch.backoff.max = 3s;
    o.sweeper.interval = 5s;
    o.sweeper.min_age = 5s;
    return o;
  };
  struct Device {
    std::string name;
    std::unique_ptr<Store> storage;
    std::unique_ptr<Service> service;
    rxsync::SyncStats before_restart;  // counters of the instance that was killed
  };
  std::vector<Device> devices;
  auto boot = [&](Device& d) {
    if (!d.storage) d.storage = open_storage<Store>(dir, d.name);
    d.service =
        std::make_unique<Service>(sched, net.client(d.name), *d.storage, service_options(d.name));
    d.service->start();
  };
  for (const auto& name : names) {
    devices.push_back(Device{name, nullptr, nullptr, {}});
    boot(devices.back());
  }

  // The independent model: every operation's resulting document, and every message id sent.
  struct Op {
    std::string key;
    Doc effect;
  };
  std::vector<Op> model;
  std::map<std::string, std::set<std::string>> messages_sent;  // thread -> ids

  std::mt19937_64 rng(cfg.seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> conversations = {"conv/alice", "conv/team", "conv/family",
                                                  "conv/news"};
  const std::vector<std::string> threads = {"thread/refactor", "thread/bugfix", "thread/design"};

  auto do_op = [&](int i) {
    Device& d = devices[pick(devices.size())];
    const bool message = pick(100) < 45;
    const std::string key =
        message ? threads[pick(threads.size())] : conversations[pick(conversations.size())];
    Doc doc = d.service->value(key).value_or(Doc{});
    const auto now = sched.now();
    if (message) {
      messages_sent[key].insert(demo::add_message(doc, d.name, now, std::to_string(i), pick));
    } else {
      demo::edit_conversation(doc, d.name, now, std::to_string(i), pick);
    }
    d.service->queue_for_sync(key, doc);
    model.push_back(Op{key, std::move(doc)});
  };

  auto progress = [&](const char* phase) {
    std::printf("t=%3llds  %-30s pending:", seconds(sched.now().time_since_epoch()), phase);
    std::uint64_t synced = 0, retries = 0, conflicts = 0;
    for (auto& d : devices) {
      std::printf(" %s %zu", d.name.c_str(), d.service ? d.service->pending() : 0);
      const auto s = d.service ? d.service->stats() : rxsync::SyncStats{};
      synced += s.succeeded + d.before_restart.succeeded;
      retries += s.retried + d.before_restart.retried;
      conflicts += s.conflicts_resolved + d.before_restart.conflicts_resolved;
    }
    const auto& n = net.stats();
    std::printf(" | synced %llu retries %llu conflicts %llu | net lost %llu dup %llu\n",
                static_cast<unsigned long long>(synced), static_cast<unsigned long long>(retries),
                static_cast<unsigned long long>(conflicts), static_cast<unsigned long long>(n.lost),
                static_cast<unsigned long long>(n.duplicated));
  };

  std::printf(
      "rxsync multi-device demo: %d devices, %d operations, loss %.0f%%, duplication %.0f%%, seed "
      "%llu, "
      "storage %s, %s time\n",
      cfg.devices, cfg.ops, cfg.loss * 100, cfg.dup * 100,
      static_cast<unsigned long long>(cfg.seed), cfg.storage.c_str(),
      cfg.real_time ? "real" : "virtual");
  const int partition_at = cfg.ops / 4, restart_at = cfg.ops / 2, heal_at = (cfg.ops * 3) / 4;
  Device& partitioned = devices[1];
  Device& restarted = devices[devices.size() - 1];
  for (int i = 0; i < cfg.ops; ++i) {
    if (i == partition_at) {
      net.client(partitioned.name).set_online(false);
      progress(("partition: " + partitioned.name + " offline").c_str());
    }
    if (i == restart_at) {
      restarted.before_restart = restarted.service->stats();
      restarted.service.reset();  // killed: whatever is not in its storage is gone
      if constexpr (std::is_same_v<Store, rxsync::MemoryStorage>) {
        // Memory does not survive a real crash: only the service is restarted here, which shows
        // the outbox recovery but not durability (use --storage=file for that).
        progress(("restart " + restarted.name + "'s service (memory storage kept)").c_str());
      } else {
        restarted.storage
            .reset();  // the file is closed as by a crash; the OS keeps what was written
        progress(("kill " + restarted.name).c_str());
      }
      boot(restarted);
      progress(("restart " + restarted.name + " from storage").c_str());
    }
    if (i == heal_at) {
      net.client(partitioned.name).set_online(true);
      progress(("heal: " + partitioned.name + " online").c_str());
    }
    do_op(i);
    advance_time(sched, 20ms);
    if ((i + 1) % 100 == 0) progress("editing");
  }

  // Drain: until nothing is pending and every device holds the server's state (bounded).
  auto all_equal_server = [&] {
    for (auto& d : devices) {
      if (d.service->pending() > 0) return false;
      for (const auto& [key, value] : net.server_state()) {
        if (d.service->value(key) != value) return false;
      }
    }
    return true;
  };
  const auto drain_start = sched.now();
  while (!all_equal_server() && sched.now() - drain_start < 300s) {
    advance_time(sched, 1s);
    if (seconds(sched.now() - drain_start) % 5 == 0) progress("draining");
  }
  progress("done");

  // ---- verdict against the model ----
  const auto server = net.server_state();
  std::map<std::string, Doc> server_map(server.begin(), server.end());
  std::size_t lost = 0, duplicates = 0;
  auto holds = [](const std::optional<Doc>& replica, const Doc& effect) {
    return replica && joined(*replica, effect) == *replica;
  };
  for (const Op& op : model) {
    bool everywhere =
        holds(server_map.count(op.key) ? std::optional<Doc>(server_map[op.key]) : std::nullopt,
              op.effect);
    for (auto& d : devices) everywhere = everywhere && holds(d.service->value(op.key), op.effect);
    if (!everywhere) ++lost;
  }
  auto count_duplicates = [&](const Doc& doc) {
    std::map<std::string, int> seen;
    for (const auto& m : doc.messages) ++seen[m.id];
    for (const auto& [id, n] : seen) duplicates += static_cast<std::size_t>(n - 1);
  };
  for (const auto& [key, doc] : server_map) count_duplicates(doc);
  for (auto& d : devices) {
    for (const auto& [key, doc] : d.service->values()) count_duplicates(doc);
  }
  for (const auto& [thread, ids] : messages_sent) {  // every message sent is in the server's thread
    std::set<std::string> present;
    for (const auto& m : server_map[thread].messages) present.insert(m.id);
    for (const auto& id : ids) lost += present.count(id) ? 0u : 1u;
  }
  bool converged = true;
  for (auto& d : devices) {
    if (d.service->values().size() != server.size()) converged = false;
    for (const auto& [key, value] : server) converged = converged && d.service->value(key) == value;
  }

  std::printf("\n%-16s", "conversation");
  for (auto& d : devices) std::printf(" | %-30s", d.name.c_str());
  std::printf(" | %-30s\n", "server");
  auto cell = [](const std::optional<Doc>& doc) {
    if (!doc) return std::string("-");
    const auto c = doc->conversation.snapshot();
    std::string title = c.title.empty() ? "-" : c.title.substr(c.title.find('#'));
    return std::string(c.pinned ? "pin " : "    ") + (c.muted ? "mute " : "     ") + "unread " +
           std::to_string(c.unread) + " title " + title;
  };
  for (const auto& key : conversations) {
    std::printf("%-16s", key.c_str());
    for (auto& d : devices) std::printf(" | %-30s", cell(d.service->value(key)).c_str());
    std::printf(
        " | %-30s\n",
        cell(server_map.count(key) ? std::optional<Doc>(server_map[key]) : std::nullopt).c_str());
  }
  for (const auto& key : threads) {
    std::printf("%-16s", key.c_str());
    auto count = [](const std::optional<Doc>& doc) {
      return doc ? std::to_string(doc->messages.size()) + " messages" : std::string("-");
    };
    for (auto& d : devices) std::printf(" | %-30s", count(d.service->value(key)).c_str());
    std::printf(
        " | %-30s\n",
        count(server_map.count(key) ? std::optional<Doc>(server_map[key]) : std::nullopt).c_str());
  }
  std::uint64_t conflicts = 0;
  for (auto& d : devices)
    conflicts += d.service->stats().conflicts_resolved + d.before_restart.conflicts_resolved;

  devices.clear();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           rxsync::RunLoop::clock_now() - wall_start)
                           .count();
  std::printf(
      "\nconverged: %s  devices: %d  operations: %zu  lost: %zu  duplicates applied: %zu  "
      "conflicts resolved: %llu  wall: %lld ms\n",
      converged ? "yes" : "no", cfg.devices, model.size(), lost, duplicates,
      static_cast<unsigned long long>(conflicts), static_cast<long long>(wall_ms));
  return converged && lost == 0 && duplicates == 0 ? 0 : 1;
}

template <class Sched>
int run_with_storage(const Config& cfg) {
  if (cfg.storage == "memory") return run<Sched, rxsync::MemoryStorage>(cfg);
#if RXSYNC_EXAMPLE_SQLITE
  if (cfg.storage == "sqlite") return run<Sched, rxsync::SqliteStorage>(cfg);
#endif
  return run<Sched, rxsync::FileStorage>(cfg);
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse(argc, argv);
  try {
    return cfg.real_time ? run_with_storage<rxsync::RunLoop>(cfg)
                         : run_with_storage<rxsync::VirtualTimeScheduler>(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multi_device_sync: %s\n", e.what());
    return 1;
  }
}
