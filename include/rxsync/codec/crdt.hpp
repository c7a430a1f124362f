// rxsync/codec/crdt.hpp - the binary forms of rxsync's CRDTs, Versioned values and RXSYNC_RECORD
// records, as Serializer specialisations.
//
// Each form starts with a one-byte tag naming the type, so bytes of one CRDT read as another are
// rejected. Decoding also rejects any state the mutators could not have produced (unsorted or
// duplicate actors, zero counters, dots outside their causal context...): a CRDT that decoded is a
// CRDT whose merge laws hold. Every header that stores or sends values generically (sync, net,
// cache, testing) includes this one, so a CRDT value works there with nothing more to include.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/record.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/time.hpp>
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// Marks the specialisations below, so that a CRDT's member hooks can tell that this header is in.
struct CrdtSerializer {
  using rxsync_crdt_codec = void;
};

// The CRDTs whose whole state is one DotMap: their tag, then the DotMap.
template <class Kernel>
void write_kernel(BinaryWriter& w, std::uint8_t tag, const Kernel& kernel) {
  w.put_u8(tag);
  Serializer<Kernel>::write(w, kernel);
}
template <class Kernel>
Kernel read_kernel(BinaryReader& r, std::uint8_t tag, const char* what) {
  r.expect_tag(tag, what);
  return Serializer<Kernel>::read(r);
}

}  // namespace detail

// The payload of dot stores that need none: no bytes.
template <>
struct Serializer<detail::Unit> : detail::CrdtSerializer {
  static void write(BinaryWriter&, detail::Unit) noexcept {}
  static detail::Unit read(BinaryReader&) noexcept { return {}; }
};

// Tag, count, then (actor, counter) in ascending actor order. Decoding rejects unsorted or
// duplicate actors and zero counters: they would break VectorClock's invariants.
template <class Actor>
struct Serializer<VectorClock<Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x56;  // 'V'

  static void write(BinaryWriter& w, const VectorClock<Actor>& v) {
    w.put_u8(kTag);
    write_entries(w, v);
  }
  static VectorClock<Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "VectorClock");
    return read_entries(r);
  }
  // Without the tag: the counts inside a GCounter and the context inside a DotMap.
  static void write_entries(BinaryWriter& w, const VectorClock<Actor>& v) {
    w.put_varint(v.entries_.size());
    for (const auto& [actor, counter] : v.entries_) {
      write_value(w, actor);
      w.put_varint(counter);
    }
  }
  static VectorClock<Actor> read_entries(BinaryReader& r) {
    VectorClock<Actor> out;
    const std::size_t n = r.get_count(2);
    out.entries_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      Actor actor = read_value<Actor>(r);
      const std::uint64_t counter = r.get_varint();
      if (counter == 0) r.fail("VectorClock entry with a zero counter");
      if (!out.entries_.empty() && !(out.entries_.back().first < actor)) {
        r.fail("VectorClock actors not in strictly ascending order");
      }
      out.entries_.emplace_back(std::move(actor), counter);
    }
    return out;
  }
};

// No tag (it is always part of something tagged): the context's entries, then per key its dots
// (actor, counter, payload). Rejects anything the mutators could not have produced: unsorted keys
// or dots, empty entry lists, a dot outside the context, the same dot twice.
template <class Key, class Payload, class Actor>
struct Serializer<DotMap<Key, Payload, Actor>> : detail::CrdtSerializer {
  using Map = DotMap<Key, Payload, Actor>;
  using DotT = typename Map::DotT;
  using Entries = typename Map::Entries;

