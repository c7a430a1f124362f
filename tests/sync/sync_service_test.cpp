// SyncService scenarios in virtual time against SimNetwork.
#include <rxsync/models/conversation_state.hpp>
#include <rxsync/schedulers/run_loop.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/sim_network.hpp>

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using rxsync_test::GSet;
using Net = rxsync::SimNetwork<std::string, GSet, rxsync::VirtualTimeScheduler>;
using Service = rxsync::SyncService<std::string, GSet, Net::Client, rxsync::MemoryStorage,
                                    rxsync::VirtualTimeScheduler>;

namespace {

rxsync::SyncServiceOptions options_for(const std::string& origin) {
  rxsync::SyncServiceOptions o;
  o.origin = origin;
  o.poller.base = 1s;
  o.poller.max = 1s;
  o.batch.max_attempts = 1000;  // a partition must never exhaust attempts in these tests
  o.batch.backoff.initial = 100ms;
  o.batch.backoff.max = 2s;
  o.batch.backoff.max_retries = 1000;
  o.sweeper.max_attempts = 1'000'000;
  return o;
}

struct Device {
  rxsync::MemoryStorage storage;
  std::unique_ptr<Service> service;
  Device(rxsync::VirtualTimeScheduler& sched, Net& net, const std::string& id) {
    service = std::make_unique<Service>(sched, net.client(id), storage, options_for(id));
    service->start();
  }
  // Adds a message to a thread the way an app does: on top of the current local state.
  void add(const std::string& thread, const std::string& message) {
    service->queue_for_sync(thread, service->value(thread).value_or(GSet{}).with(message));
  }
};

}  // namespace

TEST_CASE("two clients add messages to one thread concurrently and converge", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  Device phone(sched, net, "phone");
  Device laptop(sched, net, "laptop");

  phone.add("thread-1", "from phone");
  laptop.add("thread-1", "from laptop");
  sched.advance_by(5s);

  const GSet both{{"from laptop", "from phone"}};
  CHECK(phone.service->value("thread-1") == both);
  CHECK(laptop.service->value("thread-1") == both);
  CHECK(net.server_value("thread-1") == both);
  CHECK(phone.service->pending() == 0);
  CHECK(laptop.service->pending() == 0);
  CHECK(phone.service->status("thread-1").state == rxsync::SyncState::synced);
}

TEST_CASE("offline edits are kept as one pending item and delivered on reconnect", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  Device client(sched, net, "tablet");
  std::vector<std::set<std::string>> pending_history;
  auto sub = client.service->observe_pending().subscribe(
      [&](const std::set<std::string>& keys) { pending_history.push_back(keys); });

  net.client("tablet").set_online(false);
  client.add("thread-9", "one");
  client.add("thread-9", "two");
  client.add("thread-9", "three");
  sched.advance_by(30s);
  CHECK(client.service->pending() == 1);
  CHECK(client.service->status("thread-9").state != rxsync::SyncState::synced);
  CHECK_FALSE(net.server_value("thread-9"));

  net.client("tablet").set_online(true);
  sched.advance_by(10s);
  CHECK(net.server_value("thread-9") == GSet{{"one", "three", "two"}});
  CHECK(client.service->pending() == 0);
  REQUIRE(pending_history.size() >= 3);
  CHECK(pending_history.front().empty());
  CHECK(pending_history[1] == std::set<std::string>{"thread-9"});
  CHECK(pending_history.back().empty());
}

TEST_CASE("status goes unknown -> pending -> syncing -> synced", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  Device d(sched, net, "desktop");
  std::vector<rxsync::SyncState> states;
  auto sub = d.service->observe_status("k").subscribe(
      [&](const rxsync::SyncStatus& s) { states.push_back(s.state); });
  d.add("k", "m");
  sched.advance_by(2s);
  using S = rxsync::SyncState;
  CHECK(states == std::vector<S>{S::unknown, S::pending, S::syncing, S::synced});
  const auto status = d.service->status("k");
  REQUIRE(status.last_synced);
  CHECK(*status.last_synced > rxsync::TimePoint{});
}

TEST_CASE("edits queued before a crash are re-sent by the next instance", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage storage;
  net.client("phone").set_online(false);
  {
    Service service(sched, net.client("phone"), storage, options_for("phone"));
    service.start();
    service.queue_for_sync("thread-1", GSet{{"hello"}});
    service.queue_for_sync("thread-2", GSet{{"world"}});
    sched.advance_by(1s);
  }  // the app is killed with two unsynced edits
  net.client("phone").set_online(true);
  Service restarted(sched, net.client("phone"), storage, options_for("phone"));
  CHECK(restarted.value("thread-1") == GSet{{"hello"}});  // local state survived too
  // Before start() the recovered edits are already reported as unsynced.
  CHECK(restarted.pending() == 2);
  CHECK(restarted.status("thread-2").state == rxsync::SyncState::pending);
  restarted.start();
  sched.advance_by(5s);
  CHECK(restarted.stats().recovered == 2);
  CHECK(net.server_value("thread-1") == GSet{{"hello"}});
  CHECK(net.server_value("thread-2") == GSet{{"world"}});
  CHECK(restarted.pending() == 0);
}

