// rxsync/testing/sim_network.hpp - an in-memory server and client transports with seeded faults.
//
// What tests and the demo sync through: message loss, request duplication, random latency (and
// so reordering), client partitions, request timeouts, a server that loses its store. The server
// is the real one: ServerCore over a MemoryServerStore, the code every rxsync server runs, so a
// simulation exercises the same apply, merge, sequence and pull logic as production.
// Single-threaded: use it from the scheduler's thread (all its work runs on the scheduler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/fwd/testing/sim_network.hpp>
#include <rxsync/resilience/backoff.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>
#include <rxsync/sync/sync_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SimNetworkOptions {
  double loss = 0.0;         // probability that one message (request or response) is lost
  double duplication = 0.0;  // probability that a request is delivered twice
  Duration min_delay = std::chrono::milliseconds(1);   // one-way latency, uniform in
  Duration max_delay = std::chrono::milliseconds(20);  // [min, max]: messages overtake each other
  Duration timeout = std::chrono::seconds(1);          // a client gives up on an unanswered request
  // After a push changes the server state, every other online client gets a poke ("something
  // new", like a WebSocket server's) after one latency, lost with probability `loss`.
  bool pokes = true;
  std::size_t page_size = 0;  // changes per pull answer (0: the server's default, 1000)
  std::uint64_t seed = 1;
};

inline void validate_sim_network_options(const SimNetworkOptions& o) {
  auto prob = [](const char* name, double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw std::invalid_argument(std::string("SimNetworkOptions.") + name +
                                  " must be in [0, 1], got " + std::to_string(p));
    }
  };
  prob("loss", o.loss);
  prob("duplication", o.duplication);
  if (o.min_delay < Duration::zero() || o.max_delay < o.min_delay) {
    throw std::invalid_argument(
        "SimNetworkOptions delays must satisfy 0 <= min_delay <= max_delay, got " +
        std::to_string(o.min_delay.count()) + "ns and " + std::to_string(o.max_delay.count()) +
        "ns");
  }
  if (o.timeout <= Duration::zero()) {
    throw std::invalid_argument("SimNetworkOptions.timeout must be > 0, got " +
                                std::to_string(o.timeout.count()) + "ns");
  }
}

struct SimNetworkStats {
  std::uint64_t requests = 0;            // push and pull requests sent while online
  std::uint64_t refused = 0;             // requests from a partitioned (offline) client
  std::uint64_t lost = 0;                // requests and responses dropped by the network
  std::uint64_t duplicated = 0;          // extra deliveries of a request
  std::uint64_t timeouts = 0;            // requests a client gave up on
  std::uint64_t changes_applied = 0;     // pushed changes merged into the server state
  std::uint64_t duplicates_ignored = 0;  // pushed changes already applied (or older): no effect
  std::uint64_t pulls_served = 0;
  std::uint64_t pokes_sent = 0;  // pokes delivered to clients
  std::uint64_t rejected = 0;    // pushed changes the server refused (values that do not decode)
  std::uint64_t conflicts_merged = 0;  // pushes merged with a concurrent state on the server
};

// Default template arguments: in <rxsync/fwd/testing/sim_network.hpp>.
template <class Key, class Value, class Sched, class Merge, class Hash, class Codec>
class SimNetwork {
  static_assert(check_scheduler<Sched>());
  static_assert(MergePolicy<Merge, Value>,
                "rxsync: SimNetwork's Merge must be callable as Value(const Value&, const Value&)");

 public:
  using Item = BatchItem<Key, Change<Value>>;

  class Client;

  SimNetwork(Sched& scheduler, SimNetworkOptions options = {}, Merge merge = {})
      : sched_(scheduler),
        options_(checked(options)),
        merge_(std::move(merge)),
        random_(options_.seed) {
    replace_server_store();
  }
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // A transport for the client `id` (satisfies SyncTransport). The reference stays valid as long
  // as the network; asking again for the same id returns the same client.
  Client& client(const std::string& id) {
    auto& slot = clients_[id];
    if (!slot) slot.reset(new Client(*this, id));
    return *slot;
  }

