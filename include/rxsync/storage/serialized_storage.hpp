// rxsync/storage/serialized_storage.hpp - one lock around every call on a Storage.
//
// Several components may write one store from different threads (SyncService writes values from
// the caller's thread while its Outbox records acknowledgements on the scheduler's), and a
// Storage such as MemoryStorage is only as thread-safe as a standard container. SerializedStorage
// is a Storage that forwards to a referenced one under a mutex. It does not own the store, which
// must outlive it. A for_each visitor must not call back into the same SerializedStorage.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rxsync/core/concepts.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Store>
class SerializedStorage {
  static_assert(check_storage<Store>());

 public:
  explicit SerializedStorage(Store& store) noexcept : store_(store) {}
  SerializedStorage(const SerializedStorage&) = delete;
  SerializedStorage& operator=(const SerializedStorage&) = delete;

  void put(std::string_view key, std::string_view value) {
    std::lock_guard lock(mutex_);
    store_.put(key, value);
  }
  std::optional<std::string> get(std::string_view key) const {
    std::lock_guard lock(mutex_);
    return std::as_const(store_).get(key);
  }
  bool erase(std::string_view key) {
    std::lock_guard lock(mutex_);
    return store_.erase(key);
  }
  template <class F>
  void for_each(F&& visit) const {
    std::lock_guard lock(mutex_);
    std::as_const(store_).for_each(std::forward<F>(visit));
  }

 private:
  Store& store_;
  mutable std::mutex mutex_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
