// rxsync/storage/codec.hpp - bytes <-> values: a bounds-checked binary format and DefaultCodec.
//
// Everything that crosses storage or the network is encoded here. Decoding never trusts its
// input: an overrun, an overlong or non-canonical varint, or a length larger than what is left
// raises rxsync::DecodeError, so corrupt data is reported instead of crashing or allocating wildly.
#pragma once

#include <bit>
#include <chrono>
#include <climits>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/core/concepts.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Thrown for any malformed encoding (truncated, overlong, wrong size, out-of-range, trailing
// bytes).
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Appends values to a byte string. Not thread-safe (a plain value type).
class BinaryWriter {
 public:
  BinaryWriter() = default;
  explicit BinaryWriter(std::size_t reserve) { out_.reserve(reserve); }

  // Unsigned LEB128: 7 bits per byte, low group first; always the shortest form.
  void put_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(static_cast<unsigned char>((v & 0x7f) | 0x80)));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(static_cast<unsigned char>(v)));
  }
  // Zigzag so that small negative numbers stay short.
  void put_signed(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    put_varint((u << 1) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0}));
  }
  void put_u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void put_bool(bool v) { put_u8(v ? 1 : 0); }

  // Little-endian, exactly sizeof(U) bytes.
  template <std::unsigned_integral U>
  void put_fixed(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      out_.push_back(static_cast<char>(static_cast<unsigned char>(v & 0xffU)));
      if constexpr (sizeof(U) > 1) v = static_cast<U>(v >> 8);
    }
  }
  // Bit-exact (NaN payloads, signed zeros and infinities survive).
  void put_float(float v) { put_fixed(std::bit_cast<std::uint32_t>(v)); }
  void put_double(double v) { put_fixed(std::bit_cast<std::uint64_t>(v)); }

  // Length-prefixed.
  void put_bytes(std::string_view bytes) {
    put_varint(bytes.size());
    out_.append(bytes.data(), bytes.size());
  }
  void put_string(std::string_view s) { put_bytes(s); }
  // No prefix: the reader must know the size.
  void put_raw(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }

  std::size_t size() const noexcept { return out_.size(); }
  const std::string& str() const& noexcept { return out_; }
  std::string take() && noexcept { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what a BinaryWriter wrote, checking every step. Not thread-safe; does not own the bytes.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view bytes) noexcept : bytes_(bytes) {}
  // The reader does not own its bytes: reading from a temporary string would dangle.
  template <std::same_as<std::string> S>
  explicit BinaryReader(S&&) = delete;

  std::uint64_t get_varint() {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (shift > 63) fail("overlong varint (more than 10 bytes)");
      const std::uint8_t byte = next_byte("varint");
      const std::uint64_t group = byte & 0x7fU;
      if (shift == 63 && group > 1) fail("varint overflows 64 bits");
      v |= group << shift;
      if ((byte & 0x80U) == 0) {
        // A zero final group after the first byte means a longer-than-needed encoding; rejecting
        // it keeps one value <-> one byte string, so encodings can be compared and hashed.
        if (byte == 0 && shift != 0) fail("non-canonical (overlong) varint");
        return v;
      }
    }
  }
  std::int64_t get_signed() {
    const std::uint64_t u = get_varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::uint8_t get_u8() { return next_byte("byte"); }
  bool get_bool() {
    const std::uint8_t b = next_byte("bool");
    if (b > 1) fail("bool byte must be 0 or 1, got " + std::to_string(b));
    return b == 1;
  }
  template <std::unsigned_integral U>
  U get_fixed() {
    const std::string_view raw = get_raw(sizeof(U), "fixed-width integer");
    U v = 0;
    for (std::size_t i = sizeof(U); i-- > 0;) {
      if constexpr (sizeof(U) > 1) v = static_cast<U>(v << 8);
      v = static_cast<U>(v | static_cast<unsigned char>(raw[i]));
    }
    return v;
  }
  float get_float() { return std::bit_cast<float>(get_fixed<std::uint32_t>()); }
  double get_double() { return std::bit_cast<double>(get_fixed<std::uint64_t>()); }

  std::string_view get_bytes() {
    const std::uint64_t n = get_varint();
    if (n > remaining()) {
      fail("length " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
           " bytes left");
    }
    return get_raw(static_cast<std::size_t>(n), "bytes");
  }
  std::string get_string() { return std::string(get_bytes()); }
  std::string_view get_raw(std::size_t n, const char* what = "raw bytes") {
    if (n > remaining()) {
      fail(std::string("truncated input reading ") + what + " (need " + std::to_string(n) +
           ", have " + std::to_string(remaining()) + ")");
    }
    const std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  // An element count: each element takes at least min_element_bytes, so a count that cannot fit
  // in what is left is corrupt (and must not drive a huge reserve()).
  std::size_t get_count(std::size_t min_element_bytes = 1) {
    const std::uint64_t n = get_varint();
    const std::size_t per = min_element_bytes == 0 ? 1 : min_element_bytes;
    if (n > remaining() / per) {
      fail("element count " + std::to_string(n) + " cannot fit in the " +
           std::to_string(remaining()) + " bytes left");
    }
    return static_cast<std::size_t>(n);
  }
  // Format tags let a decoder reject bytes that belong to a different type or format version.
  void expect_tag(std::uint8_t tag, const char* what) {
    const std::uint8_t got = next_byte("tag");
    if (got != tag) {
      fail(std::string("bad tag for ") + what + ": expected " + std::to_string(tag) + ", got " +
           std::to_string(got));
    }
  }
  void expect_end(const char* what) const {
    if (remaining() != 0) {
      fail(std::to_string(remaining()) + " trailing byte(s) after " + what);
    }
  }

  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  // The bytes read since position `start` (for canonical-form checks).
  std::string_view consumed_since(std::size_t start) const noexcept {
    return start <= pos_ ? bytes_.substr(start, pos_ - start) : std::string_view{};
  }
  std::size_t position() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ == bytes_.size(); }

  [[noreturn]] void fail(const std::string& why) const {
    throw DecodeError("rxsync: cannot decode: " + why + " at offset " + std::to_string(pos_) +
                      " of " + std::to_string(bytes_.size()));
  }

 private:
  std::uint8_t next_byte(const char* what) {
    if (pos_ >= bytes_.size()) fail(std::string("truncated input reading ") + what);
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// A type that writes itself into a BinaryWriter and reads itself back (every CRDT does).
template <class T>
concept BinarySerializable = requires(const T& v, BinaryWriter& w, BinaryReader& r) {
  v.encode_to(w);
  { T::decode_from(r) } -> std::same_as<T>;
};

namespace detail {

template <class T>
struct IsDuration : std::false_type {};
template <class R, class P>
struct IsDuration<std::chrono::duration<R, P>> : std::bool_constant<std::is_integral_v<R>> {};
template <class T>
struct IsTimePoint : std::false_type {};
template <class C, class D>
struct IsTimePoint<std::chrono::time_point<C, D>> : IsDuration<D> {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};

// long double differs between platforms (x87 80-bit, IEEE quad, plain double) and has padding,
// so it is written portably: class tag, sign, binary exponent and 32-bit mantissa chunks.
inline constexpr int kLongDoubleChunks = (std::numeric_limits<long double>::digits + 31) / 32;

inline void put_long_double(BinaryWriter& w, long double v) {
  if (std::isnan(v)) {
    w.put_u8(std::signbit(v) ? 4 : 3);
    return;
  }
  if (std::isinf(v)) {
    w.put_u8(v < 0 ? 2 : 1);
    return;
  }
  w.put_u8(std::signbit(v) ? 5 : 0);
  int exponent = 0;
  long double m = std::frexp(std::fabs(v), &exponent);  // exact: scales by a power of two
  w.put_signed(exponent);
  for (int i = 0; i < kLongDoubleChunks; ++i) {
    m = std::ldexp(m, 32);
    const long double whole = std::floor(m);
    w.put_fixed(static_cast<std::uint32_t>(whole));
    m -= whole;
  }
}

inline long double get_long_double(BinaryReader& r) {
  const std::size_t start = r.position();
  const std::uint8_t cls = r.get_u8();
  long double v = 0;
  if (cls == 1 || cls == 2) {
    v = cls == 1 ? std::numeric_limits<long double>::infinity()
                 : -std::numeric_limits<long double>::infinity();
  } else if (cls == 3 || cls == 4) {
    v = cls == 3 ? std::numeric_limits<long double>::quiet_NaN()
                 : -std::numeric_limits<long double>::quiet_NaN();
  } else if (cls == 0 || cls == 5) {
    const std::int64_t exponent = r.get_signed();
    if (exponent < INT_MIN / 2 || exponent > INT_MAX / 2)
      r.fail("long double exponent out of range");
    long double m = 0;
    for (int i = 0; i < kLongDoubleChunks; ++i) {
      m += std::ldexp(static_cast<long double>(r.get_fixed<std::uint32_t>()), -32 * (i + 1));
    }
    v = std::ldexp(m, static_cast<int>(exponent));
    if (cls == 5) v = -v;
  } else {
    r.fail("bad long double class " + std::to_string(cls));
  }
  // Only the canonical encoding of the value is accepted (re-encoding must give the same bytes).
  BinaryWriter check;
  put_long_double(check, v);
  if (check.str() != r.consumed_since(start)) r.fail("non-canonical long double encoding");
  return v;
}

}  // namespace detail

// Writes one value in the compact nested form: varints for integers, length-prefixed strings,
// bit-exact floats, chrono values as their tick counts, optional/vector/pair recursively, and any
// BinarySerializable type through its encode_to().
template <class T>
void write_value(BinaryWriter& w, const T& v) {
  if constexpr (BinarySerializable<T>) {
    v.encode_to(w);
  } else if constexpr (std::is_same_v<T, bool>) {
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
    detail::put_long_double(w, v);
  } else if constexpr (std::is_enum_v<T>) {
    write_value(w, static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    w.put_string(std::string_view(v));
  } else if constexpr (detail::IsDuration<T>::value) {
    write_value(w, v.count());
  } else if constexpr (detail::IsTimePoint<T>::value) {
    write_value(w, v.time_since_epoch().count());
  } else if constexpr (detail::IsOptional<T>::value) {
    w.put_bool(v.has_value());
    if (v) write_value(w, *v);
  } else if constexpr (detail::IsVector<T>::value) {
    w.put_varint(v.size());
    for (const auto& e : v) write_value(w, e);
  } else if constexpr (detail::IsPair<T>::value) {
    write_value(w, v.first);
    write_value(w, v.second);
  } else {
    static_assert(sizeof(T) == 0,
                  "rxsync::write_value: no binary form for this type; give it "
                  "`void encode_to(rxsync::BinaryWriter&) const` and "
                  "`static T decode_from(rxsync::BinaryReader&)`");
  }
}

template <class T>
T read_value(BinaryReader& r) {
  if constexpr (BinarySerializable<T>) {
    return T::decode_from(r);
  } else if constexpr (std::is_same_v<T, bool>) {
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
    return detail::get_long_double(r);
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<T>(read_value<std::underlying_type_t<T>>(r));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return r.get_string();
  } else if constexpr (detail::IsDuration<T>::value) {
    return T(read_value<typename T::rep>(r));
  } else if constexpr (detail::IsTimePoint<T>::value) {
    return T(typename T::duration(read_value<typename T::rep>(r)));
  } else if constexpr (detail::IsOptional<T>::value) {
    if (!r.get_bool()) return T{};
    return T(read_value<typename T::value_type>(r));
  } else if constexpr (detail::IsVector<T>::value) {
    const std::size_t n = r.get_count();
    T out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(read_value<typename T::value_type>(r));
    return out;
  } else if constexpr (detail::IsPair<T>::value) {
    auto first = read_value<typename T::first_type>(r);
    auto second = read_value<typename T::second_type>(r);
    return T(std::move(first), std::move(second));
  } else {
    static_assert(sizeof(T) == 0,
                  "rxsync::read_value: no binary form for this type; give it "
                  "`void encode_to(rxsync::BinaryWriter&) const` and "
                  "`static T decode_from(rxsync::BinaryReader&)`");
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

namespace detail {
template <class T>
concept Arithmetic = std::is_arithmetic_v<T>;
template <class T>
concept SerializableObject = BinarySerializable<T> && !std::is_arithmetic_v<T>;
}  // namespace detail

// The codec used when none is given. Top-level forms:
//   std::string          the bytes themselves (any byte string is a valid string);
//   bool                 one byte, 0 or 1;
//   integers, char types exactly sizeof(T) bytes, little-endian two's complement;
//   float, double        the IEEE bits, little-endian (bit-exact);
//   long double          the portable nested form above;
//   BinarySerializable   its encode_to() bytes (CRDTs, Versioned records...).
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

  template <detail::SerializableObject T>
  static std::string encode(const T& v) {
    BinaryWriter w;
    v.encode_to(w);
    return std::move(w).take();
  }
  template <detail::SerializableObject T>
  static T decode(std::string_view bytes, T*) {
    BinaryReader r(bytes);
    T v = T::decode_from(r);
    r.expect_end("encoded value");
    return v;
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
