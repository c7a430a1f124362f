// Offline first, with default options: edits made offline are delivered after reconnecting,
// however long the network was away; only a server's reject makes an edit fail.
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/file_storage.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/digest.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/convergence.hpp>
#include <rxsync/testing/sim_network.hpp>

#include "../storage/storage_test_support.hpp"
#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using rxsync::SyncState;
using rxsync_test::GSet;
using Net = rxsync::SimNetwork<std::string, GSet, rxsync::VirtualTimeScheduler>;

namespace {

template <class Store>
using ServiceOn =
    rxsync::SyncService<std::string, GSet, Net::Client, Store, rxsync::VirtualTimeScheduler>;
using Service = ServiceOn<rxsync::MemoryStorage>;

rxsync::SyncServiceOptions defaults(const std::string& origin) {
  rxsync::SyncServiceOptions o;  // nothing but the origin: the defaults are under test
  o.origin = origin;
  return o;
}

// Every state a key's status went through.
struct StatusLog {
  std::vector<SyncState> states;
  rxsync::ScopedSubscription sub;
  template <class S>
  StatusLog(S& service, const std::string& key)
      : sub(service.observe_status(key).subscribe(
            [this](const rxsync::SyncStatus& s) { states.push_back(s.state); })) {}
  bool ever(SyncState s) const {
    for (SyncState x : states)
      if (x == s) return true;
    return false;
  }
};

}  // namespace

namespace {
// Devices "a" and "b", started, with default options over one SimNetwork.
struct TwoDevices {
  rxsync::VirtualTimeScheduler sched;
  Net net{sched};
  rxsync::MemoryStorage sa, sb;
  Service a{sched, net.client("a"), sa, defaults("a")};
  Service b{sched, net.client("b"), sb, defaults("b")};
  TwoDevices() {
    a.start();
    b.start();
  }
};
}  // namespace

TEST_CASE("an edit made during 10 minutes offline reaches the other device within 10 s",
          "[sync][offline]") {
  TwoDevices d;
  auto& sched = d.sched;
  auto& net = d.net;
  auto &a = d.a, &b = d.b;
  StatusLog log(a, "k");

  net.client("a").set_online(false);
  a.queue_for_sync("k", GSet{{"written offline"}});
  sched.advance_by(10min);
  CHECK(a.pending() == 1);
  CHECK_FALSE(log.ever(SyncState::failed));
  CHECK(a.failed().empty());
  CHECK(a.stats().failed == 0);

  net.client("a").set_online(true);
  const auto reconnected = sched.now();
  while (!b.value("k") && sched.now() - reconnected < 10s) sched.advance_by(10ms);
  CHECK(b.value("k") == GSet{{"written offline"}});
  CHECK(sched.now() - reconnected < 10s);
  CHECK(a.pending() == 0);
  CHECK(a.status("k").state == SyncState::synced);
  CHECK_FALSE(log.ever(SyncState::failed));
  CHECK(a.stats().reconnects == 1);
}

TEST_CASE("50 keys edited over an hour offline are all delivered after reconnecting",
          "[sync][offline]") {
  TwoDevices d;
  auto& sched = d.sched;
  auto& net = d.net;
  auto &a = d.a, &b = d.b;

  net.client("a").set_online(false);
  for (int i = 0; i < 50; ++i) {
    a.update("key-" + std::to_string(i),
             [&](GSet& s) { s.items.insert("edit " + std::to_string(i)); });
    sched.advance_by(72s);  // 50 edits spread over an hour
  }
  CHECK(a.pending() == 50);
  CHECK(a.failed().empty());

  net.client("a").set_online(true);
  const auto result = rxsync::testing::run_until_converged(sched, 10s, a, b);
  INFO(result.why_not);
  CHECK(result.converged);
  CHECK(b.values().size() == 50);
  CHECK(b.value("key-49") == GSet{{"edit 49"}});
}

