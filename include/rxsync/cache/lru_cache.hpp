// rxsync/cache/lru_cache.hpp - a bounded least-recently-used map with optional TTL.
//
// Entries live in fixed chunks (stable addresses) and are numbered. The index is an open-addressing
// table (linear probing, backward-shift deletion) whose slots also carry the recency list's
// 32-bit prev/next links, so a get hit reads one slot and then writes its two neighbours in
// parallel: no dependent load through a separate link array. get/put/erase are O(1) and a get hit
// touches no allocator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/fwd/cache/lru_cache.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;       // includes lookups that found an expired entry
  std::uint64_t evictions = 0;    // entries dropped to make room (reason capacity)
  std::uint64_t expirations = 0;  // entries dropped because their TTL passed
  double hit_rate() const noexcept {
    const auto total = hits + misses;
    return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total);
  }
};

// Why an entry left the cache (told to the eviction listener).
enum class EvictionReason { capacity, expired, erased, replaced };

// Zero means "no limit". When both are set an entry expires at whichever comes first.
struct CacheTtl {
  Duration after_write{0};   // since the last put
  Duration after_access{0};  // since the last put or get hit
};

namespace detail {

template <class K, class Q, class Hash, class Eq>
concept TransparentLookup =
    requires {
      typename Hash::is_transparent;
      typename Eq::is_transparent;
    } && std::is_invocable_r_v<std::size_t, const Hash&, const Q&> &&
    std::is_invocable_r_v<bool, const Eq&, const K&, const Q&>;

// std::string keys with the default hash/equality accept anything viewable as a string_view:
// the standard guarantees hash<string>(s) == hash<string_view>(s).
template <class K, class Q, class Hash, class Eq>
concept DefaultStringLookup =
    std::is_same_v<K, std::string> && std::is_same_v<Hash, std::hash<K>> &&
    std::is_same_v<Eq, std::equal_to<K>> && std::is_convertible_v<const Q&, std::string_view>;

}  // namespace detail

// A fixed-capacity LRU map. get() promotes and counts a hit or miss; peek()/contains() do
// neither. Pointers returned by get/peek/put stay valid until that entry leaves the cache.
// TTL reads the clock of a Scheduler passed at construction; expired entries are dropped when
// looked up, when they reach the LRU end, or by purge_expired(). Not thread-safe; move-only.
// Default template arguments: in <rxsync/fwd/cache/lru_cache.hpp>.
template <class K, class V, class Hash, class Eq>
class LruCache {
 public:
  using value_type = std::pair<const K, V>;
  using EvictionListener = std::function<void(const K&, V&, EvictionReason)>;

 private:
  using Index = std::uint32_t;
  static constexpr Index kNil = 0xFFFFFFFFu;
  // The index holds up to twice the capacity in slots, and slot positions must stay below kNil.
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;
  // Small trivially copyable keys (integers, ids) are copied into the index, so a lookup reads
  // one slot and never the entry: the dominant cost of a hit is then a single cache miss.
  static constexpr bool kInlineKey =
      std::is_trivially_copyable_v<K> && std::is_default_constructible_v<K> && sizeof(K) <= 8;
  struct NoKey {};
  struct Slot {
    Index entry_plus1 = 0;  // 0 = empty
    std::uint32_t tag = 0;  // top 32 bits of the mixed hash
    Index prev = kNil;      // recency list, as slot positions (towards the most recent)
    Index next = kNil;
    [[no_unique_address]] std::conditional_t<kInlineKey, K, NoKey> key{};
  };
  struct Meta {
    TimePoint write_deadline;
    TimePoint expires_at;
  };
  struct alignas(value_type) Cell {
    unsigned char bytes[sizeof(value_type)];
  };
  template <class Q>
  static constexpr bool lookup_ok =
      !std::is_same_v<Q, K> &&
      (detail::TransparentLookup<K, Q, Hash, Eq> || detail::DefaultStringLookup<K, Q, Hash, Eq>);

