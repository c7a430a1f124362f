// rxsync/net/net_transport.hpp - a SyncTransport over a real network: WebSocket, SSE + HTTP,
// long poll or poll, to rxsync-server or any server speaking docs/net.md (target rxsync::net).
//
// Plugs into SyncService unchanged: pushes and pulls, plus connectivity() (the service resends
// and pulls at once when it comes back) and pokes() (the service pulls at once). Also carries an
// app's own real-time messages on the same connection: channel subscribe/publish and
// request/reply with timeouts. Socket I/O runs on an io_context (owned, with its own thread, or
// injected); timers run on the injected Scheduler; every callback, answer and emission reaches
// the app on that scheduler. Public members are thread-safe. The scheduler must outlive it.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/fwd/net/net_transport.hpp>
#include <rxsync/net/detail/client_core.hpp>
#include <rxsync/net/net_transport_options.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/sync/sync_types.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// Default template arguments: in <rxsync/fwd/net/net_transport.hpp>.
template <class Key, class Value, class Sched, class Codec>
class NetTransport {
  static_assert(check_scheduler<Sched>());

 public:
  using key_type = Key;  // what SyncService's deduction guides read
  using value_type = Value;
  using Item = BatchItem<Key, Change<Value>>;

  // Owns an io_context and the thread that runs it; connects at once.
  NetTransport(Sched& scheduler, NetTransportOptions options)
      : owned_(std::make_unique<Owned>()),
        state_(make_state(scheduler, checked(std::move(options)), owned_->ioc.get_executor())) {
    owned_->thread = std::thread([io = owned_.get()] { io->ioc.run(); });
    state_->core->start();
  }
  // Runs on the caller's io_context (the caller runs it, on as many threads as it likes).
  NetTransport(Sched& scheduler, boost::asio::io_context& ioc, NetTransportOptions options)
      : state_(make_state(scheduler, checked(std::move(options)), ioc.get_executor())) {
    state_->core->start();
  }
  NetTransport(const NetTransport&) = delete;
  NetTransport& operator=(const NetTransport&) = delete;
  // Disconnects; operations still waiting get their failure on the scheduler (if it still runs).
  ~NetTransport() {
    state_->alive.reset();  // answers still on their way are dropped from here on
    stop();
    if (owned_) {
      owned_->work.reset();
      owned_->thread.join();  // every socket operation has completed
      state_->core.reset();   // before the io_context it was created on goes
    }
  }

  // Reconnects after stop() (a stopped transport stays offline).
  void start() { state_->core->start(); }
  void stop() { state_->core->stop(); }

  // ---- SyncTransport ----

  void send(std::vector<Item> batch, BatchDone<Key, Change<Value>> done) {
    std::vector<WireChange> changes;
    changes.reserve(batch.size());
    for (const Item& item : batch) {
      changes.push_back(WireChange{Codec::encode(item.key), item.request.origin,
                                   item.request.version, ValueEncoding::full,
                                   Codec::encode(item.request.value)});
    }
    state_->core->push(std::move(changes),
                       [d = deliverer(), done = std::move(done)](
                           std::optional<std::vector<PushOutcome>> out, std::string) mutable {
                         // Empty: the batch got no answer, retry it all. A wrong count is the
                         // orchestrator's to report (it retries everything and counts a protocol
                         // error).
                         std::vector<ItemOutcome> outcomes;
                         if (out) {
                           for (const PushOutcome& o : *out) outcomes.push_back(o.kind);
                         }
                         d([done = std::move(done), outcomes = std::move(outcomes)]() mutable {
                           done(std::move(outcomes));
                         });
                       });
  }

