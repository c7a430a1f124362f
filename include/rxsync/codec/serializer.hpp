// rxsync/codec/serializer.hpp - the customisation point that gives a type its binary form, and
// write_value / read_value / encode_value / decode_value on top of it.
//
// rxsync::Serializer<T> says how a T is written and read. Its default (below) looks, in order, for
//   1. free functions next to T, found by argument-dependent lookup:
//        void rxsync_encode(rxsync::BinaryWriter&, const T&);
//        T rxsync_decode(rxsync::BinaryReader&, std::type_identity<T>);
//   2. members  void encode_to(rxsync::BinaryWriter&) const;  static T decode_from(BinaryReader&);
//   3. the standard forms: bool, integers (zigzag or plain varints, range-checked on decode),
//      float and double (bit-exact), long double (portable), enums (their underlying type),
//      strings (length-prefixed), integral chrono durations and time points (their ticks),
//      std::optional, std::vector and std::pair of types that have a binary form.
// A type that cannot have those (a third-party type, or one that needs a different form) gets a
// specialisation instead, template <> struct rxsync::Serializer<T> { static void write(
// BinaryWriter&, const T&); static T read(BinaryReader&); }, the way rxsync's own CRDTs do in
// <rxsync/codec/crdt.hpp>. The free functions come first so that a type's own author, who writes
// them, is not overridden by members it inherited.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/detail/long_double.hpp>
#include <rxsync/codec/fwd.hpp>
#include <rxsync/fwd/codec/serializer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

namespace adl {
// Hides any rxsync_encode / rxsync_decode of enclosing namespaces, so only the type's own
// functions, found by argument-dependent lookup, are candidates.
void rxsync_encode() = delete;
void rxsync_decode() = delete;

template <class T>
concept HasEncode = requires(BinaryWriter& w, const T& v) { rxsync_encode(w, v); };
template <class T>
concept HasDecode = requires(BinaryReader& r) {
  { rxsync_decode(r, std::type_identity<T>{}) } -> std::same_as<T>;
};
template <class T>
void encode(BinaryWriter& w, const T& v) {
  rxsync_encode(w, v);
}
template <class T>
T decode(BinaryReader& r) {
  return rxsync_decode(r, std::type_identity<T>{});
}
}  // namespace adl

template <class T>
concept HasMemberEncode = requires(const T& v, BinaryWriter& w) { v.encode_to(w); };
template <class T>
concept HasMemberDecode = requires(BinaryReader& r) {
  { T::decode_from(r) } -> std::same_as<T>;
};

// The standard forms; defined below, once Serializer can be named for element types.
template <class T>
struct StdForm;

template <class T>
concept DefaultWritable = adl::HasEncode<T> || HasMemberEncode<T> || StdForm<T>::writable;
template <class T>
concept DefaultReadable = adl::HasDecode<T> || HasMemberDecode<T> || StdForm<T>::readable;

}  // namespace detail

// The default, used when nothing more specific is declared. Stateless; thread-safe.
template <class T, class Enable>
struct Serializer {
  static void write(BinaryWriter& w, const T& v)
    requires detail::DefaultWritable<T>
  {
    if constexpr (detail::adl::HasEncode<T>) {
      detail::adl::encode(w, v);
    } else if constexpr (detail::HasMemberEncode<T>) {
      v.encode_to(w);
    } else {
      detail::StdForm<T>::write(w, v);
    }
  }
  static T read(BinaryReader& r)
    requires detail::DefaultReadable<T>
  {
    if constexpr (detail::adl::HasDecode<T>) {
      return detail::adl::decode<T>(r);
    } else if constexpr (detail::HasMemberDecode<T>) {
      return T::decode_from(r);
    } else {
      return detail::StdForm<T>::read(r);
    }
  }
};

template <class T>
concept BinaryWritable = requires(BinaryWriter& w, const T& v) { Serializer<T>::write(w, v); };
template <class T>
concept BinaryReadable = requires(BinaryReader& r) {
  { Serializer<T>::read(r) } -> std::same_as<T>;
};
// A type with a binary form through Serializer<T>: written by write_value, read back by
// read_value, and stored by DefaultCodec.
template <class T>
concept BinarySerializable = BinaryWritable<T> && BinaryReadable<T>;

namespace detail {

template <class T>
inline constexpr bool kDependentFalse = false;

// Kept to one line: it is what a user sees first when a value cannot be stored.
#define RXSYNC_DETAIL_NO_BINARY_FORM                                                             \
  "rxsync: this type has no binary form; next to it write `void "                                \
  "rxsync_encode(rxsync::BinaryWriter&, const T&)` and `T rxsync_decode(rxsync::BinaryReader&, " \
  "std::type_identity<T>)` (or specialise rxsync::Serializer<T> with static write and read); "   \
  "for rxsync's CRDTs, records and Versioned, #include <rxsync/codec/crdt.hpp>"

template <class T>
struct IsDuration : std::false_type {};
template <class R, class P>
struct IsDuration<std::chrono::duration<R, P>> : std::bool_constant<std::is_integral_v<R>> {};
template <class T>
struct IsTimePoint : std::false_type {};
template <class C, class D>
struct IsTimePoint<std::chrono::time_point<C, D>> : IsDuration<D> {};

// Scalars, enums, strings and chrono values.
template <class T>
struct StdForm {
  static constexpr bool writable = std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                                   std::is_convertible_v<const T&, std::string_view> ||
                                   IsDuration<T>::value || IsTimePoint<T>::value;
  static constexpr bool readable = std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                                   std::is_same_v<T, std::string> || IsDuration<T>::value ||
                                   IsTimePoint<T>::value;

