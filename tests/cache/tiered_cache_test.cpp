#include <rxsync/cache/tiered_cache.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>

#include <cstdint>
#include <string>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::MemoryStorage;
using rxsync::TieredCache;
using rxsync::TieredCacheOptions;
using rxsync::VirtualTimeScheduler;

namespace {
TieredCacheOptions opts(std::size_t cap, rxsync::Duration ttl) {
  TieredCacheOptions o;
  o.memory_capacity = cap;
  o.ttl = ttl;
  o.key_prefix = "t/";
  return o;
}
}  // namespace

TEST_CASE("TieredCache writes through and reads through with promotion") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler> c(store, s,
                                                                               opts(2, 0s));
  c.put("a", "alpha");
  c.put("b", "beta");
  c.put("c", "gamma");  // evicts "a" from memory; storage keeps all three
  CHECK(store.size() == 3);
  CHECK(store.contains("t/a"));
  CHECK_FALSE(c.contains_in_memory("a"));
  CHECK(c.get("a") == "alpha");  // storage hit, promoted
  CHECK(c.contains_in_memory("a"));
  CHECK(c.get("a") == "alpha");  // memory hit
  CHECK_FALSE(c.get("zzz").has_value());
  const auto st = c.stats();
  CHECK(st.memory.hits == 1);
  CHECK(st.memory.misses == 2);
  CHECK(st.storage.hits == 1);
  CHECK(st.storage.misses == 1);
  CHECK(st.storage.writes == 3);
  CHECK(c.erase("a"));
  CHECK_FALSE(store.contains("t/a"));
  CHECK_FALSE(c.erase("a"));
}

TEST_CASE("TieredCache honours the TTL in both tiers and keeps the remaining TTL on promotion") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  TieredCache<std::string, int, MemoryStorage, VirtualTimeScheduler> c(store, s, opts(1, 10s));
  c.put("x", 1);
  s.advance_by(4s);
  c.put("y", 2);  // pushes x out of memory
  s.advance_by(4s);
  CHECK(c.get("x") == 1);  // t = 8: from storage, 2 s left
  s.advance_by(2s);
  CHECK_FALSE(c.get("x").has_value());  // t = 10: expired in memory, and in storage
  CHECK(c.stats().storage.expired == 1);
  CHECK_FALSE(store.contains("t/x"));
  CHECK(store.contains("t/y"));
  s.advance_by(4s);  // y expired at 14
  CHECK(c.purge_expired() == 1);
  CHECK(store.size() == 0);
}

TEST_CASE("TieredCache persists only what the predicate selects, on put or after hits") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  using Cache = TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler,
                            rxsync::DefaultCodec, rxsync::PersistHotOrExpensive>;
  Cache c(store, s, opts(10, 0s), rxsync::PersistHotOrExpensive{5, 2s});
  c.put("cheap", "v");
  c.put("expensive", "v", 3s);
  CHECK_FALSE(store.contains("t/cheap"));
  CHECK(store.contains("t/expensive"));
  for (int i = 0; i < 5; ++i) c.get("cheap");
  CHECK_FALSE(store.contains("t/cheap"));
  c.get("cheap");  // the 6th hit: more than 5
  CHECK(store.contains("t/cheap"));
  // A newer value that is not persisted removes the stale stored one.
  c.put("expensive", "new", 0s);
  CHECK_FALSE(store.contains("t/expensive"));
  CHECK(c.get("expensive") == "new");
}

TEST_CASE("TieredCache treats an unreadable stored record as a miss and removes it") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  TieredCache<std::string, std::int64_t, MemoryStorage, VirtualTimeScheduler> c(store, s,
                                                                                opts(4, 0s));
  store.put("t/bad", std::string("\x00\x01\x02", 3));  // 2 bytes of value: not an int64
  store.put("t/torn", std::string("\xff", 1));         // truncated varint
  CHECK_FALSE(c.get("bad").has_value());
  CHECK_FALSE(c.get("torn").has_value());
  CHECK(c.stats().storage.decode_errors == 2);
  CHECK(store.size() == 0);
  c.put("ok", 42);
  CHECK(c.get("ok") == 42);
}

TEST_CASE("TieredCache::purge_expired leaves records it cannot read") {
  // With an empty prefix the store may hold other components' data; purge must not delete it.
  VirtualTimeScheduler s;
  MemoryStorage store;
  TieredCacheOptions o = opts(4, 1h);
  o.key_prefix = "";
  TieredCache<std::string, std::int64_t, MemoryStorage, VirtualTimeScheduler> c(store, s, o);
  store.put("sync/cursor", std::string("\x05", 1));         // a lone varint: no int64 after it
  store.put("settings/theme", std::string("light theme"));  // foreign text
  c.put("ok", 42);
  s.advance_by(2h);
  CHECK(c.purge_expired() == 2);  // "ok" in both tiers
  CHECK(store.contains("sync/cursor"));
  CHECK(store.contains("settings/theme"));
  CHECK_FALSE(store.contains("ok"));
  CHECK(c.stats().storage.decode_errors == 2);
}

TEST_CASE("TieredCache restarts from storage alone") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  {
    TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler> c(store, s,
                                                                                 opts(4, 1h));
    c.put("k", "kept");
  }
  TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler> fresh(store, s,
                                                                                   opts(4, 1h));
  CHECK(fresh.get("k") == "kept");
  CHECK(fresh.stats().storage.hits == 1);
}

TEST_CASE("TieredCacheOptions are validated") {
  VirtualTimeScheduler s;
  MemoryStorage store;
  using Cache = TieredCache<std::string, std::string, MemoryStorage, VirtualTimeScheduler>;
  REQUIRE_THROWS_WITH(Cache(store, s, opts(0, 0s)),
                      rxsync_test::contains("memory_capacity must be >= 1, got 0"));
  REQUIRE_THROWS_WITH(Cache(store, s, opts(1, -1s)),
                      rxsync_test::contains("TieredCacheOptions.ttl must be >= 0"));
}