 public:
  explicit LruCache(std::size_t capacity, Hash hash = {}, Eq eq = {})
      : capacity_(capacity), hash_(std::move(hash)), eq_(std::move(eq)) {
    if (capacity == 0) throw std::invalid_argument("LruCache.capacity must be >= 1, got 0");
    if (capacity > kMaxCapacity) {
      throw std::invalid_argument("LruCache.capacity must be <= " + std::to_string(kMaxCapacity) +
                                  ", got " + std::to_string(capacity));
    }
    chunk_bits_ = 0;
    while (chunk_bits_ < 12 && (std::size_t{1} << chunk_bits_) < capacity) ++chunk_bits_;
    resize_index(4);
  }
  // With expiry. `clock` must outlive the cache; only its now() is called.
  // Not constrained on S: a clock without now() gets check_clock's message, not "no matching
  // constructor".
  template <class S>
  LruCache(std::size_t capacity, CacheTtl ttl, S& clock, Hash hash = {}, Eq eq = {})
      : LruCache(capacity, std::move(hash), std::move(eq)) {
    static_assert(check_clock<S>());
    if (ttl.after_write < Duration::zero() || ttl.after_access < Duration::zero()) {
      throw std::invalid_argument("CacheTtl durations must be >= 0, got after_write " +
                                  std::to_string(ttl.after_write.count()) + "ns, after_access " +
                                  std::to_string(ttl.after_access.count()) + "ns");
    }
    ttl_ = ttl;
    clock_ = &clock;
    if constexpr (SchedulerHasNow<S>) {
      now_ = [](const void* c) { return static_cast<S*>(const_cast<void*>(c))->now(); };
    }
  }

  LruCache(LruCache&& o) noexcept { take(o); }
  LruCache& operator=(LruCache&& o) noexcept {
    if (this != &o) {
      destroy_all();
      take(o);
    }
    return *this;
  }
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;
  ~LruCache() { destroy_all(); }

  // Called for every entry that leaves the cache, before it is destroyed (the value may be
  // moved from). The listener must not call back into this cache.
  void set_eviction_listener(EvictionListener listener) { listener_ = std::move(listener); }

  V* get(const K& key) { return get_impl(key); }
  template <class Q>
    requires lookup_ok<Q>
  V* get(const Q& key) {
    return get_impl(key);
  }

  const V* peek(const K& key) const { return peek_impl(key); }
  template <class Q>
    requires lookup_ok<Q>
  const V* peek(const Q& key) const {
    return peek_impl(key);
  }

  bool contains(const K& key) const { return peek_impl(key) != nullptr; }
  template <class Q>
    requires lookup_ok<Q>
  bool contains(const Q& key) const {
    return peek_impl(key) != nullptr;
  }

  // Inserts or overwrites (the old value is reported as `replaced`, or `expired` if its TTL had
  // passed) and promotes.
  V& put(const K& key, V value) { return put_impl(key, std::move(value), std::nullopt); }
  // As put(), but the entry also expires at `deadline` (e.g. the remaining TTL of a value
  // promoted from a slower tier). Needs a clock, like any TTL.
  V& put_until(const K& key, V value, TimePoint deadline) {
    if (clock_ == nullptr) {
      throw std::logic_error("LruCache::put_until needs a cache constructed with a clock");
    }
    return put_impl(key, std::move(value), deadline);
  }

  bool erase(const K& key) { return erase_impl(key); }
  template <class Q>
    requires lookup_ok<Q>
  bool erase(const Q& key) {
    return erase_impl(key);
  }

  // Drops every expired entry (reason `expired`). Returns how many. O(size).
  std::size_t purge_expired() {
    if (clock_ == nullptr) return 0;
    const TimePoint now = now_(clock_);
    // Collect first: removing an entry shifts index slots, and with them the list positions.
    std::vector<Index> dead;
    for (Index s = head_; s != kNil; s = index_[s].next) {
      const Index e = index_[s].entry_plus1 - 1;
      if (meta_[e].expires_at <= now) dead.push_back(e);
    }
    for (const Index e : dead) {
      ++stats_.expirations;
      remove_entry(slot_of(e), EvictionReason::expired);
    }
    return dead.size();
  }

  // Removes everything (each entry reported as `erased`). Statistics are kept.
  void clear() {
    while (tail_ != kNil) remove_entry(tail_, EvictionReason::erased);
  }

  // Entries held, including expired ones not yet dropped.
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  CacheStats stats() const noexcept { return stats_; }
  void reset_stats() noexcept { stats_ = {}; }

