// rxsync/codec/default_codec.hpp - DefaultCodec, the Codec that Outbox, SyncService, TieredCache
// and the transports use when none is given.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/detail/long_double.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

template <class T>
concept Arithmetic = std::is_arithmetic_v<T>;

template <class T>
struct IsStdContainerForm : std::false_type {};
template <class T>
struct IsStdContainerForm<std::optional<T>> : std::true_type {};
template <class T, class A>
struct IsStdContainerForm<std::vector<T, A>> : std::true_type {};
template <class A, class B>
struct IsStdContainerForm<std::pair<A, B>> : std::true_type {};

// What DefaultCodec takes through Serializer: a type of the program's own (a CRDT, a record, a
// type with rxsync_encode / rxsync_decode or members). The standard nested forms are left out on
// purpose: a top-level std::vector<int> has no agreed layout, so it is refused rather than
// silently given one. A class type without a binary form is let in, so that the one clear
// static_assert in write_value reports it, not a Codec concept mismatch.
template <class T>
concept ObjectForm =
    !std::is_arithmetic_v<T> && !std::is_enum_v<T> && !IsStdContainerForm<T>::value &&
    !IsDuration<T>::value && !IsTimePoint<T>::value &&
    (!std::is_convertible_v<const T&, std::string_view> ||
     (!std::is_same_v<T, std::string> && BinarySerializable<T>));

}  // namespace detail

// The codec used when none is given. Top-level forms:
//   std::string          the bytes themselves (any byte string is a valid string);
//   bool                 one byte, 0 or 1;
//   integers, char types exactly sizeof(T) bytes, little-endian two's complement;
//   float, double        the IEEE bits, little-endian (bit-exact);
//   long double          the portable nested form;
//   any other type       its Serializer<T> bytes (CRDTs, records, Versioned, user types).
// Any other size or trailing byte raises DecodeError. Stateless; thread-safe.
struct DefaultCodec {
  static std::string encode(const std::string& v) { return v; }
  static std::string decode(std::string_view bytes, std::string*) { return std::string(bytes); }

  template <detail::Arithmetic T>
  static std::string encode(const T& v) {
    BinaryWriter w(sizeof(T));
    if constexpr (std::is_same_v<T, bool>) {
      w.put_bool(v);
    } else if constexpr (std::is_integral_v<T>) {
      w.put_fixed(static_cast<std::make_unsigned_t<T>>(v));
    } else if constexpr (std::is_same_v<T, long double>) {
      detail::put_long_double(w, v);
    } else {
      write_value(w, v);
    }
    return std::move(w).take();
  }
  template <detail::Arithmetic T>
  static T decode(std::string_view bytes, T*) {
    BinaryReader r(bytes);
    T v{};
    if constexpr (std::is_same_v<T, bool>) {
      expect_size(r, bytes, 1);
      v = r.get_bool();
    } else if constexpr (std::is_integral_v<T>) {
      expect_size(r, bytes, sizeof(T));
      v = static_cast<T>(r.get_fixed<std::make_unsigned_t<T>>());
    } else if constexpr (std::is_same_v<T, long double>) {
      v = detail::get_long_double(r);
    } else {
      expect_size(r, bytes, sizeof(T));
      v = read_value<T>(r);
    }
    r.expect_end("arithmetic value");
    return v;
  }

  template <detail::ObjectForm T>
  static std::string encode(const T& v) {
    return encode_value(v);
  }
  template <detail::ObjectForm T>
  static T decode(std::string_view bytes, T*) {
    return decode_value<T>(bytes, "encoded value");
  }

 private:
  static void expect_size(const BinaryReader& r, std::string_view bytes, std::size_t want) {
    if (bytes.size() != want) {
      r.fail("expected exactly " + std::to_string(want) + " byte(s) for an arithmetic value, got " +
             std::to_string(bytes.size()));
    }
  }
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
