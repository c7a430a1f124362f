#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>

#include "batch_test_support.hpp"
#include "rxsync_catch.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using rxsync::ItemOutcome;
using Transport = rxsync_test::ScriptedTransport<>;
using Orchestrator =
    rxsync::BatchOrchestrator<std::string, std::string, Transport, rxsync::VirtualTimeScheduler>;
using Keys = std::vector<std::string>;

namespace {
rxsync::BatchOptions fast_retry_options() {
  rxsync::BatchOptions o;
  o.backoff.initial = 1s;
  o.backoff.multiplier = 2.0;
  o.backoff.jitter = rxsync::Jitter::none;
  return o;
}
}  // namespace

TEST_CASE("the window opens at the first request and is not a debounce", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  Orchestrator orch(sched, transport);

  orch.enqueue("a", "1");
  sched.advance_by(50ms);
  orch.enqueue("b", "2");
  sched.advance_by(49ms);
  REQUIRE(transport.sent.empty());
  sched.advance_by(1ms);  // t = 100 ms: the window opened at t = 0 ends
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.keys(0) == Keys{"a", "b"});
  CHECK(orch.pending() == 2);

  // Requests every 30 ms do not push the send back: the next window opens at t = 110.
  transport.reply_all(0, ItemOutcome::ok);
  sched.advance_by(10ms);
  for (int i = 0; i < 4; ++i) {
    orch.enqueue("k" + std::to_string(i), "v");
    sched.advance_by(30ms);
  }
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.keys(1) == Keys{"k0", "k1", "k2", "k3"});
  CHECK(sched.now() == rxsync::TimePoint(230ms));
}

TEST_CASE("a full batch is sent at once and the rest waits for its own window", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  rxsync::BatchOptions options;
  options.max_batch = 3;
  options.max_in_flight = 2;
  Orchestrator orch(sched, transport, options);

  for (const char* k : {"a", "b", "c", "d"}) orch.enqueue(k, "v");
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.keys(0) == Keys{"a", "b", "c"});
  sched.advance_by(99ms);
  CHECK(transport.sent.size() == 1);
  sched.advance_by(1ms);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.keys(1) == Keys{"d"});
}

TEST_CASE("requests for a queued key are merged", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  SECTION("ReplaceMerge keeps the latest") {
    Transport transport;
    Orchestrator orch(sched, transport);
    orch.enqueue("a", "1");
    orch.enqueue("b", "x");
    orch.enqueue("a", "2");
    CHECK(orch.pending() == 2);
    orch.flush();
    sched.advance_by(0ms);
    REQUIRE(transport.sent.size() == 1);
    REQUIRE(transport.sent[0].items.size() == 2);
    CHECK(transport.sent[0].items[0].request == "2");
    CHECK(orch.stats().merged == 1);
  }
  SECTION("AppendMerge concatenates containers") {
    using VecTransport = rxsync_test::ScriptedTransport<std::string, std::vector<int>>;
    VecTransport transport;
    rxsync::BatchOrchestrator<std::string, std::vector<int>, VecTransport,
                              rxsync::VirtualTimeScheduler, rxsync::AppendMerge>
        orch(sched, transport);
    orch.enqueue("thread", {1});
    orch.enqueue("thread", {2, 3});
    sched.advance_by(100ms);
    REQUIRE(transport.sent.size() == 1);
    CHECK(transport.sent[0].items[0].request == std::vector<int>{1, 2, 3});
  }
}

TEST_CASE("items marked retry come back after their backoff and count attempts", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  Orchestrator orch(sched, transport, fast_retry_options());

  orch.enqueue("a", "1");
  sched.advance_by(100ms);
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.sent[0].items[0].attempts == 0);
  transport.reply_all(0, ItemOutcome::retry);
  sched.advance_by(999ms);  // backoff initial = 1 s, no jitter
  CHECK(transport.sent.size() == 1);
  CHECK(orch.stats().waiting_retry == 1);
  sched.advance_by(1ms);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.sent[1].items[0].attempts == 1);
  transport.reply_all(1, ItemOutcome::ok);
  sched.advance_by(0ms);
  CHECK(orch.pending() == 0);
  const auto stats = orch.stats();
  CHECK(stats.delivered == 1);
  CHECK(stats.retries == 1);
  CHECK(stats.items_sent == 2);
  CHECK(sched.pending() == 0);
}

