// rxsync/sync/digest.hpp - a fingerprint of a whole synced state, equal on every replica that
// holds the same keys and values.
//
// Devices and servers print it as the digest line, "digest: <32 hex digits>", to check that they
// converged. It is an equality check, not a security measure: the hash is keyed with a public
// constant, so anyone can build two states with the same digest on purpose.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

// SipHash-2-4 with its 128-bit output (Aumasson and Bernstein), fed incrementally. Chosen over a
// home-made mix because it is specified and has published test vectors, so another
// implementation (a server in another language) can reproduce a digest bit for bit.
class SipHash128 {
 public:
  SipHash128(std::uint64_t k0, std::uint64_t k1) noexcept
      : v0_(k0 ^ 0x736f6d6570736575ULL),
        v1_(k1 ^ 0x646f72616e646f6dULL ^ 0xeeULL),
        v2_(k0 ^ 0x6c7967656e657261ULL),
        v3_(k1 ^ 0x7465646279746573ULL) {}

  void update(std::string_view bytes) noexcept {
    for (const char c : bytes) {
      tail_ |= std::uint64_t{static_cast<unsigned char>(c)} << (8 * (length_ % 8));
      ++length_;
      if (length_ % 8 == 0) {
        compress(tail_);
        tail_ = 0;
      }
    }
  }

  // The 16 output bytes in the reference implementation's order (two little-endian words).
  std::array<std::uint8_t, 16> finish() const noexcept {
    SipHash128 s = *this;  // finishing does not end the stream
    s.compress(s.tail_ | (s.length_ << 56));
    s.v2_ ^= 0xee;
    s.rounds(4);
    const std::uint64_t lo = s.v0_ ^ s.v1_ ^ s.v2_ ^ s.v3_;
    s.v1_ ^= 0xdd;
    s.rounds(4);
    const std::uint64_t hi = s.v0_ ^ s.v1_ ^ s.v2_ ^ s.v3_;
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 8; ++i) {
      out[i] = static_cast<std::uint8_t>(lo >> (8 * i));
      out[8 + i] = static_cast<std::uint8_t>(hi >> (8 * i));
    }
    return out;
  }

 private:
  void compress(std::uint64_t m) noexcept {
    v3_ ^= m;
    rounds(2);
    v0_ ^= m;
  }
  void rounds(int n) noexcept {
    for (int i = 0; i < n; ++i) {
      v0_ += v1_;
      v1_ = std::rotl(v1_, 13) ^ v0_;
      v0_ = std::rotl(v0_, 32);
      v2_ += v3_;
      v3_ = std::rotl(v3_, 16) ^ v2_;
      v0_ += v3_;
      v3_ = std::rotl(v3_, 21) ^ v0_;
      v2_ += v1_;
      v1_ = std::rotl(v1_, 17) ^ v2_;
      v2_ = std::rotl(v2_, 32);
    }
  }

  std::uint64_t v0_, v1_, v2_, v3_;
  std::uint64_t tail_ = 0;    // bytes not yet compressed, little-endian
  std::uint64_t length_ = 0;  // total bytes; only its low 8 bits reach the hash, as specified
};

// The SipHash key: the 16 ASCII bytes "rxsync-digest-v1" as two little-endian words. A new
// digest format would take a new key, so digests of two formats never match by accident.
constexpr std::uint64_t little_endian_word(std::string_view eight) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(eight[i])} << (8 * i);
  return v;
}
inline constexpr std::uint64_t kDigestKey0 = little_endian_word("rxsync-d");
inline constexpr std::uint64_t kDigestKey1 = little_endian_word("igest-v1");

}  // namespace detail

// Hashes a state entry by entry: SipHash-2-4-128 (key above) over, for each entry in ascending
// unsigned-byte order of its encoded key, varint(key size), key, varint(value size), value. The
// length prefixes make every split between key and value, and between entries, unambiguous.
// Entries must come in strictly ascending key order (add() checks it), so the same state always
// gives the same bytes to hash. A plain value type; not thread-safe.
class StateDigest {
 public:
  StateDigest() noexcept : hash_(detail::kDigestKey0, detail::kDigestKey1) {}

  // Throws std::invalid_argument when encoded_key is not greater than the previous key.
  void add(std::string_view encoded_key, std::string_view encoded_value) {
    if (count_ > 0 && !(std::string_view(last_key_) < encoded_key)) {
      throw std::invalid_argument(
          "StateDigest::add: keys must come in strictly ascending byte order; key of " +
          std::to_string(encoded_key.size()) + " byte(s) after one of " +
          std::to_string(last_key_.size()) + (encoded_key == last_key_ ? " (a duplicate)" : ""));
    }
    last_key_.assign(encoded_key);
    ++count_;
    put_part(encoded_key);
    put_part(encoded_value);
  }

  std::size_t size() const noexcept { return count_; }

  // 32 lowercase hex digits: the 16 SipHash output bytes in reference order.
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (const std::uint8_t b : hash_.finish()) {
      out.push_back(kDigits[b >> 4]);
      out.push_back(kDigits[b & 0x0f]);
    }
    return out;
  }

  // "digest: <hex>", the line the networked programs print.
  std::string digest_line() const { return "digest: " + hex(); }

 private:
  void put_part(std::string_view bytes) {
    BinaryWriter w(10);
    w.put_varint(bytes.size());
    hash_.update(w.str());
    hash_.update(bytes);
  }

  detail::SipHash128 hash_;
  std::string last_key_;
  std::size_t count_ = 0;
};

// The digest line of a whole state given as (key, value) pairs in any order (a std::map, an
// unordered_map, a vector of pairs): each is encoded with Codec, sorted by encoded key and
// hashed. Two pairs whose keys encode alike throw std::invalid_argument (not a state).
template <class Codec, class Range>
std::string digest_of(const Range& key_value_pairs) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [key, value] : key_value_pairs) {
    static_assert(check_codec<Codec, std::decay_t<decltype(key)>>());
    static_assert(check_codec<Codec, std::decay_t<decltype(value)>>());
    encoded.emplace_back(Codec::encode(key), Codec::encode(value));
  }
  // std::string orders as unsigned bytes (char_traits<char>::lt compares as unsigned char),
  // which is the order StateDigest wants.
  std::sort(encoded.begin(), encoded.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  StateDigest d;
  for (const auto& [key, value] : encoded) d.add(key, value);
  return d.digest_line();
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