TEST_CASE("offline edits survive a restart from FileStorage and are delivered on reconnect",
          "[sync][offline]") {
  storage_test::TempDir dir;
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage sb;
  Service b(sched, net.client("b"), sb, defaults("b"));
  b.start();
  using FileService = ServiceOn<rxsync::FileStorage>;

  net.client("a").set_online(false);
  {
    rxsync::FileStorage store(dir.file("a.log"));
    FileService a(sched, net.client("a"), store, defaults("a"));
    a.start();
    for (int i = 0; i < 5; ++i) a.queue_for_sync("k" + std::to_string(i), GSet{{"offline"}});
    sched.advance_by(20min);
    CHECK(a.pending() == 5);
  }  // the app is closed while still offline

  rxsync::FileStorage store(dir.file("a.log"));
  FileService a(sched, net.client("a"), store, defaults("a"));
  CHECK(a.pending() == 5);
  a.start();
  sched.advance_by(5min);  // still offline after the restart
  CHECK(a.failed().empty());
  net.client("a").set_online(true);
  const auto result = rxsync::testing::run_until_converged(sched, 10s, a, b);
  INFO(result.why_not);
  CHECK(result.converged);
  CHECK(b.value("k4") == GSet{{"offline"}});
}

TEST_CASE("the strict preset gives up on an edit while offline", "[sync][offline]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage sa;
  Service a(sched, net.client("a"), sa, rxsync::SyncServiceOptions::strict("a"));
  a.start();
  net.client("a").set_online(false);
  a.queue_for_sync("k", GSet{{"x"}});
  sched.advance_by(2min);
  CHECK(a.status("k").state == SyncState::failed);
  CHECK(a.status("k").last_error.find("gave up after 3 sends") != std::string::npos);
  CHECK(a.pending() == 1);  // still in the outbox: reported, not lost
}

namespace {
// A transport that answers pushes with a fixed outcome per key and whose pulls the test scripts.
struct ScriptedSync {
  using Item = rxsync::BatchItem<std::string, rxsync::Change<GSet>>;
  std::function<rxsync::ItemOutcome(const Item&)> outcome = [](const Item&) {
    return rxsync::ItemOutcome::ok;
  };
  std::vector<Item> pushed;
  std::vector<rxsync::PullResult<std::string, GSet>> pages;  // answered in order, then empty
  std::vector<std::uint64_t> pulled_from;

  void send(std::vector<Item> batch, rxsync::BatchDone<std::string, rxsync::Change<GSet>> done) {
    std::vector<rxsync::ItemOutcome> out;
    for (const Item& i : batch) {
      pushed.push_back(i);
      out.push_back(outcome(i));
    }
    done(std::move(out));
  }
  void pull(std::uint64_t cursor, rxsync::PullDone<std::string, GSet> done) {
    pulled_from.push_back(cursor);
    if (pages.empty()) {
      rxsync::PullResult<std::string, GSet> none;
      none.cursor = cursor;
      done(none);
      return;
    }
    auto page = pages.front();
    pages.erase(pages.begin());
    done(page);
  }
};
using ScriptedService = rxsync::SyncService<std::string, GSet, ScriptedSync, rxsync::MemoryStorage,
                                            rxsync::VirtualTimeScheduler>;
}  // namespace

TEST_CASE("a rejected edit is failed, listed by failures() and sent again by retry_failed()",
          "[sync][offline]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  t.outcome = [](const ScriptedSync::Item& i) {
    return i.key == "bad" ? rxsync::ItemOutcome::reject : rxsync::ItemOutcome::ok;
  };
  rxsync::MemoryStorage storage;
  ScriptedService s(sched, t, storage, defaults("a"));
  s.start();
  std::vector<std::size_t> list_sizes;
  auto sub = s.failures().subscribe(
      [&](const std::vector<ScriptedService::Failure>& f) { list_sizes.push_back(f.size()); });

  s.queue_for_sync("bad", GSet{{"poison"}});
  s.queue_for_sync("good", GSet{{"fine"}});
  sched.advance_by(1s);
  CHECK(s.status("bad").state == SyncState::failed);
  CHECK(s.status("good").state == SyncState::synced);
  const auto failed = s.failed();
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].key == "bad");
  CHECK(failed[0].value == GSet{{"poison"}});
  CHECK(failed[0].error == "rejected by the server");
  CHECK(list_sizes == std::vector<std::size_t>{0, 1});

  t.outcome = [](const ScriptedSync::Item&) { return rxsync::ItemOutcome::ok; };  // fixed
  const std::size_t pushes = t.pushed.size();
  CHECK(s.retry_failed() == 1);
  CHECK_FALSE(s.retry_failed("good"));
  sched.advance_by(1s);
  REQUIRE(t.pushed.size() == pushes + 1);
  CHECK(t.pushed.back().key == "bad");
  CHECK(s.status("bad").state == SyncState::synced);
  CHECK(s.failed().empty());
  CHECK(list_sizes.back() == 0);
  CHECK(s.pending() == 0);
}