  static void write(BinaryWriter& w, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      w.put_bool(v);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      w.put_signed(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
      w.put_varint(static_cast<std::uint64_t>(v));
    } else if constexpr (std::is_same_v<T, float>) {
      w.put_float(v);
    } else if constexpr (std::is_same_v<T, double>) {
      w.put_double(v);
    } else if constexpr (std::is_same_v<T, long double>) {
      put_long_double(w, v);
    } else if constexpr (std::is_enum_v<T>) {
      StdForm<std::underlying_type_t<T>>::write(w, static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      w.put_string(std::string_view(v));
    } else if constexpr (IsDuration<T>::value) {
      StdForm<typename T::rep>::write(w, v.count());
    } else {
      StdForm<typename T::rep>::write(w, v.time_since_epoch().count());
    }
  }
  static T read(BinaryReader& r) {
    if constexpr (std::is_same_v<T, bool>) {
      return r.get_bool();
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      const std::int64_t v = r.get_signed();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        r.fail("integer " + std::to_string(v) + " out of range for its type");
      }
      return static_cast<T>(v);
    } else if constexpr (std::is_integral_v<T>) {
      const std::uint64_t v = r.get_varint();
      if (v > std::numeric_limits<T>::max()) {
        r.fail("integer " + std::to_string(v) + " out of range for its type");
      }
      return static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, float>) {
      return r.get_float();
    } else if constexpr (std::is_same_v<T, double>) {
      return r.get_double();
    } else if constexpr (std::is_same_v<T, long double>) {
      return get_long_double(r);
    } else if constexpr (std::is_enum_v<T>) {
      return static_cast<T>(StdForm<std::underlying_type_t<T>>::read(r));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return r.get_string();
    } else if constexpr (IsDuration<T>::value) {
      return T(StdForm<typename T::rep>::read(r));
    } else {
      return T(typename T::duration(StdForm<typename T::rep>::read(r)));
    }
  }
};

template <class T>
struct StdForm<std::optional<T>> {
  static constexpr bool writable = BinaryWritable<T>;
  static constexpr bool readable = BinaryReadable<T>;
  static void write(BinaryWriter& w, const std::optional<T>& v) {
    w.put_bool(v.has_value());
    if (v) Serializer<T>::write(w, *v);
  }
  static std::optional<T> read(BinaryReader& r) {
    if (!r.get_bool()) return std::nullopt;
    return std::optional<T>(Serializer<T>::read(r));
  }
};

template <class T, class A>
struct StdForm<std::vector<T, A>> {
  static constexpr bool writable = BinaryWritable<T>;
  static constexpr bool readable = BinaryReadable<T>;
  static void write(BinaryWriter& w, const std::vector<T, A>& v) {
    w.put_varint(v.size());
    for (const auto& e : v) Serializer<T>::write(w, e);
  }
  static std::vector<T, A> read(BinaryReader& r) {
    const std::size_t n = r.get_count();
    std::vector<T, A> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(Serializer<T>::read(r));
    return out;
  }
};

template <class A, class B>
struct StdForm<std::pair<A, B>> {
  static constexpr bool writable = BinaryWritable<A> && BinaryWritable<B>;
  static constexpr bool readable = BinaryReadable<A> && BinaryReadable<B>;
  static void write(BinaryWriter& w, const std::pair<A, B>& v) {
    Serializer<A>::write(w, v.first);
    Serializer<B>::write(w, v.second);
  }
  static std::pair<A, B> read(BinaryReader& r) {
    auto first = Serializer<A>::read(r);
    auto second = Serializer<B>::read(r);
    return std::pair<A, B>(std::move(first), std::move(second));
  }
};

}  // namespace detail

// Writes one value in its nested (compact) form through Serializer<T>.
template <class T>
void write_value(BinaryWriter& w, const T& v) {
  if constexpr (BinaryWritable<T>) {
    Serializer<T>::write(w, v);
  } else {
    static_assert(detail::kDependentFalse<T>, RXSYNC_DETAIL_NO_BINARY_FORM);
  }
}

template <class T>
T read_value(BinaryReader& r) {
  if constexpr (BinaryReadable<T>) {
    return Serializer<T>::read(r);
  } else {
    static_assert(detail::kDependentFalse<T>, RXSYNC_DETAIL_NO_BINARY_FORM);
  }
}

// Encodes a whole value (nested form) and decodes it, rejecting trailing bytes.
template <class T>
std::string encode_value(const T& v) {
  BinaryWriter w;
  write_value(w, v);
  return std::move(w).take();
}
template <class T>
T decode_value(std::string_view bytes, const char* what = "value") {
  BinaryReader r(bytes);
  T v = read_value<T>(r);
  r.expect_end(what);
  return v;
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