  std::optional<Value> server_value(const Key& key) const {
    auto bytes = core_->value(Codec::encode(key));
    if (!bytes) return std::nullopt;
    return Codec::decode(*bytes, static_cast<Value*>(nullptr));
  }
  std::vector<std::pair<Key, Value>> server_state() const {
    std::vector<std::pair<Key, Value>> out;
    store_->for_each([&](std::string_view k, std::string_view v) {
      out.emplace_back(Codec::decode(k, static_cast<Key*>(nullptr)),
                       Codec::decode(v, static_cast<Value*>(nullptr)));
    });
    return out;
  }
  // The server's head cursor (opaque; grows with every change that changed the state).
  std::uint64_t cursor() const { return core_->head_cursor(); }
  // "digest: <hex>" of the server's state: equal to a converged client's.
  std::string digest_line() const { return core_->digest_line(); }
  const SimNetworkStats& stats() const noexcept { return stats_; }
  const ServerCore& server() const noexcept { return *core_; }

  // The server loses its store (a new, empty one with a new epoch), as when a server is
  // replaced or restored from an old backup: clients' next pulls are answered `reset`, and they
  // push their state again.
  void replace_server_store() {
    // Deterministic per network and replacement, so a seeded run is reproducible.
    std::uint64_t epoch = 0;
    while (epoch == 0) epoch = epochs_.next_u64();
    store_ = std::make_unique<MemoryServerStore>(epoch);
    ServerCoreOptions core_options;
    if (options_.page_size != 0) {
      core_options.default_page = options_.page_size;
      core_options.max_page = std::max(core_options.max_page, options_.page_size);
    }
    core_ = std::make_unique<ServerCore>(*store_, typed_merger<Value, Merge, Codec>(merge_),
                                         typed_validator<Value, Codec>(), core_options);
  }

  class Client {
   public:
    using key_type = Key;  // what SyncService's deduction guides read
    using value_type = Value;

    void send(std::vector<Item> batch, BatchReply done) {
      net_.request<std::vector<ItemOutcome>>(
          *this, std::move(done),
          [batch = std::move(batch), this](SimNetwork& net) { return net.apply(batch, *this); },
          std::vector<ItemOutcome>{});
    }
    void pull(std::uint64_t cursor, PullDone<Key, Value> done) {
      PullResult<Key, Value> failed;
      failed.ok = false;
      failed.error = "network error";
      failed.cursor = cursor;
      net_.request<PullResult<Key, Value>>(
          *this, std::move(done), [cursor](SimNetwork& net) { return net.changes_since(cursor); },
          std::move(failed));
    }
    // A partition: while offline, requests fail at once and responses in flight are lost.
    void set_online(bool online) {
      if (online_ == online) return;
      online_ = online;
      connectivity_.on_next(online);
    }
    bool online() const noexcept { return online_; }
    const std::string& id() const noexcept { return id_; }
    // The online state now, then each change: what a SyncService follows to resend and pull
    // at once when a partition heals.
    Observable<bool> connectivity() const { return connectivity_.as_observable(); }
    // The server's "something new" signals (with its head cursor), see SimNetworkOptions::pokes.
    Observable<std::uint64_t> pokes() const { return pokes_.as_observable(); }

   private:
    friend class SimNetwork;
    Client(SimNetwork& net, std::string id) : net_(net), id_(std::move(id)) {}
    SimNetwork& net_;
    std::string id_;
    bool online_ = true;
    BehaviorSubject<bool, Synchronized> connectivity_{true};
    PublishSubject<std::uint64_t, Synchronized> pokes_;
  };

 private:
  static SimNetworkOptions checked(SimNetworkOptions o) {
    validate_sim_network_options(o);
    return o;
  }

  bool chance(double p) { return p > 0.0 && random_() < p; }
  Duration latency() {
    const auto span = static_cast<double>((options_.max_delay - options_.min_delay).count());
    return options_.min_delay + Duration(static_cast<Duration::rep>(random_() * span));
  }

