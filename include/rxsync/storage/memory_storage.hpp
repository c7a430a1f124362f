// rxsync/storage/memory_storage.hpp - a Storage that lives only in memory.
//
// For tests, caches and state that may be rebuilt after a restart: it satisfies the Storage
// concept with the same observable behaviour as FileStorage and SqliteStorage, without the I/O.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/lifetime_guard.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// MemoryStorage's members, in a class template so that their bodies (and the map code they
// instantiate) are compiled only in a program that uses the storage, not in every one that
// includes this header.
template <class = void>
class MemoryStorageImpl {
 public:
  MemoryStorageImpl() = default;
  MemoryStorageImpl(const MemoryStorageImpl& other) : map_(other.map_) {}
  MemoryStorageImpl(MemoryStorageImpl&& other) noexcept : map_(std::move(other.map_)) {}
  MemoryStorageImpl& operator=(const MemoryStorageImpl& other) {
    if (this != &other) {
      check_not_visiting("operator=");
      map_ = other.map_;
    }
    return *this;
  }
  MemoryStorageImpl& operator=(MemoryStorageImpl&& other) noexcept {
    map_ = std::move(other.map_);
    return *this;
  }
  ~MemoryStorageImpl() = default;

  // SyncService takes a lease: destroying the storage first is a clear error, not a crash later.
  const LifetimeGuard& rxsync_lifetime_guard() const noexcept { return lifetime_; }

  // Inserts or overwrites. Looks the key up as a string_view, so an overwrite allocates nothing
  // for the key and reuses the value's buffer when it is large enough.
  void put(std::string_view key, std::string_view value) {
    check_not_visiting("put");
    auto it = map_.lower_bound(key);
    if (it != map_.end() && std::string_view(it->first) == key) {
      it->second.assign(value.data(), value.size());
    } else {
      map_.emplace_hint(it, std::piecewise_construct, std::forward_as_tuple(key),
                        std::forward_as_tuple(value));
    }
  }

  std::optional<std::string> get(std::string_view key) const {
    auto it = map_.find(key);
    if (it == map_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  bool contains(std::string_view key) const { return map_.find(key) != map_.end(); }

  // Returns whether the key was present.
  bool erase(std::string_view key) {
    check_not_visiting("erase");
    auto it = map_.find(key);
    if (it == map_.end()) {
      return false;
    }
    map_.erase(it);
    return true;
  }

  // Calls visit(key, value) for every entry in key order. The views are valid during the call
  // only. Modifying this storage from inside visit throws std::logic_error instead of
  // invalidating the iteration under its feet.
  template <class F>
  void for_each(F&& visit) const {
    visiting_.fetch_add(1, std::memory_order_relaxed);
    struct Leave {
      std::atomic<std::size_t>& n;
      ~Leave() { n.fetch_sub(1, std::memory_order_relaxed); }
    } leave{visiting_};
    for (const auto& [k, v] : map_) {
      visit(std::string_view(k), std::string_view(v));
    }
  }

  void clear() {
    check_not_visiting("clear");
    map_.clear();
  }
  std::size_t size() const noexcept { return map_.size(); }
  bool empty() const noexcept { return map_.empty(); }

 private:
  void check_not_visiting(const char* what) const {
    if (visiting_.load(std::memory_order_relaxed) != 0) {
      throw std::logic_error(std::string("MemoryStorage::") + what +
                             " called from inside for_each (modifying a storage while visiting "
                             "it would invalidate the iteration)");
    }
  }

  std::map<std::string, std::string, std::less<>> map_;
  // Counts for_each calls in progress; atomic so that concurrent const for_each calls are safe.
  mutable std::atomic<std::size_t> visiting_{0};
  LifetimeGuard lifetime_{"MemoryStorage"};
};

}  // namespace detail

// An ordered byte-string map behind the Storage interface. Keys and values are arbitrary bytes
// (NUL included); for_each visits keys in ascending unsigned-byte order, the same order as
// FileStorage and SqliteStorage, so code tested on one behaves the same on the others.
// Thread-safety: like a standard container. Concurrent const calls (get, contains, for_each,
// size) are safe; any put/erase/clear needs external synchronisation against every other call.
class MemoryStorage : public detail::MemoryStorageImpl<> {};

static_assert(check_storage<MemoryStorage>());

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