namespace {
using rxsync_test::FlakyStorage;
using FlakyService =
    rxsync::SyncService<std::string, GSet, Net::Client, FlakyStorage, rxsync::VirtualTimeScheduler>;
}  // namespace

TEST_CASE("a failed storage write never leaves an edit that is shown but not pushed", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  FlakyStorage storage;
  SECTION("the outbox write fails: the edit is refused and nothing changes") {
    storage.failing = "outbox/";
    FlakyService service(sched, net.client("phone"), storage, options_for("phone"));
    service.start();
    storage.full = true;
    REQUIRE_THROWS_WITH(service.queue_for_sync("k", GSet{{"edit"}}), "No space left on device");
    storage.full = false;
    CHECK_FALSE(service.value("k").has_value());
    CHECK(service.status("k").state == rxsync::SyncState::unknown);
    CHECK(service.pending() == 0);
  }
  SECTION("the value write fails: the edit is counted, still shown and pushed") {
    storage.failing = "/v/";
    {
      FlakyService service(sched, net.client("phone"), storage, options_for("phone"));
      service.start();
      net.client("phone").set_online(false);
      storage.full = true;
      CHECK_NOTHROW(service.queue_for_sync("k", GSet{{"edit"}}));  // the outbox has it
      storage.full = false;
      CHECK(service.stats().storage_errors == 1);
      CHECK(service.value("k") == GSet{{"edit"}});
      CHECK(service.pending() == 1);
    }  // killed before it could push: the restart has the edit from the outbox alone
    net.client("phone").set_online(true);
    FlakyService restarted(sched, net.client("phone"), storage, options_for("phone"));
    CHECK(restarted.value("k") == GSet{{"edit"}});
    restarted.start();
    sched.advance_by(5s);
    CHECK(net.server_value("k") == GSet{{"edit"}});
    CHECK(restarted.pending() == 0);
  }
}

TEST_CASE("three devices converge through loss, duplication and reordering", "[sync]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    rxsync::VirtualTimeScheduler sched;
    rxsync::SimNetworkOptions faults;
    faults.loss = 0.2;
    faults.duplication = 0.2;
    faults.seed = seed;
    Net net(sched, faults);
    std::vector<std::unique_ptr<Device>> devices;
    for (const char* id : {"phone", "tablet", "desktop"})
      devices.push_back(std::make_unique<Device>(sched, net, id));

    std::set<std::string> all;
    for (int i = 0; i < 60; ++i) {
      auto& d = *devices[static_cast<std::size_t>(i) % devices.size()];
      const std::string thread = "thread-" + std::to_string(i % 4);
      const std::string message = "m" + std::to_string(i);
      d.add(thread, message);
      all.insert(thread + "/" + message);
      sched.advance_by(50ms);
    }
    sched.advance_by(60s);

    std::set<std::string> on_server;
    for (const auto& [thread, set] : net.server_state()) {
      for (const auto& m : set.items) on_server.insert(thread + "/" + m);
    }
    CHECK(on_server == all);  // nothing lost, nothing invented
    for (auto& d : devices) {
      CHECK(d->service->pending() == 0);
      for (int t = 0; t < 4; ++t) {
        const std::string thread = "thread-" + std::to_string(t);
        CHECK(d->service->value(thread) == net.server_value(thread));
      }
    }
    CHECK(net.stats().lost > 0);
    CHECK(net.stats().duplicates_ignored > 0);
  }
}

TEST_CASE("1000 messages sync at more than 100 per virtual second", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  Device d(sched, net, "bulk");
  const auto wall_start = rxsync::RunLoop::clock_now();  // reported, never asserted
  for (int i = 0; i < 1000; ++i)
    d.service->queue_for_sync("thread-" + std::to_string(i), GSet{{"m"}});
  const auto start = sched.now();
  while (d.service->pending() > 0 && sched.now() - start < 60s) sched.advance_by(100ms);
  const auto took = std::chrono::duration<double>(sched.now() - start).count();
  CHECK(d.service->pending() == 0);
  CHECK(1000.0 / took >= 100.0);
  CHECK(d.service->stats().succeeded == 1000);
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
      rxsync::RunLoop::clock_now() - wall_start);
  WARN("1000 messages synced in " << took << " virtual s (" << 1000.0 / took << " per virtual s), "
                                  << wall.count() << " ms wall");
}