TEST_CASE("items out of attempts or rejected become dead letters", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  transport.auto_reply = [](const std::vector<Transport::Item>& items) {
    std::vector<ItemOutcome> out;
    for (const auto& item : items)
      out.push_back(item.key == "bad" ? ItemOutcome::reject : ItemOutcome::retry);
    return out;
  };
  Orchestrator orch(sched, transport, fast_retry_options());  // max_attempts = 3
  std::vector<Transport::Item> dead;
  auto sub =
      orch.dead_letters().subscribe([&](const Transport::Item& item) { dead.push_back(item); });

  orch.enqueue("bad", "x");
  orch.enqueue("flaky", "y");
  sched.advance_by(100ms);  // first send: bad rejected, flaky retried after 1 s then 2 s
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].key == "bad");
  CHECK(dead[0].attempts == 1);
  sched.advance_by(1s);
  sched.advance_by(2s);
  REQUIRE(transport.sent.size() == 3);
  REQUIRE(dead.size() == 2);
  CHECK(dead[1].key == "flaky");
  CHECK(dead[1].request == "y");
  CHECK(dead[1].attempts == 3);  // max_attempts counts sends, the first included
  CHECK(orch.pending() == 0);
  CHECK(orch.stats().dead_letters == 2);
}

TEST_CASE("dead letters that happen before a handler is set are replayed to it", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  transport.auto_reply = [](const auto& items) {
    return std::vector<ItemOutcome>(items.size(), ItemOutcome::reject);
  };
  Orchestrator orch(sched, transport);
  orch.enqueue("a", "1");
  sched.advance_by(100ms);
  std::vector<std::string> dead;
  auto sub =
      orch.dead_letters().subscribe([&](const Transport::Item& item) { dead.push_back(item.key); });
  CHECK(dead == std::vector<std::string>{"a"});
}

TEST_CASE("a newer request never overtakes an older one for the same key", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  Orchestrator orch(sched, transport, fast_retry_options());

  orch.enqueue("a", "old");
  sched.advance_by(100ms);
  REQUIRE(transport.sent.size() == 1);
  orch.enqueue("a", "new");  // queued while "old" is in flight
  orch.enqueue("b", "other");
  sched.advance_by(100ms);
  // b goes, a waits for the reply about "old" (max_in_flight = 1 keeps the batch waiting too).
  CHECK(transport.sent.size() == 1);

  SECTION("retry: the newer request is merged into the retried item") {
    transport.reply_all(0, ItemOutcome::retry);
    sched.advance_by(0ms);
    REQUIRE(transport.sent.size() == 2);
    CHECK(transport.keys(1) == Keys{"b"});
    transport.reply_all(1, ItemOutcome::ok);
    sched.advance_by(1s);
    REQUIRE(transport.sent.size() == 3);
    REQUIRE(transport.sent[2].items.size() == 1);
    CHECK(transport.sent[2].items[0].request == "new");  // ReplaceMerge: latest data, one item
    CHECK(transport.sent[2].items[0].attempts == 1);
    CHECK(orch.pending() == 1);
  }
  SECTION("ok: the newer request follows in a later batch") {
    transport.reply_all(0, ItemOutcome::ok);
    sched.advance_by(0ms);
    REQUIRE(transport.sent.size() == 2);
    CHECK(transport.keys(1) == Keys{"a", "b"});
    CHECK(transport.sent[1].items[0].request == "new");
  }
  SECTION("reject: the older one is dead, the newer one is still sent") {
    std::vector<std::string> dead;
    auto sub = orch.dead_letters().subscribe(
        [&](const Transport::Item& item) { dead.push_back(item.request); });
    transport.reply_all(0, ItemOutcome::reject);
    sched.advance_by(0ms);
    CHECK(dead == std::vector<std::string>{"old"});
    REQUIRE(transport.sent.size() == 2);
    CHECK(transport.sent[1].items[0].request == "new");
  }
}

TEST_CASE("whole-batch failures and malformed replies retry every item", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  Orchestrator orch(sched, transport, fast_retry_options());
  orch.enqueue("a", "1");
  orch.enqueue("b", "2");
  sched.advance_by(100ms);

  SECTION("empty outcome list: a whole-batch failure") {
    transport.sent[0].done({});
    sched.advance_by(1s);
    REQUIRE(transport.sent.size() == 2);
    CHECK(orch.stats().protocol_errors == 0);
  }
  SECTION("wrong number of outcomes") {
    transport.sent[0].done({ItemOutcome::ok});
    sched.advance_by(1s);
    REQUIRE(transport.sent.size() == 2);
    CHECK(transport.sent[1].items.size() == 2);
    CHECK(orch.stats().protocol_errors == 1);
  }
  SECTION("a second reply to the same batch is ignored") {
    auto done = transport.sent[0].done;
    done({ItemOutcome::ok, ItemOutcome::ok});
    done({ItemOutcome::reject, ItemOutcome::reject});
    sched.advance_by(0ms);
    CHECK(orch.stats().delivered == 2);
    CHECK(orch.stats().dead_letters == 0);
  }
}