  static void write(BinaryWriter& w, const Map& v) {
    Serializer<VectorClock<Actor>>::write_entries(w, v.context_);
    w.put_varint(v.map_.size());
    for (const auto& [key, entries] : v.map_) {
      write_value(w, key);
      w.put_varint(entries.size());
      for (const auto& [dot, payload] : entries) {
        write_value(w, dot.actor);
        w.put_varint(dot.counter);
        write_value(w, payload);
      }
    }
  }
  static Map read(BinaryReader& r) {
    Map out;
    out.context_ = Serializer<VectorClock<Actor>>::read_entries(r);
    std::vector<DotT> all;
    const std::size_t keys = r.get_count(2);
    for (std::size_t k = 0; k < keys; ++k) {
      Key key = read_value<Key>(r);
      if (!out.map_.empty() && !(std::prev(out.map_.end())->first < key)) {
        r.fail("DotMap keys not in strictly ascending order");
      }
      const std::size_t n = r.get_count(2);
      if (n == 0) r.fail("DotMap key with no dots");
      Entries entries;
      entries.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        DotT dot{read_value<Actor>(r), r.get_varint()};
        if (dot.counter == 0 || !out.seen(dot)) r.fail("DotMap dot outside its causal context");
        if (!entries.empty() && !(entries.back().first < dot)) {
          r.fail("DotMap dots not in strictly ascending order");
        }
        Payload payload = read_value<Payload>(r);
        all.push_back(dot);
        entries.emplace_back(std::move(dot), std::move(payload));
      }
      out.map_.emplace_hint(out.map_.end(), std::move(key), std::move(entries));
    }
    std::sort(all.begin(), all.end());
    if (std::adjacent_find(all.begin(), all.end()) != all.end()) r.fail("DotMap dot used twice");
    return out;
  }
};

template <class Actor>
struct Serializer<GCounter<Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x47;  // 'G'
  static void write(BinaryWriter& w, const GCounter<Actor>& v) {
    w.put_u8(kTag);
    Serializer<VectorClock<Actor>>::write_entries(w, v.counts_);
  }
  static GCounter<Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "GCounter");
    GCounter<Actor> out;
    out.counts_ = Serializer<VectorClock<Actor>>::read_entries(r);
    return out;
  }
};

template <class Actor>
struct Serializer<PNCounter<Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x50;  // 'P'
  static void write(BinaryWriter& w, const PNCounter<Actor>& v) {
    w.put_u8(kTag);
    Serializer<GCounter<Actor>>::write(w, v.up_);
    Serializer<GCounter<Actor>>::write(w, v.down_);
  }
  static PNCounter<Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "PNCounter");
    PNCounter<Actor> out;
    out.up_ = Serializer<GCounter<Actor>>::read(r);
    out.down_ = Serializer<GCounter<Actor>>::read(r);
    return out;
  }
};

template <class T, class Actor>
struct Serializer<LwwRegister<T, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x4c;  // 'L'
  static void write(BinaryWriter& w, const LwwRegister<T, Actor>& v) {
    w.put_u8(kTag);
    write_value(w, v.timestamp());
    write_value(w, v.actor());
    write_value(w, v.value());
  }
  static LwwRegister<T, Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "LwwRegister");
    const auto ts = read_value<TimePoint>(r);
    Actor actor = read_value<Actor>(r);
    T value = read_value<T>(r);
    return LwwRegister<T, Actor>(std::move(value), ts, std::move(actor));
  }
};

template <class T>
struct Serializer<MaxRegister<T>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x4d;  // 'M'
  static void write(BinaryWriter& w, const MaxRegister<T>& v) {
    w.put_u8(kTag);
    write_value(w, v.value());
  }
  static MaxRegister<T> read(BinaryReader& r) {
    r.expect_tag(kTag, "MaxRegister");
    return MaxRegister<T>(read_value<T>(r));
  }
};

template <class T, class Actor>
struct Serializer<MvRegister<T, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x52;  // 'R'
  static void write(BinaryWriter& w, const MvRegister<T, Actor>& v) {
    detail::write_kernel(w, kTag, v.kernel_);
  }
  static MvRegister<T, Actor> read(BinaryReader& r) {
    MvRegister<T, Actor> out;
    out.kernel_ = detail::read_kernel<decltype(out.kernel_)>(r, kTag, "MvRegister");
    return out;
  }
};