TEST_CASE("update() reads, modifies and queues in one step", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  rxsync::MemoryStorage storage;
  ScriptedService s(sched, t, storage, defaults("a"));
  s.update("k", [](GSet& g) { g.items.insert("first"); });        // in place
  s.update("k", [](const GSet& g) { return g.with("second"); });  // returns the value
  CHECK(s.value("k") == GSet{{"first", "second"}});
  CHECK_THROWS_AS(s.update("k", [](GSet&) { throw std::runtime_error("no"); }), std::runtime_error);
  CHECK(s.value("k") == GSet{{"first", "second"}});  // nothing changed by the failed update
  CHECK(s.pending() == 1);
}

TEST_CASE("sync_now(key) sends that key before its window ends", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  rxsync::MemoryStorage storage;
  auto o = defaults("a");
  o.batch.window = 1h;
  ScriptedService s(sched, t, storage, o);
  s.start();
  s.queue_for_sync("k", GSet{{"x"}});
  sched.advance_by(1s);
  CHECK(t.pushed.empty());
  CHECK(s.sync_now("k"));
  sched.advance_by(0s);
  REQUIRE(t.pushed.size() == 1);
  CHECK(t.pushed[0].key == "k");
  sched.advance_by(0s);
  CHECK_FALSE(s.sync_now("k"));  // delivered: nothing of it waits
}

TEST_CASE("pull pages marked `more` are fetched at once, and `reset` pushes the local state again",
          "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  rxsync::MemoryStorage storage;
  ScriptedService s(sched, t, storage, defaults("a"));
  s.queue_for_sync("mine", GSet{{"local"}});
  s.start();
  sched.advance_by(1s);
  REQUIRE(t.pushed.size() == 1);

  rxsync::PullResult<std::string, GSet> p1, p2, reset;
  p1.changes = {{"r1", GSet{{"x"}}}};
  p1.cursor = 10;
  p1.more = true;
  p2.changes = {{"r2", GSet{{"y"}}}};
  p2.cursor = 20;
  t.pages = {p1, p2};
  s.pull_now();
  sched.advance_by(0s);
  CHECK(t.pulled_from == std::vector<std::uint64_t>{0, 10});
  CHECK(s.value("r2") == GSet{{"y"}});

  // The server's store was replaced: the cursor is refused, the page starts from scratch.
  reset.changes = {{"r1", GSet{{"x"}}}};
  reset.cursor = 3;
  reset.reset = true;
  t.pages = {reset};
  s.pull_now();
  sched.advance_by(1s);
  CHECK(t.pulled_from.back() == 20);
  CHECK(s.stats().resets == 1);
  std::set<std::string> repushed;
  for (std::size_t i = 1; i < t.pushed.size(); ++i) repushed.insert(t.pushed[i].key);
  CHECK(repushed == std::set<std::string>{"mine", "r1", "r2"});
  s.pull_now();
  sched.advance_by(0s);
  CHECK(t.pulled_from.back() == 3);
}