  void pull(std::uint64_t cursor, PullDone<Key, Value> done) {
    state_->core->pull(cursor, [d = deliverer(), cursor, done = std::move(done)](
                                   std::optional<Changes> page, std::string error) mutable {
      PullResult<Key, Value> result;
      result.cursor = cursor;
      if (!page) {
        result.ok = false;
        result.error = std::move(error);
      } else {
        try {
          for (PulledChange& c : page->changes) {
            if (c.encoding != ValueEncoding::full) {
              throw std::runtime_error("unknown change encoding " +
                                       std::to_string(static_cast<unsigned>(c.encoding)));
            }
            result.changes.emplace_back(Codec::decode(c.key, static_cast<Key*>(nullptr)),
                                        Codec::decode(c.value, static_cast<Value*>(nullptr)));
          }
          result.cursor = page->next_cursor;
          result.more = page->more;
          result.reset = page->reset;
        } catch (const std::exception& e) {
          result = PullResult<Key, Value>{};
          result.ok = false;
          result.cursor = cursor;
          result.error = std::string("a pulled change does not decode: ") + e.what();
        }
      }
      d([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  // Online now, then each change (what SyncService follows).
  Observable<bool> connectivity() const { return state_->online.as_observable(); }
  // The server's "something new" signals, with its head cursor.
  Observable<std::uint64_t> pokes() const { return state_->pokes.as_observable(); }
  // The connection's state now, then each change: connecting, online, reconnecting (with the
  // attempt count and the last error), offline.
  Observable<ConnectionStatus> connection() const { return state_->status.as_observable(); }
  ConnectionStatus status() const { return state_->status.value(); }

  // ---- channels (websocket mode) ----

  // Messages published (or requests sent) on `channel` by other clients, while subscribed.
  Observable<ChannelMessage> subscribe(const std::string& channel) {
    std::weak_ptr<detail::ClientCore> core = state_->core;
    auto messages = state_->messages;
    return rxsync::create<ChannelMessage>(
        [core, messages, channel](Subscriber<ChannelMessage> sub) {
          auto inner = messages.subscribe([sub, channel](const ChannelMessage& m) {
            if (m.channel == channel) sub.on_next(m);
          });
          if (auto c = core.lock()) c->subscribe(channel);
          return Subscription::create([core, channel, inner]() mutable {
            inner.unsubscribe();
            if (auto c = core.lock()) c->unsubscribe(channel);
          });
        });
  }
  void publish(const std::string& channel, const std::string& type, std::string payload) {
    state_->core->publish(channel, type, std::move(payload));
  }
  // Asks one subscriber of `channel`: emits its reply and completes, or fails with a
  // RequestError (timeout, no responder, not connected).
  Observable<ChannelReply> request(const std::string& channel, const std::string& type,
                                   std::string payload, std::optional<Duration> timeout = {}) {
    std::weak_ptr<detail::ClientCore> core = state_->core;
    const Duration t = timeout.value_or(state_->options.request_timeout);
    return rxsync::create<ChannelReply>(
        [core, deliver = deliverer(), channel, type, payload, t](Subscriber<ChannelReply> sub) {
          auto answer = [deliver, sub](std::optional<ChannelReply> reply, ErrorCode code,
                                       std::string error) {
            deliver([sub, reply = std::move(reply), code, error]() {
              if (reply) {
                sub.on_next(*reply);
                sub.on_completed();
              } else {
                sub.on_error(std::make_exception_ptr(RequestError(code, error)));
              }
            });
          };
          if (auto c = core.lock()) {
            c->request(channel, type, payload, t, answer);
          } else {
            answer(std::nullopt, ErrorCode::shutting_down, "the transport is gone");
          }
        });
  }
  // Answers a request received on a subscribed channel (ChannelMessage::request_ref).
  void reply(std::uint64_t request_ref, const std::string& type, std::string payload,
             bool is_error = false) {
    state_->core->reply(request_ref, type, std::move(payload), is_error);
  }

 private:
  struct Owned {
    boost::asio::io_context ioc{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
        ioc.get_executor()};
    std::thread thread;
  };

  // Moves a callback to the scheduler; dropped if the transport is gone by the time it runs.
  // Holds no strong reference to the transport's state, so nothing queued keeps it alive.
  struct Deliver {
    Sched* sched;
    std::weak_ptr<const char> alive;
    template <class F>
    void operator()(F f) const {
      if (alive.expired()) return;
      sched->schedule([alive = alive, f = std::move(f)]() mutable {
        if (!alive.expired()) f();
      });
    }
  };

  struct State {
    State(Sched& s, NetTransportOptions o) : sched(s), options(std::move(o)) {}
    Sched& sched;
    NetTransportOptions options;
    std::shared_ptr<detail::ClientCore> core;
    BehaviorSubject<bool, Synchronized> online{false};
    BehaviorSubject<ConnectionStatus, Synchronized> status{ConnectionStatus{}};
    PublishSubject<std::uint64_t, Synchronized> pokes;
    PublishSubject<ChannelMessage, Synchronized> messages;
    std::shared_ptr<const char> alive = std::make_shared<const char>('\0');
  };
  Deliver deliverer() const { return Deliver{&state_->sched, state_->alive}; }

  static NetTransportOptions checked(NetTransportOptions o) {
    validate_net_transport_options(o);
    return o;
  }

  static std::shared_ptr<State> make_state(Sched& sched, NetTransportOptions options,
                                           boost::asio::io_context::executor_type ex) {
    auto state = std::make_shared<State>(sched, options);
    const Deliver d{&sched, state->alive};
    detail::Timers timers{[&sched] { return sched.now(); },
                          [&sched](Duration delay, std::function<void()> f) {
                            return sched.schedule_after(delay, std::move(f));
                          }};
    detail::ClientCallbacks callbacks{
        [d, status = state->status, online = state->online](const ConnectionStatus& s) {
          d([status, online, s] {
            status.on_next(s);
            const bool up = s.state == ConnectionState::online;
            if (online.value() != up) online.on_next(up);
          });
        },
        [d, pokes = state->pokes](std::uint64_t head) {
          d([pokes, head] { pokes.on_next(head); });
        },
        [d, messages = state->messages](ChannelMessage m) {
          d([messages, m = std::move(m)] { messages.on_next(m); });
        }};
    state->core = std::make_shared<detail::ClientCore>(std::move(ex), std::move(options),
                                                       std::move(timers), std::move(callbacks));
    return state;
  }

  std::unique_ptr<Owned> owned_;
  std::shared_ptr<State> state_;
};

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
