// rxsync/sync/outbox.hpp - a durable queue of unsynced edits, one record per key.
//
// put() is durable when it returns; mark_synced() removes a record only if the version it names
// is still current, so an edit made while an older version was in flight is never lost. On
// construction every record is recovered from storage; a corrupt one is reported, left in place
// untouched and skipped. Thread-safe (one mutex, held across storage calls).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/function.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/sync/outbox.hpp>
#include <rxsync/storage/detail/crc32c.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct OutboxOptions {
  // Namespaces the outbox's keys so one Storage can hold several outboxes and other data.
  std::string prefix = "outbox/";
  // Versions are reserved in blocks of this size: one extra durable write per block keeps them
  // increasing across restarts even after every record was synced and removed.
  std::uint64_t version_block = 1024;
};

struct OutboxCorruptRecord {
  std::string storage_key;  // the raw key in the Storage
  std::string reason;
};

struct OutboxRecoveryReport {
  std::size_t recovered = 0;
  std::vector<OutboxCorruptRecord> corrupt;  // skipped, left in storage for inspection
};

// Default template arguments: in <rxsync/fwd/sync/outbox.hpp>.
template <class Key, class Value, class Store, class Codec, class Hash>
class Outbox {
  static_assert(check_storage<Store>());
  static_assert(check_codec<Codec, Key>());
  static_assert(check_codec<Codec, Value>());

 public:
  struct Record {
    Key key;
    Value value;
    std::uint64_t version = 0;   // grows with every put(), across restarts too
    std::uint32_t attempts = 0;  // failures recorded for this version
    std::string last_error;
    TimePoint enqueued_at{};  // first unsynced put of this key (the clock's time; {} if none)
    bool failed = false;      // gave up (e.g. by a sweeper's retry cap); kept, not deleted
  };

  explicit Outbox(Store& storage, OutboxOptions options = {})
      : storage_(storage), options_(std::move(options)) {
    // A block is one durable write per that many edits; beyond 2^32 it only risks overflow.
    if (options_.version_block == 0 || options_.version_block > (std::uint64_t{1} << 32)) {
      throw std::invalid_argument("OutboxOptions.version_block must be in [1, 2^32], got " +
                                  std::to_string(options_.version_block));
    }
    recover();
  }
  // Records the scheduler's now() as each record's enqueue time. Not constrained on Sched: a
  // type that is not a Scheduler gets check_scheduler's message, not "no matching constructor".
  template <class Sched>
  Outbox(Store& storage, Sched& clock, OutboxOptions options = {})
      : Outbox(storage, std::move(options)) {
    static_assert(check_scheduler<Sched>());
    if constexpr (Scheduler<Sched>) clock_ = [&clock] { return clock.now(); };
  }

  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `value` as the key's pending edit (replacing an older unsynced one) and returns its
  // version. Durable when it returns; if the storage throws, nothing changed.
  std::uint64_t put(const Key& key, Value value) {
    std::lock_guard lock(mutex_);
    const std::uint64_t version = take_version_locked();
    Record rec{key, std::move(value), version, 0, {}, clock_ ? clock_() : TimePoint{}, false};
    auto it = records_.find(key);
    if (it != records_.end()) rec.enqueued_at = it->second.enqueued_at;
    write_locked(rec);
    records_.insert_or_assign(key, std::move(rec));
    return version;
  }

