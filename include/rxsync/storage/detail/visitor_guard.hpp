// rxsync/storage/detail/visitor_guard.hpp - detects a for_each visitor calling back into its
// storage.
//
// Durable storages hold their lock while visiting, so a visitor that calls put/get/erase on the
// same storage would deadlock (or invalidate the iteration). The guard turns that into a
// std::logic_error naming the call. Internal; thread-safe (one atomic thread id).
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

class VisitorGuard {
 public:
  // Marks the calling thread as visiting until the scope ends.
  class Scope {
   public:
    explicit Scope(std::atomic<std::thread::id>& visitor) noexcept : visitor_(visitor) {
      visitor_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { visitor_.store(std::thread::id{}, std::memory_order_relaxed); }

   private:
    std::atomic<std::thread::id>& visitor_;
  };

  explicit VisitorGuard(const char* storage_name) noexcept : storage_name_(storage_name) {}

  // Throws if the calling thread is inside this storage's for_each visitor.
  void check(const char* what) const {
    if (visitor_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      throw std::logic_error(std::string(storage_name_) + "::" + what +
                             " called from inside for_each's visitor");
    }
  }
  [[nodiscard]] Scope visiting() const noexcept { return Scope(visitor_); }

 private:
  const char* storage_name_;
  mutable std::atomic<std::thread::id> visitor_{};
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