TEST_CASE("a transport that throws fails the whole batch", "[batch]") {
  struct Throwing {
    int calls = 0;
    void send(std::vector<rxsync::BatchItem<std::string, std::string>>,
              rxsync::BatchDone<std::string, std::string> done) {
      if (++calls == 1) throw std::runtime_error("socket closed");
      done({ItemOutcome::ok});
    }
  };
  rxsync::VirtualTimeScheduler sched;
  Throwing transport;
  rxsync::BatchOrchestrator<std::string, std::string, Throwing, rxsync::VirtualTimeScheduler> orch(
      sched, transport, fast_retry_options());
  orch.enqueue("a", "1");
  sched.advance_by(100ms);
  CHECK(orch.stats().retries == 1);
  sched.advance_by(1s);
  CHECK(transport.calls == 2);
  CHECK(orch.pending() == 0);
}

TEST_CASE("flush sends now, stop flushes and refuses new requests", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  transport.auto_reply = [](const auto& items) {
    return std::vector<ItemOutcome>(items.size(), ItemOutcome::ok);
  };
  Orchestrator orch(sched, transport);
  orch.enqueue("a", "1");
  orch.flush();
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 1);

  orch.enqueue("b", "2");
  orch.stop();
  REQUIRE_THROWS_AS(orch.enqueue("c", "3"), std::logic_error);
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 2);
  CHECK(orch.pending() == 0);
  CHECK(sched.pending() == 0);
}

TEST_CASE("an empty window sends nothing and leaves no timer", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  Orchestrator orch(sched, transport);
  orch.flush();
  sched.advance_by(1s);
  CHECK(transport.sent.empty());
  CHECK(sched.pending() == 0);
}

TEST_CASE("a zero window sends each request as soon as the scheduler runs", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  rxsync::BatchOptions options;
  options.window = 0ms;
  Orchestrator orch(sched, transport, options);
  orch.enqueue("a", "1");
  orch.enqueue("b", "1");
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.keys(0) == Keys{"a", "b"});
}

TEST_CASE("invalid options are rejected with the option's name and value", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  auto make = [&](rxsync::BatchOptions o) { Orchestrator orch(sched, transport, o); };
  rxsync::BatchOptions o;
  o.window = -1ms;
  REQUIRE_THROWS_WITH(make(o),
                      rxsync_test::contains("BatchOptions.window must be >= 0, got -1000000ns"));
  o = {};
  o.max_batch = 0;
  REQUIRE_THROWS_WITH(make(o), rxsync_test::contains("BatchOptions.max_batch"));
  o = {};
  o.max_attempts = 0;
  REQUIRE_THROWS_WITH(make(o), rxsync_test::contains("BatchOptions.max_attempts"));
  o = {};
  o.max_in_flight = 0;
  REQUIRE_THROWS_WITH(make(o), rxsync_test::contains("BatchOptions.max_in_flight"));
  o = {};
  o.max_wait = -1ms;
  REQUIRE_THROWS_WITH(
      make(o),
      rxsync_test::contains("BatchOptions.max_wait must be >= 0 (0 = no bound), got -1000000ns"));
  o = {};
  o.dead_letter_replay = 0;
  REQUIRE_THROWS_WITH(make(o),
                      rxsync_test::contains("BatchOptions.dead_letter_replay must be >= 1, got 0"));
  o = {};
  o.backoff.multiplier = 0.5;
  REQUIRE_THROWS_AS(make(o), std::invalid_argument);
}

TEST_CASE("destroying the orchestrator cancels its timers and ignores late replies", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  {
    Orchestrator orch(sched, transport, fast_retry_options());
    orch.enqueue("a", "1");
    sched.advance_by(100ms);
    orch.enqueue("b", "2");
  }
  CHECK(sched.pending() == 0);
  transport.reply_all(0, ItemOutcome::ok);  // must not touch the destroyed orchestrator
  sched.run();
  CHECK(transport.sent.size() == 1);
}

TEST_CASE("a priority function picks and orders the items of a batch", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  rxsync::BatchOptions options;
  options.max_batch = 2;
  options.window = 100ms;
  // Keys starting with '!' are urgent (e.g. a pin), others normal (e.g. a read receipt).
  Orchestrator orch(sched, transport, options, {}, [](const std::string& key, const std::string&) {
    return key[0] == '!' ? 10 : 0;
  });
  orch.enqueue("read-1", "r");
  orch.enqueue("read-2", "r");  // full batch of two normal items is due at once...
  orch.enqueue("!pin", "p");    // ...but the pin outranks them
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.keys(0) == Keys{"!pin", "read-1"});
  transport.reply_all(0, ItemOutcome::ok);
  sched.advance_by(100ms);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.keys(1) == Keys{"read-2"});
}