  // One request/response exchange with timeout, loss and duplication. `serve` runs on the
  // server at delivery time; `done` gets its answer, or `failure` on timeout or refusal, once.
  template <class Answer, class Done, class Serve>
  void request(Client& client, Done done, Serve serve, Answer failure) {
    struct Call {
      Done done;
      Answer failure;
      Subscription timer;
      bool finished = false;
    };
    auto call = std::make_shared<Call>(Call{std::move(done), std::move(failure), {}, false});
    auto finish = [](const std::shared_ptr<Call>& c, Answer answer) {
      if (c->finished) return;
      c->finished = true;
      c->timer.unsubscribe();
      c->done(std::move(answer));
    };
    // Actions that outlive the network (still queued on the scheduler) do nothing.
    std::weak_ptr<const char> alive = alive_;
    if (!client.online()) {
      ++stats_.refused;
      sched_.schedule_after(options_.min_delay, [alive, call, finish] {
        if (!alive.expired()) finish(call, call->failure);
      });
      return;
    }
    ++stats_.requests;
    call->timer = sched_.schedule_after(options_.timeout, [this, alive, call, finish] {
      if (alive.expired()) return;
      if (!call->finished) ++stats_.timeouts;
      finish(call, call->failure);
    });
    const int deliveries = chance(options_.duplication) ? 2 : 1;
    if (deliveries == 2) ++stats_.duplicated;
    auto shared_serve = std::make_shared<Serve>(std::move(serve));
    for (int i = 0; i < deliveries; ++i) {
      if (chance(options_.loss)) {
        ++stats_.lost;
        continue;
      }
      sched_.schedule_after(latency(), [this, alive, &client, call, finish, shared_serve] {
        if (alive.expired()) return;
        Answer answer = (*shared_serve)(*this);
        if (chance(options_.loss) || !client.online()) {
          ++stats_.lost;
          return;
        }
        sched_.schedule_after(latency(),
                              [alive, &client, call, finish, answer = std::move(answer)]() mutable {
                                if (!alive.expired() && client.online())
                                  finish(call, std::move(answer));
                              });
      });
    }
  }

  std::vector<ItemOutcome> apply(const std::vector<Item>& batch, const Client& from) {
    std::vector<ServerChange> changes;
    changes.reserve(batch.size());
    for (const Item& item : batch) {
      changes.push_back(ServerChange{Codec::encode(item.key), Codec::encode(item.request.value),
                                     item.request.origin, item.request.version, 0});
    }
    const ServerCoreStats before = core_->stats();
    const std::uint64_t head_before = core_->head_cursor();
    const std::vector<ServerOutcome> answers = core_->push(changes);
    const ServerCoreStats after = core_->stats();
    stats_.changes_applied += after.changes_applied - before.changes_applied;
    stats_.duplicates_ignored += after.duplicates - before.duplicates;
    stats_.rejected += after.rejected - before.rejected;
    stats_.conflicts_merged += after.conflicts_merged - before.conflicts_merged;
    std::vector<ItemOutcome> outcomes;
    outcomes.reserve(answers.size());
    for (const ServerOutcome& a : answers) outcomes.push_back(a.kind);
    if (options_.pokes && core_->head_cursor() != head_before) poke_all_but(from);
    return outcomes;
  }

  void poke_all_but(const Client& from) {
    std::weak_ptr<const char> alive = alive_;
    for (auto& [id, client] : clients_) {
      Client* c = client.get();
      if (c == &from || !c->online()) continue;
      if (chance(options_.loss)) {
        ++stats_.lost;
        continue;
      }
      sched_.schedule_after(latency(), [this, alive, c, head = core_->head_cursor()] {
        if (alive.expired() || !c->online()) return;
        ++stats_.pokes_sent;
        c->pokes_.on_next(head);
      });
    }
  }

  PullResult<Key, Value> changes_since(std::uint64_t cursor) {
    ++stats_.pulls_served;
    ServerPage page = core_->pull(cursor);
    PullResult<Key, Value> result;
    result.changes.reserve(page.changes.size());
    for (const auto& [k, v] : page.changes) {
      result.changes.emplace_back(Codec::decode(k, static_cast<Key*>(nullptr)),
                                  Codec::decode(v, static_cast<Value*>(nullptr)));
    }
    result.cursor = page.cursor;
    result.more = page.more;
    result.reset = page.reset;
    return result;
  }

  Sched& sched_;
  const SimNetworkOptions options_;
  Merge merge_;
  DefaultRandom random_;
  DefaultRandom epochs_{options_.seed ^ 0x5eedULL};  // apart from random_: faults stay as seeded
  std::map<std::string, std::unique_ptr<Client>> clients_;
  std::unique_ptr<MemoryServerStore> store_;
  std::unique_ptr<ServerCore> core_;
  SimNetworkStats stats_;
  std::shared_ptr<const char> alive_ = std::make_shared<const char>('\0');
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