TEST_CASE("bad options and use after stop are reported", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage storage;
  auto o = options_for("x");
  o.origin.clear();
  REQUIRE_THROWS_WITH((Service(sched, net.client("x"), storage, o)),
                      rxsync_test::contains("SyncServiceOptions.origin must not be empty"));
  o = options_for("x");
  o.poller.base = 0s;
  REQUIRE_THROWS_WITH((Service(sched, net.client("x"), storage, o)),
                      rxsync_test::contains("AdaptivePollerOptions.base must be > 0"));
  Service service(sched, net.client("x"), storage, options_for("x"));
  service.start();
  service.stop();
  REQUIRE_THROWS_AS(service.queue_for_sync("k", GSet{}), std::logic_error);
}

TEST_CASE("SimNetwork options are validated", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::SimNetworkOptions o;
  o.loss = 1.5;
  REQUIRE_THROWS_WITH(Net(sched, o),
                      rxsync_test::contains("SimNetworkOptions.loss must be in [0, 1], got 1.5"));
  o = {};
  o.max_delay = 0ms;
  o.min_delay = 1ms;
  REQUIRE_THROWS_AS(Net(sched, o), std::invalid_argument);
}

TEST_CASE("Versioned plain records sync with a field-wise merge policy", "[sync]") {
  using Record = rxsync::Versioned<rxsync::Conversation>;
  using Merge = rxsync::VersionedMerge<decltype(rxsync::conversation_merger())>;
  using VNet = rxsync::SimNetwork<std::string, Record, rxsync::VirtualTimeScheduler, Merge>;
  using VService = rxsync::SyncService<std::string, Record, VNet::Client, rxsync::MemoryStorage,
                                       rxsync::VirtualTimeScheduler, Merge>;
  rxsync::VirtualTimeScheduler sched;
  const Merge merge{rxsync::conversation_merger()};
  VNet net(sched, {}, merge);
  rxsync::MemoryStorage phone_storage, desktop_storage;
  VService phone(sched, net.client("phone"), phone_storage, options_for("phone"), merge);
  VService desktop(sched, net.client("desktop"), desktop_storage, options_for("desktop"), merge);
  phone.start();
  desktop.start();

  // Concurrent edits: the phone pins, the desktop sets unread. Neither clock dominates.
  Record a;
  a.update("phone", [](rxsync::Conversation& c) { c.pinned = true; });
  Record b;
  b.update("desktop", [](rxsync::Conversation& c) { c.unread = 3; });
  phone.queue_for_sync("conv/alice", a);
  desktop.queue_for_sync("conv/alice", b);
  sched.advance_by(5s);

  const auto server = net.server_value("conv/alice");
  REQUIRE(server);
  CHECK(server->value.pinned);
  CHECK(server->value.unread == 3);
  CHECK(phone.value("conv/alice") == server);
  CHECK(desktop.value("conv/alice") == server);
  CHECK(server->clock.get("phone") == 1);  // the merged clocks: both edits are in
  CHECK(server->clock.get("desktop") == 1);
}

TEST_CASE("a remote change to a key with an unsynced local edit is merged, not overwritten",
          "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage slow_storage;
  auto slow_options = options_for("slow");
  slow_options.batch.window = 10s;  // its edit stays unsent while it pulls
  Service slow(sched, net.client("slow"), slow_storage, slow_options);
  slow.start();
  Device fast(sched, net, "fast");

  slow.queue_for_sync("thread", GSet{{"local draft"}});
  fast.add("thread", "remote reply");
  sched.advance_by(3s);  // fast's reply is on the server; slow pulled it
  CHECK(slow.value("thread") == GSet{{"local draft", "remote reply"}});
  CHECK(slow.stats().conflicts_resolved == 1);
  CHECK(slow.status("thread").state == rxsync::SyncState::pending);  // its edit is still to send
  sched.advance_by(10s);
  CHECK(net.server_value("thread") == GSet{{"local draft", "remote reply"}});
  CHECK(fast.service->value("thread") == GSet{{"local draft", "remote reply"}});
}

