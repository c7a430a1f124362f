// rxsync/storage/detail/crc32c.hpp - CRC32C (Castagnoli), the checksum of every FileStorage record.
//
// Software slicing-by-8 over tables built on first use: portable, no CPU feature detection,
// about 1-2 GB/s, which is far below the cost of the fdatasync that follows every record. The
// tables are not built at compile time: evaluating them costs every TU that includes this header
// (the umbrella does) about as much as a small standard header, and a program builds them once in
// microseconds.
// CRC32C rather than CRC32 because it is what ext4, iSCSI, LevelDB and RocksDB use, so its
// error-detection properties on storage media are well studied; it detects every burst of up to
// 32 bits, hence every single damaged byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

inline constexpr std::uint32_t kCrc32cPolynomial = 0x82F63B78u;  // reflected 0x1EDC6F41

struct Crc32cTables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
};

inline Crc32cTables make_crc32c_tables() noexcept {
  Crc32cTables tables;
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1u) ? (c >> 1) ^ kCrc32cPolynomial : c >> 1;
    }
    tables.t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t i = 0; i < 256; ++i) {
      const std::uint32_t prev = tables.t[k - 1][i];
      tables.t[k][i] = (prev >> 8) ^ tables.t[0][prev & 0xFFu];
    }
  }
  return tables;
}

inline const Crc32cTables& crc32c_tables() noexcept {
  static const Crc32cTables tables = make_crc32c_tables();
  return tables;
}

}  // namespace detail

// Extends `crc` (the value returned for the preceding bytes; 0 to start) over `size` bytes, so a
// record's checksum can be computed over non-contiguous pieces:
//   crc32c_extend(crc32c_extend(0, a, na), b, nb) == crc32c(a followed by b).
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto& t = detail::crc32c_tables().t;
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  // Byte order independent: the 8-byte step assembles words from bytes explicitly.
  while (size >= 8) {
    const std::uint32_t lo =
        c ^ (static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
             static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    size -= 8;
  }
  while (size > 0) {
    c = (c >> 8) ^ t[0][(c ^ *p) & 0xFFu];
    ++p;
    --size;
  }
  return ~c;
}

inline std::uint32_t crc32c(std::string_view bytes) noexcept {
  return crc32c_extend(0, bytes.data(), bytes.size());
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
