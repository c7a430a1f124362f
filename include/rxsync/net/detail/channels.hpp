// rxsync/net/detail/channels.hpp - the channel router of SyncServer: subscriptions, publish
// fan-out, and requests routed to one subscriber with a server-assigned reference and a timeout.
//
// Threading: every member of ChannelRouter may be called from any thread (one mutex). Frames are
// handed to peers after the mutex is released, through ChannelPeer::deliver(), which only queues
// them on the peer's own strand. Request timers run on the requester's executor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rxsync/net/protocol.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

// A connection that takes part in channels (the WebSocket sessions).
class ChannelPeer {
 public:
  virtual ~ChannelPeer() = default;
  // Queues one encoded frame for the peer. Thread-safe; a closed peer drops it.
  virtual void deliver(std::string frame) = 0;
};

class ChannelRouter {
 public:
  ChannelRouter(std::atomic<std::uint64_t>& messages, std::atomic<std::uint64_t>& timeouts)
      : messages_(messages), timeouts_(timeouts) {}
  ChannelRouter(const ChannelRouter&) = delete;
  ChannelRouter& operator=(const ChannelRouter&) = delete;

  void subscribe(const std::string& channel, std::uint64_t peer_id,
                 std::weak_ptr<ChannelPeer> peer) {
    std::lock_guard lock(mutex_);
    channels_[channel].insert_or_assign(peer_id, std::move(peer));
    channels_of_[peer_id].insert(channel);
  }

  void unsubscribe(const std::string& channel, std::uint64_t peer_id) {
    std::lock_guard lock(mutex_);
    drop_subscription_locked(channel, peer_id);
    if (auto it = channels_of_.find(peer_id); it != channels_of_.end()) {
      it->second.erase(channel);
      if (it->second.empty()) channels_of_.erase(it);
    }
  }

  // A Message (request_ref 0) to every subscriber of the channel but the sender.
  void publish(const Publish& p, std::uint64_t from_id, const std::string& from_origin) {
    std::vector<std::shared_ptr<ChannelPeer>> targets;
    {
      std::lock_guard lock(mutex_);
      if (auto it = channels_.find(p.channel); it != channels_.end()) {
        for (const auto& [id, weak] : it->second) {
          if (id == from_id) continue;
          if (auto peer = weak.lock()) targets.push_back(std::move(peer));
        }
      }
    }
    if (targets.empty()) return;
    const std::string frame = encode_frame(Message{p.channel, p.type, p.payload, from_origin, 0});
    for (auto& peer : targets) peer->deliver(frame);
    messages_ += targets.size();
  }

  // Routes the request to one subscriber (round robin, never the requester itself), or answers
  // Error{no_responder} at once. The answer (Response, or Error{timeout} after `timeout`) goes
  // to `requester`.
  void request(const Request& r, std::uint64_t from_id, const std::string& from_origin,
               std::weak_ptr<ChannelPeer> requester, boost::asio::any_io_executor timer_executor,
               std::chrono::milliseconds timeout) {
    std::shared_ptr<ChannelPeer> responder;
    std::uint64_t ref = 0;
    // Outside the lock: dropping the last reference to a peer runs its destructor, which comes
    // back here through remove_peer().
    std::vector<std::pair<std::uint64_t, std::shared_ptr<ChannelPeer>>> candidates;
    {
      std::lock_guard lock(mutex_);
      if (auto it = channels_.find(r.channel); it != channels_.end()) {
        for (const auto& [id, weak] : it->second) {
          if (id == from_id) continue;
          if (auto peer = weak.lock()) candidates.emplace_back(id, std::move(peer));
        }
        if (!candidates.empty()) {
          std::size_t& turn = round_robin_[r.channel];
          auto& [responder_id, peer] = candidates[turn++ % candidates.size()];
          responder = peer;
          ref = ++next_ref_;
          auto timer = std::make_shared<boost::asio::steady_timer>(timer_executor, timeout);
          pending_.emplace(ref, Pending{r.request_id, requester, responder_id, timer});
          timer->async_wait([this, ref](const boost::system::error_code& ec) {
            if (!ec) expire(ref);
          });
        }
      }
    }
    if (!responder) {
      if (auto peer = requester.lock()) {
        peer->deliver(encode_frame(Error{r.request_id, ErrorCode::no_responder,
                                         "nobody subscribes to channel \"" + r.channel + "\""}));
      }
      return;
    }
    responder->deliver(encode_frame(Message{r.channel, r.type, r.payload, from_origin, ref}));
    ++messages_;
  }