  // Iteration from most to least recently used; neither promotes nor counts. Expired entries
  // not yet dropped are included (call purge_expired() first to skip them).
  template <bool Const>
  class Iterator {
    using Owner = std::conditional_t<Const, const LruCache*, LruCache*>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using difference_type = std::ptrdiff_t;
    using value_type = std::pair<const K, V>;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;

    Iterator() = default;
    reference operator*() const { return owner_->slot_entry(i_); }
    pointer operator->() const { return &owner_->slot_entry(i_); }
    Iterator& operator++() {
      i_ = owner_->index_[i_].next;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }

   private:
    friend class LruCache;
    Iterator(Owner o, Index i) : owner_(o), i_(i) {}
    Owner owner_ = nullptr;
    Index i_ = kNil;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;
  iterator begin() noexcept { return iterator(this, head_); }
  iterator end() noexcept { return iterator(this, kNil); }
  const_iterator begin() const noexcept { return const_iterator(this, head_); }
  const_iterator end() const noexcept { return const_iterator(this, kNil); }

 private:
  value_type& entry(Index i) noexcept {
    return *std::launder(
        reinterpret_cast<value_type*>(chunks_[i >> chunk_bits_][i & chunk_mask()].bytes));
  }
  const value_type& entry(Index i) const noexcept {
    return *std::launder(
        reinterpret_cast<const value_type*>(chunks_[i >> chunk_bits_][i & chunk_mask()].bytes));
  }
  Index chunk_mask() const noexcept { return (Index{1} << chunk_bits_) - 1; }
  value_type& slot_entry(Index s) noexcept { return entry(index_[s].entry_plus1 - 1); }
  const value_type& slot_entry(Index s) const noexcept { return entry(index_[s].entry_plus1 - 1); }

