// rxsync/codec/binary.hpp - the bounds-checked binary format: BinaryWriter, BinaryReader and
// DecodeError.
//
// Everything that crosses storage or the network is bytes written here. Decoding never trusts its
// input: an overrun, an overlong or non-canonical varint, or a length larger than what is left
// raises rxsync::DecodeError, so corrupt data is reported instead of crashing or allocating wildly.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <rxsync/codec/fwd.hpp>
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

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