  // Passes a Reply on as the Response to its request. False when the reference is unknown (the
  // request timed out or was answered) or the replier is not the one the request went to.
  bool reply(const Reply& r, std::uint64_t from_id) {
    Pending p;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(r.request_ref);
      if (it == pending_.end() || it->second.responder_id != from_id) return false;
      p = std::move(it->second);
      pending_.erase(it);
    }
    cancel(std::move(p.timer));
    if (auto peer = p.requester.lock()) {
      peer->deliver(encode_frame(Response{p.request_id, r.type, r.payload, r.is_error}));
    }
    return true;
  }

  // A peer is gone: its subscriptions end, and requests it was to answer fail at once with
  // no_responder rather than waiting for their timeout.
  void remove_peer(std::uint64_t peer_id) {
    std::vector<Pending> orphaned;
    {
      std::lock_guard lock(mutex_);
      if (auto it = channels_of_.find(peer_id); it != channels_of_.end()) {
        for (const std::string& channel : it->second) drop_subscription_locked(channel, peer_id);
        channels_of_.erase(it);
      }
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.responder_id == peer_id) {
          orphaned.push_back(std::move(it->second));
          it = pending_.erase(it);
        } else {
          ++it;
        }
      }
    }
    fail_all(orphaned, ErrorCode::no_responder, "the subscriber answering it disconnected");
  }

  // The server stops: every pending request is answered Error{shutting_down}.
  void shutdown() {
    std::vector<Pending> all;
    {
      std::lock_guard lock(mutex_);
      for (auto& [ref, p] : pending_) all.push_back(std::move(p));
      pending_.clear();
    }
    fail_all(all, ErrorCode::shutting_down, "the server is stopping");
  }

  std::size_t pending_requests() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

 private:
  struct Pending {
    std::uint64_t request_id = 0;
    std::weak_ptr<ChannelPeer> requester;
    std::uint64_t responder_id = 0;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };

  // Timers are not safe to touch from two threads: the cancel runs on the timer's executor,
  // where its wait was started.
  static void cancel(std::shared_ptr<boost::asio::steady_timer> timer) {
    auto ex = timer->get_executor();
    boost::asio::post(ex, [t = std::move(timer)] { t->cancel(); });
  }

  void drop_subscription_locked(const std::string& channel, std::uint64_t peer_id) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    it->second.erase(peer_id);
    if (it->second.empty()) {
      channels_.erase(it);
      round_robin_.erase(channel);
    }
  }

  void expire(std::uint64_t ref) {
    Pending p;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(ref);
      if (it == pending_.end()) return;  // answered just before the timer fired
      p = std::move(it->second);
      pending_.erase(it);
    }
    ++timeouts_;
    if (auto peer = p.requester.lock()) {
      peer->deliver(encode_frame(
          Error{p.request_id, ErrorCode::timeout, "no reply within the request's timeout"}));
    }
  }

  static void fail_all(std::vector<Pending>& list, ErrorCode code, const std::string& why) {
    for (Pending& p : list) {
      cancel(std::move(p.timer));
      if (auto peer = p.requester.lock())
        peer->deliver(encode_frame(Error{p.request_id, code, why}));
    }
  }

  std::atomic<std::uint64_t>& messages_;
  std::atomic<std::uint64_t>& timeouts_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::uint64_t, std::weak_ptr<ChannelPeer>>> channels_;
  std::map<std::uint64_t, std::set<std::string>> channels_of_;
  std::map<std::string, std::size_t> round_robin_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_ref_ = 0;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
