// Helpers for sync tests: a small CRDT (a grow-only set of strings, chat messages by id, with
// the codec hooks a SyncService needs to persist it) and a storage whose writes can fail.
#pragma once

#include <rxsync/storage/codec.hpp>
#include <rxsync/storage/memory_storage.hpp>

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rxsync_test {

struct GSet {
  std::set<std::string> items;

  void merge(const GSet& other) { items.insert(other.items.begin(), other.items.end()); }
  GSet with(std::string item) const {
    GSet copy = *this;
    copy.items.insert(std::move(item));
    return copy;
  }
  friend bool operator==(const GSet&, const GSet&) = default;

  void encode_to(rxsync::BinaryWriter& w) const {
    w.put_varint(items.size());
    for (const auto& s : items) w.put_string(s);
  }
  static GSet decode_from(rxsync::BinaryReader& r) {
    GSet out;
    const std::size_t n = r.get_count();
    for (std::size_t i = 0; i < n; ++i) out.items.insert(r.get_string());
    return out;
  }
};

// A MemoryStorage whose writes throw while `full` is set: every write, or only those whose key
// contains `failing` when that is not empty (to fail the outbox's writes and not the values').
struct FlakyStorage {
  rxsync::MemoryStorage inner;
  bool full = false;
  std::string failing;

  void put(std::string_view k, std::string_view v) {
    if (full && (failing.empty() || k.find(failing) != std::string_view::npos)) {
      throw std::runtime_error("No space left on device");
    }
    inner.put(k, v);
  }
  std::optional<std::string> get(std::string_view k) const { return inner.get(k); }
  bool erase(std::string_view k) { return inner.erase(k); }
  template <class F>
  void for_each(F&& f) const {
    inner.for_each(std::forward<F>(f));
  }
};

}  // namespace rxsync_test
