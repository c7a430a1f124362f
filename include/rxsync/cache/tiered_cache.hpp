// rxsync/cache/tiered_cache.hpp - a memory LRU in front of a persistent Storage.
//
// After CacheLib's two tiers: reads go to the LruCache first, then to the Storage (a hit there
// is promoted into memory with its remaining TTL); writes go to memory and, when the persist
// predicate agrees, through to storage. TTL (expire after write) is honoured in both tiers: the
// storage record carries its absolute expiry on the scheduler's clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/cache/lru_cache.hpp>
#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/cache/tiered_cache.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// What the persist predicate sees about an entry.
struct CacheEntryInfo {
  std::uint32_t hits = 0;  // memory-tier hits since it was put or promoted
  Duration cost{0};        // what the caller said computing the value took (put's argument)
};

// Write-through: every put reaches storage.
struct PersistAlways {
  template <class K, class V>
  bool operator()(const K&, const V&, const CacheEntryInfo&) const noexcept {
    return true;
  }
};

// The classic rule: persist an entry hit more than `min_hits` times or that was expensive to
// compute (cost >= min_cost); others stay in memory only.
struct PersistHotOrExpensive {
  std::uint32_t min_hits = 5;
  Duration min_cost = std::chrono::seconds(1);
  template <class K, class V>
  bool operator()(const K&, const V&, const CacheEntryInfo& info) const noexcept {
    return info.hits > min_hits || info.cost >= min_cost;
  }
};

struct TieredCacheOptions {
  std::size_t memory_capacity = 1024;  // entries in the memory tier (>= 1)
  Duration ttl{0};                     // expire after write, both tiers; 0 = never
  std::string key_prefix;              // namespaces this cache's records inside the storage
};

struct StorageTierStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t writes = 0;
  std::uint64_t expired = 0;        // records found past their TTL (and erased)
  std::uint64_t decode_errors = 0;  // unreadable records (erased, counted as misses)
};

struct TieredCacheStats {
  CacheStats memory;
  StorageTierStats storage;
};

// Keys go to storage as key_prefix + Codec::encode(key); values as [varint expiry ns + 1, or 0
// for none][Codec::encode(value)]. Not thread-safe (like LruCache); `storage` and `clock` must
// outlive the cache.
// Default template arguments: in <rxsync/fwd/cache/tiered_cache.hpp>.
template <class K, class V, class Store, class Sched, class Codec, class Persist, class Hash>
class TieredCache {
  static_assert(check_storage<Store>());
  static_assert(check_codec<Codec, K>());
  static_assert(check_codec<Codec, V>());
  static_assert(SchedulerHasNow<Sched>, "rxsync: TieredCache needs a clock with `TimePoint now()`");

  struct Entry {
    V value;
    CacheEntryInfo info;
    bool persisted = false;
    TimePoint expires_at = TimePoint::max();
  };

 public:
  TieredCache(Store& storage, Sched& clock, TieredCacheOptions options = {}, Persist persist = {})
      : store_(storage),
        clock_(clock),
        opt_(std::move(options)),
        persist_(std::move(persist)),
        memory_(check_capacity(opt_.memory_capacity), CacheTtl{check_ttl(opt_.ttl), Duration{0}},
                clock) {}

  // Memory first, then storage (promoting a hit). nullopt on a miss in both.
  std::optional<V> get(const K& key) {
    if (Entry* e = memory_.get(key)) {
      ++e->info.hits;
      if (!e->persisted) maybe_persist(key, *e);
      return e->value;
    }
    const std::string skey = storage_key(key);
    auto bytes = store_.get(skey);
    if (!bytes) {
      ++storage_.misses;
      return std::nullopt;
    }
    std::optional<Record> rec = decode_record(*bytes);
    if (!rec) {
      ++storage_.decode_errors;
      ++storage_.misses;
      store_.erase(skey);
      return std::nullopt;
    }
    if (rec->expires_at <= clock_.now()) {
      ++storage_.expired;
      ++storage_.misses;
      store_.erase(skey);
      return std::nullopt;
    }
    ++storage_.hits;
    Entry& e = memory_.put_until(key, Entry{std::move(rec->value), {}, true, rec->expires_at},
                                 rec->expires_at);
    return e.value;
  }