TEST_CASE("a failed value write does not throw, and the edit stays queued until it is written",
          "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  rxsync_test::FlakyStorage storage;
  rxsync::SyncService<std::string, GSet, ScriptedSync, rxsync_test::FlakyStorage,
                      rxsync::VirtualTimeScheduler>
      s(sched, t, storage, defaults("a"));
  s.start();
  storage.failing = "/v/";
  storage.full = true;
  CHECK_NOTHROW(s.queue_for_sync("k", GSet{{"edit"}}));
  CHECK(s.value("k") == GSet{{"edit"}});
  CHECK(s.stats().storage_errors == 1);
  sched.advance_by(1s);
  CHECK(t.pushed.size() == 1);  // pushed...
  CHECK(s.pending() == 1);      // ...but kept until the local value is durable
  CHECK(s.status("k").last_error.find("writing the local value failed") != std::string::npos);
  storage.full = false;
  sched.advance_by(2min);  // the sweeper sends it again; now the value is written
  CHECK(s.pending() == 0);
  CHECK(storage.inner.get("sync/v/k").has_value());
}

TEST_CASE("conflicts_resolved counts a pull that merges into a key edited here", "[sync]") {
  TwoDevices d;
  auto& sched = d.sched;
  auto& net = d.net;
  auto &a = d.a, &b = d.b;
  net.client("a").set_online(false);
  net.client("b").set_online(false);
  a.queue_for_sync("k", GSet{{"from a"}});
  b.queue_for_sync("k", GSet{{"from b"}});
  sched.advance_by(1s);
  net.client("a").set_online(true);
  sched.advance_by(5s);  // a's edit is on the server, acknowledged
  net.client("b").set_online(true);
  const auto result = rxsync::testing::run_until_converged(sched, 10s, a, b);
  INFO(result.why_not);
  REQUIRE(result.converged);
  CHECK(a.value("k") == GSet{{"from a", "from b"}});
  // The server merged b's edit into a's. b had not pulled since its edit, so the pull that
  // brought a's edit merged into its own is a resolved conflict; a had pulled after its edit was
  // acknowledged, so to a the merged value is simply the next remote change.
  CHECK(b.stats().conflicts_resolved == 1);
  CHECK(a.stats().conflicts_resolved == 0);
}

TEST_CASE("an app's own online signal (a ResilientClient's) drives reconnects", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched, {.pokes = false});
  rxsync::MemoryStorage sa;
  Service a(sched, net.client("a"), sa, defaults("a"));
  a.start();
  rxsync::BehaviorSubject<bool> platform(true);
  a.follow_online(platform.as_observable());
  std::vector<bool> seen;
  auto sub = a.online().subscribe([&](bool up) { seen.push_back(up); });
  platform.on_next(false);
  CHECK_FALSE(a.is_online());
  platform.on_next(true);
  CHECK(a.is_online());
  CHECK(seen == std::vector<bool>{true, false, true});
  CHECK(a.stats().reconnects == 1);
}

TEST_CASE("make_sync_service builds a service in one line", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage storage;
  auto s = rxsync::make_sync_service<std::string, GSet>(sched, net.client("a"), storage,
                                                        {.origin = "a"});
  static_assert(std::is_same_v<decltype(s), Service>);
  s.start();
  s.queue_for_sync("k", GSet{{"x"}});
  sched.advance_by(1s);
  CHECK(net.server_value("k") == GSet{{"x"}});
  Service moved = std::move(s);  // movable, like any handle
  CHECK(moved.status("k").state == SyncState::synced);
}

TEST_CASE("SyncService deduces its types, and takes its arguments in template order too",
          "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage storage_a, storage_b;
  rxsync::SyncService a(sched, net.client("a"), storage_a, {.origin = "a"});
  static_assert(std::is_same_v<decltype(a), Service>);
  Service b(net.client("b"), storage_b, sched, {.origin = "b"});
  a.start();
  b.start();
  a.queue_for_sync("k", GSet{{"x"}});
  b.queue_for_sync("k", GSet{{"y"}});
  sched.advance_by(3s);
  CHECK(a.value("k") == GSet{{"x", "y"}});
  CHECK(b.value("k") == GSet{{"x", "y"}});
}