// A stream of urgent items, one per reply, always outranks a normal one. max_wait bounds how
// long the normal item is passed over; 0 turns the bound off (it then stays queued: still
// counted by pending(), never dropped).
TEST_CASE("max_wait keeps a priority function from starving low priorities", "[batch]") {
  const auto max_wait = GENERATE(rxsync::Duration(300ms), rxsync::Duration::zero());
  CAPTURE(max_wait.count());
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  rxsync::BatchOptions options;
  options.max_batch = 1;
  options.max_wait = max_wait;
  Orchestrator orch(sched, transport, options, {}, [](const std::string& key, const std::string&) {
    return key[0] == '!' ? 10 : 0;
  });
  orch.enqueue("read", "r");
  orch.enqueue("!u0", "p");
  sched.advance_by(0ms);
  REQUIRE(transport.sent.size() == 1);
  for (int i = 1; i <= 10; ++i) {
    transport.reply_all(transport.sent.size() - 1, ItemOutcome::ok);
    orch.enqueue("!u" + std::to_string(i), "p");
    sched.advance_by(50ms);
  }
  std::vector<std::string> order;
  for (std::size_t b = 0; b < transport.sent.size(); ++b) order.push_back(transport.keys(b).at(0));
  if (max_wait > rxsync::Duration::zero()) {
    // Sent by the pump at t = 300 ms, the first moment it had waited max_wait.
    REQUIRE(order.size() == 11);
    CHECK(order[7] == "read");
    CHECK(order[6] == "!u6");
    CHECK(order[8] == "!u7");
  } else {
    CHECK(std::find(order.begin(), order.end(), "read") == order.end());
    CHECK(orch.pending() == 2);  // "read" and the last urgent item, awaiting its reply
  }
}

TEST_CASE("events() reports each item's progress", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  auto options = fast_retry_options();
  options.max_attempts = 2;
  Orchestrator orch(sched, transport, options);
  std::vector<std::string> log;
  auto sub = orch.events().subscribe([&](const Orchestrator::Event& e) {
    static const char* names[] = {"sent", "delivered", "retrying", "dead"};
    log.push_back(std::string(names[static_cast<int>(e.kind)]) + ":" + e.item.key + "#" +
                  std::to_string(e.item.attempts));
  });
  orch.enqueue("a", "1");
  orch.enqueue("b", "2");
  sched.advance_by(100ms);
  transport.sent[0].done({ItemOutcome::ok, ItemOutcome::retry});
  sched.advance_by(1s);
  transport.reply_all(1, ItemOutcome::retry);
  sched.advance_by(0ms);
  CHECK(log == std::vector<std::string>{"sent:a#0", "sent:b#0", "delivered:a#0", "retrying:b#1",
                                        "sent:b#1", "dead:b#2"});
}

TEST_CASE("a Merge that throws while folding into a retry dead-letters the older request only",
          "[batch]") {
  // Merge is user code: an exception must not strand the reply's other items or lose either
  // request without a trace.
  struct ThrowingMerge {
    std::shared_ptr<bool> armed;
    void operator()(std::string& existing, std::string&& incoming) const {
      if (*armed) throw std::runtime_error("cannot merge");
      existing = std::move(incoming);
    }
  };
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  auto armed = std::make_shared<bool>(false);
  rxsync::BatchOrchestrator<std::string, std::string, Transport, rxsync::VirtualTimeScheduler,
                            ThrowingMerge>
      orch(sched, transport, fast_retry_options(), ThrowingMerge{armed});
  std::vector<std::string> dead;
  auto sub = orch.dead_letters().subscribe(
      [&](const rxsync::BatchItem<std::string, std::string>& i) { dead.push_back(i.request); });
  orch.enqueue("a", "1");
  orch.enqueue("b", "x");
  sched.advance_by(100ms);
  REQUIRE(transport.sent.size() == 1);
  orch.enqueue("a", "2");  // waits behind the in-flight "1"
  *armed = true;
  transport.reply_all(0, ItemOutcome::retry);  // folding "2" into the retried "1" throws
  sched.advance_by(1ms);
  CHECK(dead == std::vector<std::string>{"1"});
  CHECK(orch.stats().merge_failures == 1);
  // "2" goes on its own, and b is retried as usual (max_in_flight 1: one batch at a time).
  std::size_t answered = 1;
  for (int i = 0; i < 10 && orch.pending() > 0; ++i) {
    sched.advance_by(1s);
    for (; answered < transport.sent.size(); ++answered) {
      transport.reply_all(answered, ItemOutcome::ok);
    }
  }
  std::vector<std::string> resent;
  for (std::size_t i = 1; i < transport.sent.size(); ++i) {
    for (const auto& item : transport.sent[i].items)
      resent.push_back(item.key + "=" + item.request);
  }
  std::sort(resent.begin(), resent.end());
  CHECK(resent == std::vector<std::string>{"a=2", "b=x"});
  CHECK(orch.pending() == 0);
}

