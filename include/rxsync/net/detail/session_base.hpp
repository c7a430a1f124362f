// rxsync/net/detail/session_base.hpp - what WebSocket and HTTP sessions share: pushes and pulls
// run on the store threads, long polls held until a commit or their deadline, the registry entry
// and the connect/disconnect log lines.
//
// Threading: a session's own members are touched only on its strand (the executor of its
// socket). ServerCore is called only from the store threads: pushes through the server's one
// push strand (in arrival order; ServerCore applies them one at a time anyway), reads (pulls,
// digests) through a strand per session, so one connection's reads take one store thread at a
// time. Results come back to the session's strand. Why not run ServerCore on the io threads: a
// SQLite commit waits for the disk and pushes wait for each other, so with two io threads two
// slow pushes would stall the sockets of every connection; here they stall only the pushes
// queued behind them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <rxsync/net/detail/server_state.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

class SessionBase : public ServerSession, public std::enable_shared_from_this<SessionBase> {
 public:
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;
  ~SessionBase() override {
    if (id_ != 0) state_.remove_session(id_);
    if (logged_connect_) {
      state_.log(ServerLogEvent::Kind::disconnected, transport_, peer_, origin_,
                 end_reason_.empty() ? "closed" : end_reason_);
    }
  }

 protected:
  // The answer to a push or a pull (Ack, Changes or Error), delivered on the session's strand.
  using Answer = std::function<void(Frame)>;

  SessionBase(ServerState& state, asio::any_io_executor strand, std::string transport,
              std::string peer)
      : state_(state),
        strand_(std::move(strand)),
        store_(asio::make_strand(state.store_pool->get_executor())),
        transport_(std::move(transport)),
        peer_(std::move(peer)) {}

  // Call once the session is owned by a shared_ptr.
  void register_session() { id_ = state_.add_session(weak_from_this()); }

  void log_connected(std::string detail) {
    logged_connect_ = true;
    state_.log(ServerLogEvent::Kind::connected, transport_, peer_, origin_, std::move(detail));
  }

  // Applies the changes of this connection's origin through ServerCore on the store threads;
  // changes of another origin are answered reject without reaching the store. The Ack goes out
  // only after ServerCore committed (or answered retry for every change).
  void run_push(Push push, Answer answer) {
    if (state_.stopping()) {
      answer(Error{push.request_id, ErrorCode::shutting_down,
                   "the server is stopping: push again once connected to a server"});
      return;
    }
    auto job = std::make_shared<PushJob>();
    job->ack.request_id = push.request_id;
    job->ack.outcomes.resize(push.changes.size());
    for (std::size_t i = 0; i < push.changes.size(); ++i) {
      WireChange& c = push.changes[i];
      if (c.origin != origin_) {
        job->ack.outcomes[i] = {ItemOutcome::reject, "the change's origin \"" + c.origin +
                                                         "\" is not this connection's origin \"" +
                                                         origin_ + "\""};
        ++state_.rejected_origin;
        continue;
      }
      job->changes.push_back(ServerChange{std::move(c.key), std::move(c.value), std::move(c.origin),
                                          c.version, static_cast<std::uint8_t>(c.encoding)});
      job->index.push_back(i);
    }
    if (job->changes.empty()) {
      answer(std::move(job->ack));
      return;
    }
    state_.begin_push();
    ++requests_in_progress_;
    auto apply = [self = shared_from_this(), job, answer = std::move(answer)]() mutable {
      std::vector<ServerOutcome> result;
      try {
        result = self->state_.core.push(job->changes, std::move(job->ahead));
      } catch (const std::exception& e) {
        result.clear();
        result.resize(job->changes.size(),
                      {ItemOutcome::retry, std::string("server: ") + e.what()});
      }
      if (result.size() != job->changes.size())
        result.assign(job->changes.size(), {ItemOutcome::retry, "server: outcome count mismatch"});
      asio::post(self->strand_, [self, job, result = std::move(result),
                                 answer = std::move(answer)]() mutable {
        for (std::size_t k = 0; k < result.size(); ++k) {
          job->ack.outcomes[job->index[k]] = {result[k].kind, std::move(result[k].reason)};
        }
        --self->requests_in_progress_;
        answer(std::move(job->ack));
        self->state_.end_push();  // after the Ack is queued: stop() closes behind it
        self->on_request_done();
      });
    };
    if (!state_.core.reads_ahead()) {
      asio::post(*state_.push_strand, std::move(apply));
      return;
    }
    // Read the push's rows first, on this session's read strand: that part of the work then runs
    // beside the push in progress instead of after it. The strand keeps this session's pushes
    // in order on their way to the push strand.
    asio::post(store_, [self = shared_from_this(), job, apply = std::move(apply)]() mutable {
      job->ahead = self->state_.core.read_ahead(job->changes);
      asio::post(*self->state_.push_strand, std::move(apply));
    });
  }