namespace {
// A sync transport whose pushes the test answers by hand; pulls return nothing.
struct ManualTransport {
  using Item = rxsync::BatchItem<std::string, rxsync::Change<GSet>>;
  struct Sent {
    std::vector<Item> items;
    rxsync::BatchDone<std::string, rxsync::Change<GSet>> done;
  };
  std::vector<Sent> sent;
  void send(std::vector<Item> b, rxsync::BatchDone<std::string, rxsync::Change<GSet>> d) {
    sent.push_back({std::move(b), std::move(d)});
  }
  void pull(std::uint64_t cursor, rxsync::PullDone<std::string, GSet> done) {
    rxsync::PullResult<std::string, GSet> r;
    r.ok = true;
    r.cursor = cursor;
    done(r);
  }
  void reply(std::size_t i, rxsync::ItemOutcome o) {
    sent.at(i).done(std::vector<rxsync::ItemOutcome>(sent.at(i).items.size(), o));
  }
};
using ManualService = rxsync::SyncService<std::string, GSet, ManualTransport, rxsync::MemoryStorage,
                                          rxsync::VirtualTimeScheduler>;

// A started service on origin "a" whose pushes the test answers.
struct ManualSetup {
  explicit ManualSetup(rxsync::SyncServiceOptions o = {}) : svc(sched, t, storage, with_origin(o)) {
    svc.start();
  }
  static rxsync::SyncServiceOptions with_origin(rxsync::SyncServiceOptions o) {
    o.origin = "a";
    return o;
  }
  rxsync::VirtualTimeScheduler sched;
  ManualTransport t;
  rxsync::MemoryStorage storage;
  ManualService svc;
};
}  // namespace

TEST_CASE("a sweep while an edit is in flight does not send it twice or strand its status",
          "[sync]") {
  rxsync::SyncServiceOptions o;
  o.sweeper.interval = 1s;
  o.sweeper.min_age = 500ms;
  ManualSetup m(o);
  auto& sched = m.sched;
  auto& t = m.t;
  auto& svc = m.svc;
  svc.queue_for_sync("k", GSet{{"x"}});
  sched.advance_by(200ms);
  REQUIRE(t.sent.size() == 1);
  sched.advance_by(1s);  // a sweep finds the record old enough while the server is slow
  CHECK(svc.status("k").state == rxsync::SyncState::syncing);
  t.reply(0, rxsync::ItemOutcome::ok);
  sched.advance_by(60s);
  CHECK(t.sent.size() == 1);
  CHECK(svc.status("k").state == rxsync::SyncState::synced);
  CHECK(svc.pending() == 0);
}

TEST_CASE("an edit queued by a status observer on synced stays pending", "[sync]") {
  ManualSetup m;
  auto& sched = m.sched;
  auto& t = m.t;
  auto& svc = m.svc;
  bool follow_up = false;
  auto sub = svc.observe_status("k").subscribe([&](const rxsync::SyncStatus& s) {
    if (s.state == rxsync::SyncState::synced && !std::exchange(follow_up, true)) {
      svc.queue_for_sync("k", GSet{{"x", "follow-up"}});
    }
  });
  svc.queue_for_sync("k", GSet{{"x"}});
  sched.advance_by(200ms);
  t.reply(0, rxsync::ItemOutcome::ok);
  sched.advance_by(1ms);
  REQUIRE(follow_up);
  std::set<std::string> pending;
  auto p = svc.observe_pending().subscribe([&](const std::set<std::string>& k) { pending = k; });
  CHECK(pending == std::set<std::string>{"k"});
  CHECK(svc.pending() == 1);
  CHECK(svc.status("k").state == rxsync::SyncState::pending);
}

TEST_CASE("data the server rejects fails once and is not re-sent by the sweeper", "[sync]") {
  ManualSetup m;
  auto& sched = m.sched;
  auto& t = m.t;
  auto& svc = m.svc;
  std::vector<rxsync::SyncState> states;
  auto sub = svc.observe_status("k").subscribe(
      [&](const rxsync::SyncStatus& s) { states.push_back(s.state); });
  svc.queue_for_sync("k", GSet{{"poison"}});
  std::size_t answered = 0;
  for (int i = 0; i < 400; ++i) {  // 400 s: many sweeps
    sched.advance_by(1s);
    for (; answered < t.sent.size(); ++answered) t.reply(answered, rxsync::ItemOutcome::reject);
  }
  CHECK(t.sent.size() == 1);
  using S = rxsync::SyncState;
  CHECK(states == std::vector<S>{S::unknown, S::pending, S::syncing, S::failed});
  CHECK(svc.status("k").last_error == "rejected by the server");
  CHECK(svc.pending() == 1);  // kept and reported, not dropped
  {  // a restart reports it as failed as well, before and after start(), and does not send it
    ManualService again(sched, t, m.storage, ManualSetup::with_origin({}));
    CHECK(again.status("k").state == S::failed);
    CHECK(again.pending() == 1);
    again.start();
    sched.advance_by(60s);
    CHECK(t.sent.size() == 1);
    CHECK(again.status("k").state == S::failed);
  }
  // A new edit of the key starts over.
  svc.queue_for_sync("k", GSet{{"fixed"}});
  sched.advance_by(1s);
  REQUIRE(t.sent.size() == 2);
  t.reply(1, rxsync::ItemOutcome::ok);
  sched.advance_by(1ms);
  CHECK(svc.status("k").state == S::synced);
}
