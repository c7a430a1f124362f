// rxsync/codec/record.hpp - the binary form of RXSYNC_RECORD records: format 1, a tag, the field
// count, then every field length-prefixed in declaration order.
//
// Length prefixes are what make the form versioned: a reader steps over fields it does not know
// (written by a newer app version) and leaves fields the bytes do not have (an older one) at their
// default, so records survive app upgrades and downgrades in both directions.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/crdt/record.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// 'r': format 1 of RXSYNC_RECORD. A future incompatible layout gets another tag.
inline constexpr std::uint8_t kRecordTag = 0x72;

template <class T>
concept Record = requires(const T& v) {
  { T::rxsync_field_count } -> std::convertible_to<std::size_t>;
  { T::rxsync_record_name() } -> std::convertible_to<const char*>;
};

// A field the macro's static_assert has already reported (no merge) is not reported twice.
template <class F>
inline constexpr bool kRecordFieldEncodable = !RecordMergeable<F> || BinarySerializable<F>;

// Reads the fields of one record in order: a field the encoding does not have (an older writer)
// keeps its default value, fields past the known ones (a newer writer) are skipped. Every error
// becomes a DecodeError naming the record (and the field).
class RecordReader {
 public:
  RecordReader(BinaryReader& r, const char* record, std::size_t known)
      : r_(r), record_(record), known_(known) {
    try {
      const std::size_t at = r_.position();
      if (const std::uint8_t tag = r_.get_u8(); tag != kRecordTag) {
        throw DecodeError("rxsync: cannot decode: bad tag: expected " + std::to_string(kRecordTag) +
                          " (RXSYNC_RECORD format 1), got " + std::to_string(tag) + " at offset " +
                          std::to_string(at));
      }
      count_ = r_.get_count(1);  // every field takes at least its length byte
    } catch (const DecodeError& e) {
      rethrow(e, "");
    }
  }

  template <class F>
  void read(F& field, const char* name) {
    const std::size_t index = index_++;
    if (index >= count_) return;  // written before this field existed: keep the default
    const std::size_t at = r_.position();
    try {
      const std::string_view bytes = r_.get_bytes();
      if constexpr (BinarySerializable<F>) {
        BinaryReader one(bytes);
        F value = read_value<F>(one);
        one.expect_end(name);
        field = std::move(value);
      }
    } catch (const DecodeError& e) {
      rethrow(e, ", field '" + std::string(name) + "' (" + std::to_string(index + 1) + " of " +
                     std::to_string(count_) + " in the encoding, at offset " + std::to_string(at) +
                     ")");
    }
  }

  void skip_unknown_fields() {
    try {
      for (std::size_t i = known_; i < count_; ++i) (void)r_.get_bytes();
    } catch (const DecodeError& e) {
      rethrow(e, ", a field this version does not know");
    }
  }

 private:
  [[noreturn]] void rethrow(const DecodeError& e, const std::string& where) const {
    constexpr std::string_view prefix = "rxsync: cannot decode: ";
    std::string why = e.what();
    if (why.compare(0, prefix.size(), prefix) == 0) why.erase(0, prefix.size());
    throw DecodeError(std::string(prefix) + "record " + record_ + where + ": " + why);
  }

  BinaryReader& r_;
  const char* record_;
  std::size_t known_;
  std::size_t count_ = 0;
  std::size_t index_ = 0;
};

struct RecordFieldWriter {
  template <class F>
  static constexpr bool accepts = kRecordFieldEncodable<F>;

  // Each field in its own length-prefixed frame, so that a reader that does not know the field
  // can step over it.
  template <class F>
  void operator()(const F& field, const char*) const {
    if constexpr (BinarySerializable<F>) {
      BinaryWriter one;
      write_value(one, field);
      w.put_bytes(one.str());
    }
  }
  BinaryWriter& w;
};

struct RecordFieldReader {
  template <class F>
  static constexpr bool accepts = kRecordFieldEncodable<F>;

  template <class F>
  void operator()(F& field, const char* name) const {
    in.read(field, name);
  }
  RecordReader& in;
};

}  // namespace detail

template <detail::Record T>
struct Serializer<T> {
  static void write(BinaryWriter& w, const T& v) {
    w.put_u8(detail::kRecordTag);
    w.put_varint(T::rxsync_field_count);
    v.rxsync_for_each_field(detail::RecordFieldWriter{w});
  }
  static T read(BinaryReader& r) {
    static_assert(std::is_default_constructible_v<T>,
                  "rxsync: RXSYNC_RECORD: the record must be default-constructible (decoding "
                  "starts from a default record, and fields missing from an older encoding keep "
                  "that value)");
    T out{};
    detail::RecordReader in(r, T::rxsync_record_name(), T::rxsync_field_count);
    out.rxsync_for_each_field(detail::RecordFieldReader{in});
    in.skip_unknown_fields();
    return out;
  }
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