  template <class Q>
  std::uint32_t tag_of(const Q& key) const {
    std::size_t h;
    if constexpr (std::is_same_v<Q, K> || detail::TransparentLookup<K, Q, Hash, Eq>) {
      h = hash_(key);
    } else {
      h = std::hash<std::string_view>{}(std::string_view(key));
    }
    // Fibonacci mixing: std::hash of integers is the identity, which clusters under a mask.
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ULL) >>
                                      32);
  }
  template <class Q>
  bool key_equal(const K& stored, const Q& key) const {
    if constexpr (std::is_same_v<Q, K> || detail::TransparentLookup<K, Q, Hash, Eq>) {
      return eq_(stored, key);
    } else {
      return std::string_view(stored) == std::string_view(key);
    }
  }
  std::size_t home(std::uint32_t tag) const noexcept {
    return static_cast<std::size_t>(tag >> (32 - bits_));
  }

  // The slot position holding `key`, or kNil.
  template <class Q>
  Index find(const Q& key, std::uint32_t tag) const {
    for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
      const Slot& s = index_[i];
      if (s.entry_plus1 == 0) return kNil;
      if constexpr (kInlineKey) {
        if (s.tag == tag && key_equal(s.key, key)) return static_cast<Index>(i);
      } else {
        if (s.tag == tag && key_equal(entry(s.entry_plus1 - 1).first, key))
          return static_cast<Index>(i);
      }
    }
  }
  // The slot position of entry `e` (which must be indexed).
  Index slot_of(Index e) const noexcept {
    std::size_t s = home(tags_[e]);
    while (index_[s].entry_plus1 != e + 1) s = (s + 1) & mask_;
    return static_cast<Index>(s);
  }

  bool expired(Index e) const { return clock_ != nullptr && meta_[e].expires_at <= now_(clock_); }

  template <class Q>
  V* get_impl(const Q& key) {
    const Index s = find(key, tag_of(key));
    if (s == kNil) {
      ++stats_.misses;
      return nullptr;
    }
    const Index e = index_[s].entry_plus1 - 1;
    if (clock_ != nullptr) {
      const TimePoint now = now_(clock_);
      Meta& m = meta_[e];
      if (m.expires_at <= now) {
        ++stats_.misses;
        ++stats_.expirations;
        remove_entry(s, EvictionReason::expired);
        return nullptr;
      }
      if (ttl_.after_access > Duration::zero()) {
        m.expires_at = std::min(m.write_deadline, detail::add_saturated(now, ttl_.after_access));
      }
    }
    ++stats_.hits;
    move_to_front(s);
    return &entry(e).second;
  }

  template <class Q>
  const V* peek_impl(const Q& key) const {
    const Index s = find(key, tag_of(key));
    if (s == kNil) return nullptr;
    const Index e = index_[s].entry_plus1 - 1;
    return expired(e) ? nullptr : &entry(e).second;
  }

  V& put_impl(const K& key, V value, std::optional<TimePoint> deadline) {
    const std::uint32_t tag = tag_of(key);
    if (const Index s = find(key, tag); s != kNil) {
      const Index e = index_[s].entry_plus1 - 1;
      const bool dead = expired(e);
      if (dead) ++stats_.expirations;
      value_type& kv = entry(e);
      if (listener_)
        listener_(kv.first, kv.second, dead ? EvictionReason::expired : EvictionReason::replaced);
      kv.second = std::move(value);
      stamp(e, deadline);
      move_to_front(s);
      return kv.second;
    }
    if (size_ == capacity_) {
      // Reuse the least recent entry's cell: no allocation in steady state.
      const Index s = tail_;
      const Index e = index_[s].entry_plus1 - 1;
      const bool dead = expired(e);
      ++(dead ? stats_.expirations : stats_.evictions);
      value_type& kv = entry(e);
      if (listener_)
        listener_(kv.first, kv.second, dead ? EvictionReason::expired : EvictionReason::capacity);
      unlink(s);
      unindex(s);
      kv.~value_type();
      --size_;
      free_.push_back(e);
    }
    // Grow the index first: nothing below may fail once the entry is linked.
    if ((size_ + 1) * 2 > index_.size()) resize_index(bits_ + 1);
    const Index e = allocate();
    try {
      ::new (static_cast<void*>(&entry(e))) value_type(key, std::move(value));
    } catch (...) {
      free_.push_back(e);
      throw;
    }
    ++size_;
    tags_[e] = tag;
    stamp(e, deadline);
    link_front(insert_index(e));
    return entry(e).second;
  }

  template <class Q>
  bool erase_impl(const Q& key) {
    const Index s = find(key, tag_of(key));
    if (s == kNil) return false;
    const bool dead = expired(index_[s].entry_plus1 - 1);
    if (dead) ++stats_.expirations;
    remove_entry(s, dead ? EvictionReason::expired : EvictionReason::erased);
    return !dead;
  }

  // A free cell and its tag/meta slots.
  Index allocate() {
    if (!free_.empty()) {
      const Index i = free_.back();
      free_.pop_back();
      return i;
    }
    const auto i = static_cast<Index>(used_);
    if ((used_ >> chunk_bits_) == chunks_.size()) {
      chunks_.push_back(std::make_unique<Cell[]>(std::size_t{1} << chunk_bits_));
    }
    tags_.push_back(0);
    if (clock_ != nullptr) meta_.push_back(Meta{});
    ++used_;
    return i;
  }

  void stamp(Index i, std::optional<TimePoint> deadline) {
    if (clock_ == nullptr) return;
    const TimePoint now = now_(clock_);
    TimePoint write = TimePoint::max();
    if (ttl_.after_write > Duration::zero()) write = detail::add_saturated(now, ttl_.after_write);
    if (deadline) write = std::min(write, *deadline);
    meta_[i].write_deadline = write;
    meta_[i].expires_at = ttl_.after_access > Duration::zero()
                              ? std::min(write, detail::add_saturated(now, ttl_.after_access))
                              : write;
  }

  // Removes the entry in slot `s`.
  void remove_entry(Index s, EvictionReason why) {
    const Index i = index_[s].entry_plus1 - 1;
    unlink(s);
    unindex(s);
    --size_;
    struct Release {
      LruCache* self;
      Index i;
      ~Release() {
        self->entry(i).~value_type();
        self->free_.push_back(i);
      }
    } release{this, i};
    value_type& e = entry(i);
    if (listener_) listener_(e.first, e.second, why);
  }

  // List operations work on slot positions.
  void link_front(Index s) noexcept {
    index_[s].prev = kNil;
    index_[s].next = head_;
    if (head_ != kNil) index_[head_].prev = s;
    head_ = s;
    if (tail_ == kNil) tail_ = s;
  }
  void link_back(Index s) noexcept {
    index_[s].prev = tail_;
    index_[s].next = kNil;
    if (tail_ != kNil) index_[tail_].next = s;
    tail_ = s;
    if (head_ == kNil) head_ = s;
  }
  void unlink(Index s) noexcept {
    const Index prev = index_[s].prev;
    const Index next = index_[s].next;
    (prev != kNil ? index_[prev].next : head_) = next;
    (next != kNil ? index_[next].prev : tail_) = prev;
  }
  void move_to_front(Index s) noexcept {
    if (s == head_) return;
    unlink(s);
    link_front(s);
  }

  // Indexes entry `e` (tag already in tags_); the caller links the returned slot.
  Index insert_index(Index e) noexcept {
    std::size_t s = home(tags_[e]);
    while (index_[s].entry_plus1 != 0) s = (s + 1) & mask_;
    Slot& slot = index_[s];
    slot.entry_plus1 = e + 1;
    slot.tag = tags_[e];
    if constexpr (kInlineKey) slot.key = entry(e).first;
    return static_cast<Index>(s);
  }
  // Frees slot `s`, already unlinked. Backward-shift deletion keeps probe chains intact without
  // tombstones; a shifted slot takes its list links along and its neighbours are repointed.
  void unindex(std::size_t s) noexcept {
    for (std::size_t j = (s + 1) & mask_; index_[j].entry_plus1 != 0; j = (j + 1) & mask_) {
      const std::size_t want = home(index_[j].tag);
      if (((j - want) & mask_) >= ((j - s) & mask_)) {
        const Slot& moved = index_[s] = index_[j];
        const auto to = static_cast<Index>(s);
        (moved.prev != kNil ? index_[moved.prev].next : head_) = to;
        (moved.next != kNil ? index_[moved.next].prev : tail_) = to;
        s = j;
      }
    }
    index_[s] = Slot{};
  }
  // Rebuilds the index at 2^bits slots, re-linking entries in their recency order.
  void resize_index(unsigned bits) {
    std::vector<Slot> old(std::size_t{1} << bits);
    old.swap(index_);
    bits_ = bits;
    mask_ = index_.size() - 1;
    Index s = head_;
    head_ = tail_ = kNil;
    for (; s != kNil; s = old[s].next) link_back(insert_index(old[s].entry_plus1 - 1));
  }

  void destroy_all() noexcept {
    for (Index s = head_; s != kNil; s = index_[s].next) slot_entry(s).~value_type();
    head_ = tail_ = kNil;
    size_ = 0;
  }
  void take(LruCache& o) noexcept {
    capacity_ = o.capacity_;
    size_ = std::exchange(o.size_, 0);
    head_ = std::exchange(o.head_, kNil);
    tail_ = std::exchange(o.tail_, kNil);
    chunks_ = std::move(o.chunks_);
    chunk_bits_ = o.chunk_bits_;
    used_ = std::exchange(o.used_, 0);
    tags_ = std::move(o.tags_);
    meta_ = std::move(o.meta_);
    free_ = std::move(o.free_);
    index_ = std::move(o.index_);
    bits_ = o.bits_;
    mask_ = o.mask_;
    o.chunks_.clear();
    o.tags_.clear();
    o.meta_.clear();
    o.free_.clear();
    o.index_.assign(std::size_t{1} << o.bits_, Slot{});
    hash_ = o.hash_;
    eq_ = o.eq_;
    ttl_ = o.ttl_;
    clock_ = o.clock_;
    now_ = o.now_;
    listener_ = std::move(o.listener_);
    stats_ = o.stats_;
  }

  std::size_t capacity_ = 1;
  std::size_t size_ = 0;
  Index head_ = kNil;                            // slot of the most recent entry
  Index tail_ = kNil;                            // slot of the least recent entry
  std::vector<std::unique_ptr<Cell[]>> chunks_;  // entries; never move once allocated
  unsigned chunk_bits_ = 0;
  std::size_t used_ = 0;             // cells ever handed out
  std::vector<std::uint32_t> tags_;  // per entry, to find its slot off the hot path
  std::vector<Meta> meta_;           // only with a clock
  std::vector<Index> free_;
  std::vector<Slot> index_;
  unsigned bits_ = 0;
  std::size_t mask_ = 0;
  Hash hash_{};
  Eq eq_{};
  CacheTtl ttl_{};
  const void* clock_ = nullptr;
  TimePoint (*now_)(const void*) = nullptr;
  EvictionListener listener_;
  CacheStats stats_;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
