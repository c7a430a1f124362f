// rxsync/rx/subjects/subject_core.hpp - the observer list shared by every subject.
//
// Emission walks the list by index up to the size it had when the emission began, so an
// observer added during an emission is not called for it, and checks each node's disposed flag,
// so one removed during it is not called again. Removal only flags the node (an atomic store,
// safe from any thread); flagged nodes are pruned on the subject's thread when no emission is in
// progress. No allocation and no lock per on_next. Thread-safety comes from the Policy.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {
struct NoMutex {
  void lock() noexcept {}
  void unlock() noexcept {}
};
}  // namespace detail

// Subject policy for one thread (or external serialization): no locks at all.
struct SingleThreaded {
  using Mutex = detail::NoMutex;
};
// Subject policy for producers and subscribers on many threads: every call on the subject is
// serialized by a recursive mutex, which is held while observers run (so an observer may call
// back into the subject on its own thread, but must not wait for another thread that does).
struct Synchronized {
  using Mutex = std::recursive_mutex;
};

namespace detail {

template <class T, class Policy>
class SubjectCore : public std::enable_shared_from_this<SubjectCore<T, Policy>> {
 public:
  using Mutex = typename Policy::Mutex;

  class Node : public SubscriptionState {
   public:
    explicit Node(std::weak_ptr<SubjectCore> owner) : owner_(std::move(owner)) {}
    virtual void on_next(const T& v) = 0;
    virtual void on_error(std::exception_ptr e) = 0;
    virtual void on_completed() = 0;
    virtual void release() noexcept = 0;

   private:
    void dispose() noexcept override {
      if (auto owner = owner_.lock()) owner->garbage_.fetch_add(1, std::memory_order_release);
    }
    std::weak_ptr<SubjectCore> owner_;
  };

  SubjectCore() = default;
  SubjectCore(const SubjectCore&) = delete;
  SubjectCore& operator=(const SubjectCore&) = delete;
  virtual ~SubjectCore() {
    // Subscribers that never unsubscribed hold their node (to cancel it) and the node holds
    // them: drop the observers so that cycle cannot outlive the subject.
    for (auto& node : nodes_) node->release();
  }

  Mutex& mutex() const noexcept { return mutex_; }
  bool is_stopped() const noexcept { return stopped_; }

  void next(const T& v) {
    if (stopped_) return;
    Emitting guard{this};
    const std::size_t n = nodes_.size();
    for (std::size_t i = 0; i < n; ++i) {
      Node* node = nodes_[i].get();
      if (!node->is_disposed()) node->on_next(v);
    }
  }
  void fail(std::exception_ptr e) {
    if (stopped_) return;
    stopped_ = true;
    error_ = e;
    Emitting guard{this};
    const std::size_t n = nodes_.size();
    for (std::size_t i = 0; i < n; ++i) {
      Node* node = nodes_[i].get();
      if (node->is_disposed()) continue;
      node->on_error(e);
      node->unsubscribe();  // see complete()
    }
  }
  void complete() {
    if (stopped_) return;
    stopped_ = true;
    Emitting guard{this};
    const std::size_t n = nodes_.size();
    for (std::size_t i = 0; i < n; ++i) {
      Node* node = nodes_[i].get();
      if (node->is_disposed()) continue;
      node->on_completed();
      // Done with this observer. If an observer ended the subject from inside on_next, the
      // emission in progress skips disposed nodes, so no value follows the terminal event even
      // where the chain outlives its source (merge, delay), as RxJS drops it for closed ones.
      node->unsubscribe();
    }
  }

  // For a subscriber arriving after the end: sends the terminal event. False if still live.
  template <class O>
  bool deliver_terminal(O& obs) const {
    if (!stopped_) return false;
    if (error_) {
      obs.on_error(error_);
    } else {
      obs.on_completed();
    }
    return true;
  }

  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

  // Registers `obs`; its subscriber's DisposableList gets the node to flag on unsubscribe.
  template <class O>
  std::shared_ptr<Node> add_node(O obs) {
    prune_if_idle();
    auto node = std::make_shared<NodeImpl<O>>(this->weak_from_this(), std::move(obs));
    node->register_with_subscriber(Subscription(node));
    nodes_.push_back(node);
    return node;
  }

  std::size_t observer_count() {
    if (stopped_) return 0;
    prune_if_idle();
    std::size_t count = 0;
    for (const auto& node : nodes_)
      if (!node->is_disposed()) ++count;
    return count;
  }

 private:
  template <class O>
  class NodeImpl final : public Node {
   public:
    NodeImpl(std::weak_ptr<SubjectCore> owner, O obs)
        : Node(std::move(owner)), obs_(std::move(obs)) {}
    void register_with_subscriber(Subscription self) { obs_->add(std::move(self)); }
    void on_next(const T& v) override {
      // next() checked the node: an observer's unsubscribe and terminal events flag it too.
      if constexpr (requires { obs_->on_next_unguarded(v); }) {
        obs_->on_next_unguarded(v);
      } else {
        obs_->on_next(v);
      }
    }
    void on_error(std::exception_ptr e) override { obs_->on_error(std::move(e)); }
    void on_completed() override { obs_->on_completed(); }
    void release() noexcept override { obs_.reset(); }

   private:
    std::optional<O> obs_;
  };

  struct Emitting {
    SubjectCore* core;
    explicit Emitting(SubjectCore* c) noexcept : core(c) { ++core->depth_; }
    ~Emitting() {
      if (--core->depth_ == 0) core->prune_if_idle();
    }
    Emitting(const Emitting&) = delete;
    Emitting& operator=(const Emitting&) = delete;
  };

  void prune_if_idle() {
    if (depth_ != 0) return;
    if (stopped_) {
      auto dropped = std::move(nodes_);
      nodes_.clear();
      return;
    }
    if (garbage_.load(std::memory_order_acquire) == 0) return;
    garbage_.exchange(0, std::memory_order_acq_rel);
    erase_where(nodes_, [](const std::shared_ptr<Node>& n) { return n->is_disposed(); });
  }

  mutable Mutex mutex_;
  std::vector<std::shared_ptr<Node>> nodes_;
  std::atomic<std::size_t> garbage_{0};  // nodes flagged since the last prune
  std::size_t depth_ = 0;                // nested emissions in progress
  bool stopped_ = false;
  std::exception_ptr error_;
};

}  // namespace detail

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
