// Tests for rxsync/sync/digest.hpp: the hash against its published vectors, and the properties
// the digest line promises (order independence, sensitivity, unambiguous boundaries).
#include <rxsync/sync/digest.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using rxsync::DefaultCodec;
using rxsync::StateDigest;

namespace {

std::string hex_of(const std::array<std::uint8_t, 16>& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t x : b) {
    out.push_back(kDigits[x >> 4]);
    out.push_back(kDigits[x & 0x0f]);
  }
  return out;
}

std::string counting_bytes(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::string digest_of_entries(const std::vector<std::pair<std::string, std::string>>& sorted) {
  StateDigest d;
  for (const auto& [k, v] : sorted) d.add(k, v);
  return d.hex();
}

}  // namespace

TEST_CASE("SipHash-2-4-128 matches the reference implementation's vectors") {
  // vectors_sip128 of the SipHash reference code: key 00..0f, message 00..(len-1).
  const std::vector<std::pair<std::size_t, std::string>> vectors = {
      {0, "a3817f04ba25a8e66df67214c7550293"},  {1, "da87c1d86b99af44347659119b22fc45"},
      {7, "a1f1ebbed8dbc153c0b84aa61ff08239"},  {8, "3b62a9ba6258f5610f83e264f31497b4"},
      {15, "5493e99933b0a8117e08ec0f97cfc3d9"}, {16, "6ee2a4ca67b054bbfd3315bf85230577"},
      {63, "5150d1772f50834a503e069a973fbd7c"},
  };
  const std::uint64_t k0 = 0x0706050403020100ULL;
  const std::uint64_t k1 = 0x0f0e0d0c0b0a0908ULL;
  for (const auto& [len, expected] : vectors) {
    CAPTURE(len);
    rxsync::detail::SipHash128 whole(k0, k1);
    whole.update(counting_bytes(len));
    CHECK(hex_of(whole.finish()) == expected);
    // Fed a byte at a time, with finish() in between: the same answer.
    rxsync::detail::SipHash128 bytewise(k0, k1);
    for (const char c : counting_bytes(len)) {
      (void)bytewise.finish();
      bytewise.update(std::string_view(&c, 1));
    }
    CHECK(hex_of(bytewise.finish()) == expected);
  }
}

TEST_CASE("the digest of an empty state is a fixed value") {
  const StateDigest empty;
  CHECK(empty.size() == 0);
  CHECK(empty.hex() == "aa347c802da9749de31602ef9fb89052");
  CHECK(empty.digest_line() == "digest: aa347c802da9749de31602ef9fb89052");
  CHECK(rxsync::digest_of<DefaultCodec>(std::map<std::string, std::string>{}) ==
        empty.digest_line());
}

TEST_CASE("the digest format is pinned: a known state has a known digest") {
  // Computed independently from the format's description (SipHash-2-4-128 keyed with
  // "rxsync-digest-v1" over varint-length-prefixed keys and values in key order).
  StateDigest d;
  d.add("conv/1", std::string(200, 'x'));  // a two-byte length prefix
  d.add(std::string("\x80", 1), "");
  CHECK(d.hex() == "05767f539c5b1e21b958e0b3951fa8a6");
  CHECK(digest_of_entries({{"ab", "c"}}) == "43bf0b78b33538d5f7926167905e3d51");
}

TEST_CASE("digest_of does not depend on the order of its input") {
  std::map<std::string, std::string> ordered;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    ordered["conv/" + std::to_string(rng() % 100000)] = std::string(rng() % 40, 'v');
  }
  ordered[std::string("\x80high", 5)] = "bytes above 0x7f sort after ASCII";
  std::vector<std::pair<std::string, std::string>> shuffled(ordered.begin(), ordered.end());
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const std::unordered_map<std::string, std::string> hashed(ordered.begin(), ordered.end());

  const std::string line = rxsync::digest_of<DefaultCodec>(ordered);
  CHECK(rxsync::digest_of<DefaultCodec>(shuffled) == line);
  CHECK(rxsync::digest_of<DefaultCodec>(hashed) == line);
  CHECK(line.rfind("digest: ", 0) == 0);
  CHECK(line.size() == 8 + 32);
  CHECK(line.find_first_not_of("0123456789abcdef", 8) == std::string::npos);
}

TEST_CASE("typed keys and values are hashed in their codec's encoding") {
  const std::map<std::uint32_t, double> typed{{1, 0.5}, {300, -2.0}};
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : typed)
    encoded.emplace_back(DefaultCodec::encode(k), DefaultCodec::encode(v));
  std::sort(encoded.begin(), encoded.end());
  CHECK(rxsync::digest_of<DefaultCodec>(typed) == "digest: " + digest_of_entries(encoded));
}

TEST_CASE("one changed byte in any key or value changes the digest") {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"alpha", "1"}, {"bravo", std::string("\0\0", 2)}, {"charlie", "hello"}};
  const std::string reference = digest_of_entries(base);
  for (std::size_t entry = 0; entry < base.size(); ++entry) {
    for (int part = 0; part < 2; ++part) {
      const std::string& field = part == 0 ? base[entry].first : base[entry].second;
      for (std::size_t at = 0; at < field.size(); ++at) {
        auto changed = base;
        std::string& target = part == 0 ? changed[entry].first : changed[entry].second;
        target[at] = static_cast<char>(target[at] ^ 0x01);
        std::sort(changed.begin(), changed.end());
        CAPTURE(entry, part, at);
        CHECK(digest_of_entries(changed) != reference);
      }
    }
  }
  // Dropping a value's byte, or a whole entry, changes it too.
  auto shorter = base;
  shorter[1].second.pop_back();
  CHECK(digest_of_entries(shorter) != reference);
  CHECK(digest_of_entries({base[0], base[2]}) != reference);
}

TEST_CASE("key and value boundaries are unambiguous") {
  CHECK(digest_of_entries({{"ab", "c"}}) != digest_of_entries({{"a", "bc"}}));
  CHECK(digest_of_entries({{"", "x"}}) != digest_of_entries({{"x", ""}}));
  // Two entries against one that holds the same bytes.
  CHECK(digest_of_entries({{"a", "b"}, {"c", "d"}}) != digest_of_entries({{"a", "bcd"}}));
  // A value that looks like a length prefix and the next entry.
  CHECK(digest_of_entries({{"k", std::string("\x01q\x01z", 4)}}) !=
        digest_of_entries({{"k", ""}, {"q", "z"}}));
}

TEST_CASE("StateDigest refuses keys out of order and duplicates") {
  StateDigest d;
  d.add("a", "1");
  d.add(std::string("\x80", 1), "2");  // unsigned order: 0x80 comes after 'a'
  CHECK(d.size() == 2);
  CHECK_THROWS_AS(d.add("b", "3"), std::invalid_argument);
  CHECK_THROWS_AS(d.add(std::string("\x80", 1), "again"), std::invalid_argument);
  CHECK(d.size() == 2);

  const std::vector<std::pair<std::string, std::string>> clash = {{"k", "1"}, {"k", "2"}};
  CHECK_THROWS_AS(rxsync::digest_of<DefaultCodec>(clash), std::invalid_argument);
}