  // Stores in memory and, if the persist predicate agrees, in storage. `cost` is how long the
  // value took to compute (for predicates such as PersistHotOrExpensive).
  void put(const K& key, V value, Duration cost = Duration{0}) {
    const TimePoint expires = opt_.ttl > Duration::zero()
                                  ? detail::add_saturated(clock_.now(), opt_.ttl)
                                  : TimePoint::max();
    Entry& e = memory_.put(key, Entry{std::move(value), CacheEntryInfo{0, cost}, false, expires});
    maybe_persist(key, e);
    // A stale persisted copy must not outlive a newer value that stays in memory only.
    if (!e.persisted) store_.erase(storage_key(key));
  }

  // Removes from both tiers. Returns whether either held it.
  bool erase(const K& key) {
    const bool in_memory = memory_.erase(key);
    const bool in_storage = store_.erase(storage_key(key));
    return in_memory || in_storage;
  }

  bool contains_in_memory(const K& key) const { return memory_.contains(key); }

  // Drops expired records of this cache from storage (O(records)) and from memory. Only
  // records that decode in full are judged: anything else under the prefix is counted in
  // decode_errors and left alone, since with a short or empty key_prefix on a shared store it
  // may be another component's data (get() of such a key still drops it).
  std::size_t purge_expired() {
    std::vector<std::string> doomed;
    const TimePoint now = clock_.now();
    store_.for_each([&](std::string_view k, std::string_view v) {
      if (k.substr(0, opt_.key_prefix.size()) != opt_.key_prefix) return;
      const std::optional<Record> rec = decode_record(v);
      if (!rec) {
        ++storage_.decode_errors;
      } else if (rec->expires_at <= now) {
        doomed.emplace_back(k);
      }
    });
    for (const auto& k : doomed) store_.erase(k);
    storage_.expired += doomed.size();
    return doomed.size() + memory_.purge_expired();
  }

  TieredCacheStats stats() const { return TieredCacheStats{memory_.stats(), storage_}; }
  LruCache<K, Entry, Hash>& memory_tier() noexcept { return memory_; }

 private:
  struct Record {
    V value;
    TimePoint expires_at;
  };

  static std::size_t check_capacity(std::size_t c) {
    if (c == 0)
      throw std::invalid_argument("TieredCacheOptions.memory_capacity must be >= 1, got 0");
    return c;
  }
  static Duration check_ttl(Duration ttl) {
    if (ttl < Duration::zero()) {
      throw std::invalid_argument("TieredCacheOptions.ttl must be >= 0, got " +
                                  std::to_string(ttl.count()) + "ns");
    }
    return ttl;
  }

  std::string storage_key(const K& key) const {
    return opt_.key_prefix + std::string(Codec::encode(key));
  }

  void maybe_persist(const K& key, Entry& e) {
    if (!persist_(key, std::as_const(e.value), std::as_const(e.info))) return;
    BinaryWriter w;
    w.put_varint(e.expires_at == TimePoint::max()
                     ? 0
                     : static_cast<std::uint64_t>(e.expires_at.time_since_epoch().count()) + 1);
    w.put_raw(Codec::encode(e.value));
    store_.put(storage_key(key), std::move(w).take());
    e.persisted = true;
    ++storage_.writes;
  }

  static std::optional<Record> decode_record(std::string_view bytes) {
    try {
      BinaryReader r(bytes);
      const std::uint64_t x = r.get_varint();
      const TimePoint expiry =
          x == 0 ? TimePoint::max() : TimePoint(Duration(static_cast<Duration::rep>(x - 1)));
      const std::size_t pos = r.position();
      return Record{Codec::decode(bytes.substr(pos), static_cast<V*>(nullptr)), expiry};
    } catch (const DecodeError&) {
      return std::nullopt;
    }
  }

  Store& store_;
  Sched& clock_;
  TieredCacheOptions opt_;
  Persist persist_;
  LruCache<K, Entry, Hash> memory_;
  StorageTierStats storage_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