TEST_CASE("network failures need not count toward max_attempts", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  auto o = fast_retry_options();
  o.max_attempts = 2;
  o.backoff.max = 4s;
  o.backoff.max_retries = 3;  // would end the retries, but not for network failures
  SECTION("counted (the default): dead after max_attempts sends") {
    Orchestrator orch(sched, transport, o);
    orch.enqueue("a", "1");
    sched.advance_by(100ms);
    for (std::size_t i = 0; i < transport.sent.size(); ++i) {
      transport.sent[i].done({});
      sched.advance_by(10s);
    }
    CHECK(transport.sent.size() == 2);
    CHECK(orch.stats().dead_letters == 1);
    CHECK(orch.stats().network_failures == 2);
  }
  SECTION("not counted: retried while the network is away, at most backoff.max apart") {
    o.count_network_failures = false;
    Orchestrator orch(sched, transport, o);
    std::vector<rxsync::BatchEvent<std::string, std::string>> events;
    auto sub = orch.events().subscribe([&](const auto& e) { events.push_back(e); });
    orch.enqueue("a", "1");
    sched.advance_by(100ms);
    for (int i = 0; i < 20; ++i) {
      REQUIRE(transport.sent.size() == static_cast<std::size_t>(i) + 1);
      transport.sent.back().done({});
      sched.advance_by(4s);  // backoff.max: the next try is due by then
    }
    CHECK(orch.stats().dead_letters == 0);
    CHECK(orch.pending() == 1);
    CHECK(transport.sent.back().items[0].attempts == 20);  // attempts still counts every send
    std::size_t network_retries = 0;
    for (const auto& e : events)
      network_retries += e.kind == rxsync::BatchEventKind::retrying && e.network ? 1U : 0U;
    CHECK(network_retries == 20);
    // A server's `retry` answer still counts: two of them end it.
    transport.reply_all(transport.sent.size() - 1, ItemOutcome::retry);
    sched.advance_by(4s);
    transport.reply_all(transport.sent.size() - 1, ItemOutcome::retry);
    sched.advance_by(0s);
    CHECK(orch.stats().dead_letters == 1);
  }
}

TEST_CASE("retry_now sends items waiting out a backoff at once, their backoff reset", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  auto o = fast_retry_options();
  o.backoff.initial = 1min;
  o.max_attempts = 10;
  Orchestrator orch(sched, transport, o);
  orch.enqueue("a", "1");
  sched.advance_by(100ms);
  transport.sent[0].done({});
  sched.advance_by(10s);
  REQUIRE(transport.sent.size() == 1);  // waiting a minute
  CHECK(orch.stats().waiting_retry == 1);
  orch.retry_now();
  sched.advance_by(0s);
  REQUIRE(transport.sent.size() == 2);
  CHECK(orch.stats().waiting_retry == 0);
  transport.sent[1].done({});
  sched.advance_by(59s);
  CHECK(transport.sent.size() == 2);
  sched.advance_by(1s);  // the first delay again (1 min), not the second (2 min)
  CHECK(transport.sent.size() == 3);
}

TEST_CASE("flush(key) sends that key now, in a batch with the others queued", "[batch]") {
  rxsync::VirtualTimeScheduler sched;
  Transport transport;
  rxsync::BatchOptions o;
  o.window = 1h;
  Orchestrator orch(sched, transport, o);
  orch.enqueue("a", "1");
  orch.enqueue("b", "2");
  orch.enqueue("c", "3");
  CHECK(orch.flush("b"));
  CHECK_FALSE(orch.flush("zzz"));
  sched.advance_by(0s);
  REQUIRE(transport.sent.size() == 1);
  CHECK(transport.keys(0) == Keys{"a", "b", "c"});
  CHECK(orch.pending() == 3);
  transport.reply_all(0, ItemOutcome::ok);
  orch.enqueue("d", "4");
  CHECK(orch.flush("d"));
  sched.advance_by(0s);
  REQUIRE(transport.sent.size() == 2);
  CHECK(transport.keys(1) == Keys{"d"});
}
