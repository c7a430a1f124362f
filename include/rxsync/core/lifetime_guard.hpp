// rxsync/core/lifetime_guard.hpp - turns "destroyed while still in use" into a clear error.
//
// A SyncService keeps a reference to its storage; destroying the storage first used to be a
// use-after-free found (if at all) by a sanitizer. Storages carry a LifetimeGuard; a component
// that keeps a reference takes a Lease for as long as it does; destroying a guard that still has
// leases prints who is still using it and what to do, then aborts, as std::thread does for a
// thread destroyed while joinable. Thread-safe. A storage of your own gets the same protection by
// exposing `LifetimeGuard& rxsync_lifetime_guard()`.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

class LifetimeGuard {
 public:
  // `what` names the guarded object in the message ("FileStorage"); `user` names what leases it.
  explicit LifetimeGuard(const char* what) noexcept : what_(what) {}
  // A copy (or the target of a move) is a new object: nothing uses it yet.
  LifetimeGuard(const LifetimeGuard& other) noexcept : what_(other.what_) {}
  LifetimeGuard& operator=(const LifetimeGuard&) noexcept { return *this; }
  ~LifetimeGuard() {
    const unsigned n = leases_.load();
    if (n != 0) {
      std::fprintf(stderr,
                   "rxsync: a %s was destroyed while %u %s still used it. Destroy (or stop "
                   "using) them first: declare the storage before the services that use it.\n",
                   what_, n, n == 1 ? "component (a SyncService?)" : "components");
      std::fflush(stderr);
      std::abort();
    }
  }

  // Held by whoever keeps a reference to the guarded object. Movable.
  class Lease {
   public:
    Lease() noexcept = default;
    explicit Lease(const LifetimeGuard& g) noexcept : guard_(&g) { guard_->leases_.fetch_add(1); }
    Lease(Lease&& o) noexcept : guard_(std::exchange(o.guard_, nullptr)) {}
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        release();
        guard_ = std::exchange(o.guard_, nullptr);
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }

   private:
    void release() noexcept {
      if (guard_ != nullptr) guard_->leases_.fetch_sub(1);
      guard_ = nullptr;
    }
    const LifetimeGuard* guard_ = nullptr;
  };

  Lease lease() const noexcept { return Lease(*this); }
  unsigned leases() const noexcept { return leases_.load(); }

 private:
  const char* what_;
  mutable std::atomic<unsigned> leases_{0};
};

// A lease on `object`'s guard when it has one (`rxsync_lifetime_guard()`), else an empty lease.
template <class T>
LifetimeGuard::Lease lease_lifetime(T& object) {
  if constexpr (requires { object.rxsync_lifetime_guard(); }) {
    return object.rxsync_lifetime_guard().lease();
  } else {
    return {};
  }
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