template <class T, class Actor>
struct Serializer<OrSet<T, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x53;  // 'S'
  static void write(BinaryWriter& w, const OrSet<T, Actor>& v) {
    detail::write_kernel(w, kTag, v.kernel_);
  }
  static OrSet<T, Actor> read(BinaryReader& r) {
    OrSet<T, Actor> out;
    out.kernel_ = detail::read_kernel<decltype(out.kernel_)>(r, kTag, "OrSet");
    return out;
  }
};

template <class T, class Actor>
struct Serializer<RemoveWinsSet<T, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x57;  // 'W'
  static void write(BinaryWriter& w, const RemoveWinsSet<T, Actor>& v) {
    detail::write_kernel(w, kTag, v.kernel_);
  }
  static RemoveWinsSet<T, Actor> read(BinaryReader& r) {
    RemoveWinsSet<T, Actor> out;
    out.kernel_ = detail::read_kernel<decltype(out.kernel_)>(r, kTag, "RemoveWinsSet");
    return out;
  }
};

template <class Actor>
struct Serializer<EnableWinsFlag<Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x45;  // 'E'
  static void write(BinaryWriter& w, const EnableWinsFlag<Actor>& v) {
    detail::write_kernel(w, kTag, v.kernel_);
  }
  static EnableWinsFlag<Actor> read(BinaryReader& r) {
    EnableWinsFlag<Actor> out;
    out.kernel_ = detail::read_kernel<decltype(out.kernel_)>(r, kTag, "EnableWinsFlag");
    return out;
  }
};

template <class Actor>
struct Serializer<DisableWinsFlag<Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x44;  // 'D'
  static void write(BinaryWriter& w, const DisableWinsFlag<Actor>& v) {
    detail::write_kernel(w, kTag, v.kernel_);
  }
  static DisableWinsFlag<Actor> read(BinaryReader& r) {
    DisableWinsFlag<Actor> out;
    out.kernel_ = detail::read_kernel<decltype(out.kernel_)>(r, kTag, "DisableWinsFlag");
    return out;
  }
};

// Tag, the key dots, then every value (erased keys' values too) in ascending key order. A live
// key without a value is rejected: find() would have nothing to return.
template <class K, class V, class Actor>
struct Serializer<OrMap<K, V, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x4f;  // 'O'
  using Keys = DotMap<K, detail::Unit, Actor>;

  static void write(BinaryWriter& w, const OrMap<K, V, Actor>& v) {
    w.put_u8(kTag);
    Serializer<Keys>::write(w, v.keys_);
    w.put_varint(v.values_.size());
    for (const auto& [key, value] : v.values_) {
      write_value(w, key);
      write_value(w, value);
    }
  }
  static OrMap<K, V, Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "OrMap");
    OrMap<K, V, Actor> out;
    out.keys_ = Serializer<Keys>::read(r);
    const std::size_t n = r.get_count(2);
    for (std::size_t i = 0; i < n; ++i) {
      K key = read_value<K>(r);
      if (!out.values_.empty() && !(std::prev(out.values_.end())->first < key)) {
        r.fail("OrMap keys not in strictly ascending order");
      }
      V value = read_value<V>(r);
      out.values_.emplace_hint(out.values_.end(), std::move(key), std::move(value));
    }
    for (const auto& entry : out.keys_.map()) {
      if (out.values_.find(entry.first) == out.values_.end()) {
        r.fail("OrMap live key without a value");
      }
    }
    return out;
  }
};

// Tag, the clock (with its own tag), then the value in its nested form.
template <class T, class Actor>
struct Serializer<Versioned<T, Actor>> : detail::CrdtSerializer {
  static constexpr std::uint8_t kTag = 0x76;  // 'v'
  static void write(BinaryWriter& w, const Versioned<T, Actor>& v) {
    w.put_u8(kTag);
    Serializer<VectorClock<Actor>>::write(w, v.clock);
    write_value(w, v.value);
  }
  static Versioned<T, Actor> read(BinaryReader& r) {
    r.expect_tag(kTag, "Versioned");
    Versioned<T, Actor> out;
    out.clock = Serializer<VectorClock<Actor>>::read(r);
    out.value = read_value<T>(r);
    return out;
  }
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
