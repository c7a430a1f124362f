// A small CRDT for sync tests: a grow-only set of strings (chat messages by id), with the codec
// hooks (encode_to/decode_from) a SyncService needs to persist it.
#pragma once

#include <rxsync/storage/codec.hpp>

#include <set>
#include <string>

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

}  // namespace rxsync_test