TEST_CASE("a server that loses its store gets the clients' state back", "[sync][offline]") {
  TwoDevices d;
  auto& sched = d.sched;
  auto& net = d.net;
  auto &a = d.a, &b = d.b;
  a.queue_for_sync("from-a", GSet{{"1"}});
  b.queue_for_sync("from-b", GSet{{"2"}});
  REQUIRE(rxsync::testing::run_until_converged(sched, 10s, a, b));
  REQUIRE(net.server_state().size() == 2);

  net.replace_server_store();  // restored from an empty backup: a new epoch
  CHECK(net.server_state().empty());
  a.pull_now();
  b.pull_now();
  const auto result =
      rxsync::testing::run_until_converged(sched, 10s, a, b, rxsync::testing::server_of(net));
  INFO(result.why_not);
  CHECK(result.converged);
  CHECK(net.server_state().size() == 2);
  CHECK(a.stats().resets == 1);
  CHECK(b.stats().resets == 1);
  CHECK(net.digest_line() ==
        rxsync::digest_of<rxsync::DefaultCodec>(a.values()));  // the server has it all again
}

TEST_CASE("a page size smaller than the state is pulled page by page", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  rxsync::SimNetworkOptions o;
  o.page_size = 4;
  Net net(sched, o);
  rxsync::MemoryStorage sa, sb;
  Service a(sched, net.client("a"), sa, defaults("a"));
  a.start();
  for (int i = 0; i < 21; ++i) a.queue_for_sync("k" + std::to_string(i), GSet{{"v"}});
  REQUIRE(rxsync::testing::run_until_converged(sched, 10s, a));
  Service b(sched, net.client("b"), sb, defaults("b"));
  b.start();
  b.pull_now();
  sched.advance_by(1s);
  CHECK(b.values().size() == 21);
  CHECK(b.stats().pulls >= 6);
}

TEST_CASE("an outbox that refuses bookkeeping writes does not stop the service", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  int answers = 0;
  t.outcome = [&](const ScriptedSync::Item&) {
    return ++answers <= 2 ? rxsync::ItemOutcome::retry : rxsync::ItemOutcome::ok;
  };
  rxsync_test::FlakyStorage storage;
  rxsync::SyncService<std::string, GSet, ScriptedSync, rxsync_test::FlakyStorage,
                      rxsync::VirtualTimeScheduler>
      s(sched, t, storage, rxsync::SyncServiceOptions::strict("a"));
  s.start();
  s.queue_for_sync("k", GSet{{"x"}});
  storage.failing = "outbox/";
  storage.full = true;  // record_failure for the server's retry answers cannot be written
  sched.advance_by(10s);
  CHECK(s.stats().storage_errors >= 1);
  storage.full = false;
  sched.advance_by(5min);
  CHECK(s.pending() == 0);
  CHECK(s.status("k").state == SyncState::synced);
}

TEST_CASE("the cursor does not move past a pulled value that could not be written", "[sync]") {
  rxsync::VirtualTimeScheduler sched;
  ScriptedSync t;
  rxsync_test::FlakyStorage storage;
  rxsync::SyncService<std::string, GSet, ScriptedSync, rxsync_test::FlakyStorage,
                      rxsync::VirtualTimeScheduler>
      s(sched, t, storage, defaults("a"));
  rxsync::PullResult<std::string, GSet> page;
  page.changes = {{"r", GSet{{"remote"}}}};
  page.cursor = 10;
  t.pages = {page};
  storage.failing = "/v/";
  storage.full = true;
  s.pull_now();
  sched.advance_by(0s);
  CHECK(s.value("r") == GSet{{"remote"}});  // shown...
  s.pull_now();                             // ...and a later pull does not commit the cursor
  sched.advance_by(0s);
  CHECK_FALSE(storage.inner.get("sync/cursor"));
  CHECK(t.pulled_from == std::vector<std::uint64_t>{0, 0});
  storage.full = false;
  t.pages = {page};  // asked from 0 again, the server answers the same page
  s.pull_now();
  sched.advance_by(0s);
  CHECK(storage.inner.get("sync/v/r").has_value());  // written at last, then the cursor
  CHECK(storage.inner.get("sync/cursor").has_value());
}