  // Reads a page on the store threads. With wait_ms > 0 and nothing new, the pull is held until
  // a commit (then read again) or its deadline (then answered with the empty page).
  void run_pull(const Pull& pull, Answer answer) {
    const auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(pull.wait_ms),
                                                          state_.options.max_long_poll);
    auto held = std::make_shared<HeldPull>(strand_, pull, std::move(answer),
                                           std::chrono::steady_clock::now() + wait);
    ++requests_in_progress_;
    fetch(held);
  }

  // On the strand, after a commit: held pulls read again.
  void wake_held_pulls() {
    auto woken = std::move(held_);
    held_.clear();
    for (auto& h : woken) {
      ++h->generation;  // the timer's handler, even if already queued, now does nothing
      h->timer.cancel();
      --state_.long_polls;
      fetch(h);
    }
  }

  // On the strand, when the server stops: every held pull is answered now, and none is held
  // again.
  void release_held_pulls() {
    no_more_holds_ = true;
    auto released = std::move(held_);
    held_.clear();
    for (auto& h : released) {
      ++h->generation;
      h->timer.cancel();
      --state_.long_polls;
      finish(h, Frame(std::move(h->last)));
    }
  }

  // Called on the strand whenever a push or pull was answered (sessions that pause reading
  // while many requests are in progress resume here).
  virtual void on_request_done() {}

  ServerState& state_;
  asio::any_io_executor strand_;
  asio::strand<asio::thread_pool::executor_type> store_;
  std::string transport_;
  std::string peer_;
  std::string origin_;      // the accepted origin (empty until known)
  std::string end_reason_;  // for the disconnect log line
  std::size_t requests_in_progress_ = 0;
  std::uint64_t id_ = 0;

 private:
  struct PushJob {
    Ack ack;
    std::vector<ServerChange> changes;
    std::vector<std::size_t> index;  // changes[k] answers ack.outcomes[index[k]]
    std::unique_ptr<ServerReadAhead> ahead;
  };

  struct HeldPull {
    HeldPull(const asio::any_io_executor& ex, const Pull& p, Answer a,
             std::chrono::steady_clock::time_point d)
        : timer(ex), pull(p), answer(std::move(a)), deadline(d) {}
    asio::steady_timer timer;
    Pull pull;
    Answer answer;
    std::chrono::steady_clock::time_point deadline;
    Changes last;                  // the empty page, answered when the wait ends
    std::uint64_t generation = 0;  // bumped whenever the hold ends
  };

  void fetch(std::shared_ptr<HeldPull> h) {
    const std::uint64_t commits_before = state_.commits();
    asio::post(store_, [self = shared_from_this(), h = std::move(h), commits_before]() mutable {
      Frame page = self->read_page(h->pull);
      asio::post(self->strand_,
                 [self, h = std::move(h), page = std::move(page), commits_before]() mutable {
                   self->on_page(std::move(h), std::move(page), commits_before);
                 });
    });
  }

  void on_page(std::shared_ptr<HeldPull> h, Frame page, std::uint64_t commits_before) {
    auto* changes = std::get_if<Changes>(&page);
    const bool nothing_new =
        changes != nullptr && changes->changes.empty() && !changes->more && !changes->reset;
    if (!nothing_new || no_more_holds_ || state_.stopping() ||
        std::chrono::steady_clock::now() >= h->deadline) {
      finish(h, std::move(page));
      return;
    }
    h->last = std::move(*changes);
    if (state_.commits() != commits_before) {  // a commit raced the read: read again
      fetch(std::move(h));
      return;
    }
    held_.push_back(h);
    ++state_.long_polls;
    const std::uint64_t generation = ++h->generation;
    h->timer.expires_at(h->deadline);
    h->timer.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), h, generation](const boost::system::error_code&) {
          if (h->generation != generation) return;  // woken or released meanwhile
          self->held_.remove(h);
          --self->state_.long_polls;
          ++h->generation;
          self->finish(h, Frame(std::move(h->last)));
        }));
  }

  void finish(const std::shared_ptr<HeldPull>& h, Frame page) {
    --requests_in_progress_;
    h->answer(std::move(page));
    on_request_done();
  }

  // On a store thread. Pages stay under max_page_bytes: a page that would not fit is read again
  // with fewer changes (the cursor then points after the last one sent, and `more` is set).
  Frame read_page(const Pull& pull) const {
    try {
      ServerPage page = state_.core.pull(pull.cursor, pull.limit);
      const std::size_t budget = state_.options.max_page_bytes;
      for (;;) {
        std::size_t bytes = 64;  // header, request id, cursor, flags, count
        std::size_t fit = 0;
        for (const auto& [key, value] : page.changes) {
          bytes += key.size() + value.size() + 21;  // two length varints and the encoding byte
          if (bytes > budget) break;
          ++fit;
        }
        if (fit == page.changes.size() || page.changes.size() <= 1) break;
        page = state_.core.pull(pull.cursor, std::max<std::size_t>(fit, 1));
      }
      Changes out;
      out.request_id = pull.request_id;
      out.changes.reserve(page.changes.size());
      for (auto& [key, value] : page.changes) {
        out.changes.push_back(PulledChange{std::move(key), ValueEncoding::full, std::move(value)});
      }
      out.next_cursor = page.cursor;
      out.more = page.more;
      out.reset = page.reset;
      return out;
    } catch (const std::exception& e) {
      return Error{pull.request_id, ErrorCode::internal,
                   std::string("server storage: ") + e.what()};
    }
  }

  std::list<std::shared_ptr<HeldPull>> held_;
  bool no_more_holds_ = false;
  bool logged_connect_ = false;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
