// rxsync/storage/detail/file_log_format.hpp - the on-disk format of FileStorage's append-only log.
//
// Byte layout (all integers little-endian, see docs/storage.md):
//   file header, 16 bytes: magic "RXSYNCLG" (8) | format version u32 (= 1) | flags u32 (= 0)
//   record, 13 + key_len + value_len bytes:
//     crc32c u32 over everything after it | type u8 (1 put, 2 erase) | key_len u32 |
//     value_len u32 | key bytes | value bytes            (an erase has value_len 0)
// Parsing never trusts a length: a frame that would end past the end of the data is reported as
// torn before any byte of it is touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rxsync/storage/detail/crc32c.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail::file_log {

inline constexpr std::string_view kMagic{"RXSYNCLG", 8};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr std::size_t kRecordHeaderSize = 13;
inline constexpr std::uint64_t kMaxFieldSize = 0xFFFFFFFFu;

enum class RecordType : std::uint8_t { put = 1, erase = 2 };

inline void append_u32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v & 0xFFu), static_cast<char>((v >> 8) & 0xFFu),
                         static_cast<char>((v >> 16) & 0xFFu), static_cast<char>(v >> 24)};
  out.append(bytes, 4);
}

inline std::uint32_t load_u32(const char* p) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
         static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

inline std::string file_header() {
  std::string h(kMagic);
  append_u32(h, kVersion);
  append_u32(h, 0);
  return h;
}

// Size of the record that stores (key, value); the unit of live/garbage accounting.
constexpr std::uint64_t record_size(std::size_t key_size, std::size_t value_size) noexcept {
  return kRecordHeaderSize + static_cast<std::uint64_t>(key_size) + value_size;
}

// Appends one record to `out`. Field sizes must already be checked against kMaxFieldSize.
inline void append_record(std::string& out, RecordType type, std::string_view key,
                          std::string_view value) {
  const std::size_t start = out.size();
  append_u32(out, 0);  // crc placeholder
  out.push_back(static_cast<char>(type));
  append_u32(out, static_cast<std::uint32_t>(key.size()));
  append_u32(out, static_cast<std::uint32_t>(value.size()));
  out.append(key);
  out.append(value);
  const std::uint32_t crc = crc32c_extend(0, out.data() + start + 4, out.size() - start - 4);
  for (std::size_t i = 0; i < 4; ++i) {
    out[start + i] = static_cast<char>((crc >> (8 * i)) & 0xFFu);
  }
}

enum class HeaderStatus {
  ok,
  missing,      // empty, or a prefix of a valid header: a crash during creation
  not_a_log,    // wrong magic: some other file, never touched
  bad_version,  // written by a newer format
  bad_flags,
};

inline HeaderStatus check_header(std::string_view data) noexcept {
  if (data.size() < kFileHeaderSize) {
    const std::string expected = file_header();
    return std::string_view(expected).substr(0, data.size()) == data ? HeaderStatus::missing
                                                                     : HeaderStatus::not_a_log;
  }
  if (data.substr(0, kMagic.size()) != kMagic) {
    return HeaderStatus::not_a_log;
  }
  if (load_u32(data.data() + 8) != kVersion) {
    return HeaderStatus::bad_version;
  }
  if (load_u32(data.data() + 12) != 0) {
    return HeaderStatus::bad_flags;
  }
  return HeaderStatus::ok;
}

enum class ParseStatus {
  ok,
  torn,          // the frame (header or payload) runs past the end of the data
  bad_checksum,  // the frame fits but its checksum does not match
  bad_type,      // checksum matches but the type is unknown (or an erase carries a value)
};

struct RecordView {
  RecordType type = RecordType::put;
  std::uint8_t type_byte = 0;  // as stored; the only hint to what a bad_type frame holds
  std::string_view key;        // key and value are set whenever the checksum matches
  std::string_view value;
  std::uint64_t size = 0;  // whole frame; set whenever the frame fits (also for bad_*)
};

inline ParseStatus parse_record(std::string_view data, std::uint64_t offset, RecordView& out) {
  out = RecordView{};
  if (offset > data.size() || data.size() - offset < kRecordHeaderSize) {
    return ParseStatus::torn;
  }
  const std::uint64_t remaining = data.size() - offset;
  const char* p = data.data() + offset;
  const std::uint32_t stored_crc = load_u32(p);
  const auto type = static_cast<std::uint8_t>(p[4]);
  const std::uint64_t key_len = load_u32(p + 5);
  const std::uint64_t value_len = load_u32(p + 9);
  const std::uint64_t total = kRecordHeaderSize + key_len + value_len;  // no overflow in 64 bits
  if (total > remaining) {
    return ParseStatus::torn;
  }
  out.size = total;
  if (crc32c_extend(0, p + 4, static_cast<std::size_t>(total - 4)) != stored_crc) {
    return ParseStatus::bad_checksum;
  }
  out.type_byte = type;
  out.key = std::string_view(p + kRecordHeaderSize, static_cast<std::size_t>(key_len));
  out.value =
      std::string_view(p + kRecordHeaderSize + key_len, static_cast<std::size_t>(value_len));
  if (type == static_cast<std::uint8_t>(RecordType::put)) {
    out.type = RecordType::put;
  } else if (type == static_cast<std::uint8_t>(RecordType::erase) && value_len == 0) {
    out.type = RecordType::erase;
  } else {
    return ParseStatus::bad_type;
  }
  return ParseStatus::ok;
}

}  // namespace detail::file_log
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