  std::optional<Record> get(const Key& key) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(key);
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }

  // Whether the key has an unsynced record (no copy of it).
  bool contains(const Key& key) const {
    std::lock_guard lock(mutex_);
    return records_.find(key) != records_.end();
  }
  // Whether `version` is still the key's current unsynced version (no copy of the record).
  bool holds(const Key& key, std::uint64_t version) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(key);
    return it != records_.end() && it->second.version == version;
  }

  // Removes the record if `version` is still its current version. False (and nothing removed)
  // when a newer edit replaced it or the key is not pending.
  bool mark_synced(const Key& key, std::uint64_t version) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(key);
    if (it == records_.end() || it->second.version != version) return false;
    storage_.erase(storage_key(key));
    records_.erase(it);
    return true;
  }

  // Counts a failed attempt to sync `version` and keeps the error. False if stale.
  bool record_failure(const Key& key, std::uint64_t version, std::string error) {
    return update_locked_if_current(key, version, [&](Record& r) {
      ++r.attempts;
      r.last_error = std::move(error);
    });
  }

  // Marks `version` as given up (kept in storage, reported by pending()). False if stale.
  bool mark_failed(const Key& key, std::uint64_t version, std::string error) {
    return update_locked_if_current(key, version, [&](Record& r) {
      r.failed = true;
      r.last_error = std::move(error);
    });
  }

  // Every pending record, oldest first (by enqueue time, then version).
  std::vector<Record> pending() const {
    std::vector<Record> out;
    {
      std::lock_guard lock(mutex_);
      out.reserve(records_.size());
      for (const auto& [key, rec] : records_) out.push_back(rec);
    }
    std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
      return a.enqueued_at != b.enqueued_at ? a.enqueued_at < b.enqueued_at : a.version < b.version;
    });
    return out;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
  }

  const OutboxRecoveryReport& recovery_report() const noexcept { return report_; }

 private:
  static constexpr std::uint8_t kFormat = 1;

  template <class F>
  bool update_locked_if_current(const Key& key, std::uint64_t version, F change) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(key);
    if (it == records_.end() || it->second.version != version) return false;
    Record updated = it->second;
    change(updated);
    write_locked(updated);
    it->second = std::move(updated);
    return true;
  }

  std::string storage_key(const Key& key) const {
    return options_.prefix + "r/" + Codec::encode(key);
  }
  std::string meta_key() const { return options_.prefix + "meta"; }

  std::uint64_t take_version_locked() {
    if (next_version_ >= reserved_until_) {
      // Saturated: a wrapped reservation would let a restart reuse versions.
      const std::uint64_t until = next_version_ > UINT64_MAX - options_.version_block
                                      ? UINT64_MAX
                                      : next_version_ + options_.version_block;
      storage_.put(meta_key(), DefaultCodec::encode(until));
      reserved_until_ = until;
    }
    return next_version_++;
  }

  // Record layout: format u8 | version varint | attempts varint | failed u8 | enqueued_at zigzag |
  // last_error bytes | value bytes | crc32c (fixed32) of everything before it.
  void write_locked(const Record& r) {
    BinaryWriter w;
    w.put_u8(kFormat);
    w.put_varint(r.version);
    w.put_varint(r.attempts);
    w.put_bool(r.failed);
    w.put_signed(r.enqueued_at.time_since_epoch().count());
    w.put_bytes(r.last_error);
    w.put_bytes(Codec::encode(r.value));
    std::string bytes = std::move(w).take();
    BinaryWriter tail;
    tail.put_fixed(crc32c(bytes));
    bytes += std::move(tail).take();
    storage_.put(storage_key(r.key), bytes);
  }

  Record read_record(std::string_view encoded_key, std::string_view bytes) const {
    if (bytes.size() < 4) throw DecodeError("outbox record shorter than its checksum");
    const std::string_view body = bytes.substr(0, bytes.size() - 4);
    BinaryReader crc_reader(bytes.substr(bytes.size() - 4));
    if (crc_reader.get_fixed<std::uint32_t>() != crc32c(body)) {
      throw DecodeError("outbox record checksum mismatch");
    }
    BinaryReader r(body);
    if (const auto format = r.get_u8(); format != kFormat) {
      throw DecodeError("unknown outbox record format " + std::to_string(format));
    }
    Record rec{
        Codec::decode(encoded_key, static_cast<Key*>(nullptr)), Value{}, 0, 0, {}, {}, false};
    rec.version = r.get_varint();
    const std::uint64_t attempts = r.get_varint();
    rec.attempts = attempts > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(attempts);
    rec.failed = r.get_bool();
    rec.enqueued_at = TimePoint(Duration(r.get_signed()));
    rec.last_error = r.get_string();
    rec.value = Codec::decode(r.get_bytes(), static_cast<Value*>(nullptr));
    r.expect_end("outbox record");
    return rec;
  }

  void recover() {
    const std::string record_prefix = options_.prefix + "r/";
    const std::string meta = meta_key();
    std::uint64_t max_version = 0;
    bool any = false;
    storage_.for_each([&](std::string_view k, std::string_view v) {
      if (k == meta) {
        try {
          reserved_until_ = std::max(reserved_until_,
                                     DefaultCodec::decode(v, static_cast<std::uint64_t*>(nullptr)));
        } catch (const DecodeError& e) {
          report_.corrupt.push_back({std::string(k), e.what()});
        }
        return;
      }
      if (k.substr(0, record_prefix.size()) != record_prefix) return;
      try {
        Record rec = read_record(k.substr(record_prefix.size()), v);
        max_version = std::max(max_version, rec.version);
        any = true;
        records_.insert_or_assign(rec.key, std::move(rec));
        ++report_.recovered;
      } catch (const std::exception& e) {  // DecodeError, or a user codec's own exception
        report_.corrupt.push_back({std::string(k), e.what()});
      }
    });
    // Versions handed out before a crash are all below the reserved mark (written before use).
    next_version_ = std::max(reserved_until_, any ? max_version + 1 : 1);
    reserved_until_ = next_version_;  // forces a fresh reservation at the first put
  }

  Store& storage_;
  const OutboxOptions options_;
  MoveOnlyFunction<TimePoint()> clock_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Record, Hash> records_;
  std::uint64_t next_version_ = 1;
  std::uint64_t reserved_until_ = 0;
  OutboxRecoveryReport report_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
