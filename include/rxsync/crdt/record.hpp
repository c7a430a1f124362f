// rxsync/crdt/record.hpp - RXSYNC_RECORD: declare a struct of CRDT fields once, and it merges,
// compares and encodes itself.
//
// The fields are listed once; the macro writes merge(), operator== and the codec hooks, so the
// record goes into DefaultCodec, an Outbox or a SyncService with no hand-written code. The
// encoding is versioned: every field is length-prefixed, so records written by an app version with
// fewer or more trailing fields still decode (docs/crdt.md, "Records: declaring a document once").
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <rxsync/storage/codec.hpp>
#include <rxsync/version.hpp>

// Declares, inside a struct or class whose fields are CRDTs:
//   void merge(const Record&);                            each field's own merge
//   friend bool operator==(const Record&, const Record&); field-wise
//   void encode_to(rxsync::BinaryWriter&) const;          DefaultCodec / write_value hooks
//   static Record decode_from(rxsync::BinaryReader&);
//   static constexpr std::size_t rxsync_field_count;
//
//   struct Note {
//     rxsync::LwwRegister<std::string> title;
//     rxsync::OrSet<std::string> tags;
//     rxsync::EnableWinsFlag<> pinned;
//     RXSYNC_RECORD(Note, title, tags, pinned)
//   };
//
// The first argument is the type's own name (inside a class template, its plain name); the
// generated members are public, and so is what follows the macro. Declare records at namespace or
// class scope (a local class cannot define the friend operator==, which is [[maybe_unused]] so
// that a record never compared in an unnamed namespace does not warn). Fields are encoded by
// position: add new fields only at the end, and never remove, reorder or retype one (renaming is
// free). Up to 86 fields. The record is a plain value type: not thread-safe, like its fields.
#define RXSYNC_RECORD(Record, ...)                                                               \
 public:                                                                                         \
  static constexpr std::size_t rxsync_field_count =                                              \
      0 RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_COUNT, Record, __VA_ARGS__);                 \
                                                                                                 \
  void merge(const Record& rxsync_other) {                                                       \
    (void)rxsync_other;                                                                          \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_MERGE, Record, __VA_ARGS__)                      \
  }                                                                                              \
                                                                                                 \
  [[maybe_unused]] friend bool operator==(const Record& rxsync_a, const Record& rxsync_b) {      \
    (void)rxsync_a;                                                                              \
    (void)rxsync_b;                                                                              \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_EQUAL, Record, __VA_ARGS__)                      \
    return true;                                                                                 \
  }                                                                                              \
                                                                                                 \
  void encode_to(::rxsync::BinaryWriter& rxsync_writer) const {                                  \
    ::rxsync::detail::record_begin(rxsync_writer, rxsync_field_count);                           \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_ENCODE, Record, __VA_ARGS__)                     \
  }                                                                                              \
                                                                                                 \
  static Record decode_from(::rxsync::BinaryReader& rxsync_reader) {                             \
    static_assert(std::is_default_constructible_v<Record>,                                       \
                  "rxsync: RXSYNC_RECORD(" #Record                                               \
                  "): the record must be default-constructible (decoding starts from a "         \
                  "default record, and fields missing from an older encoding keep that value)"); \
    Record rxsync_out{};                                                                         \
    ::rxsync::detail::RecordReader rxsync_in(rxsync_reader, #Record, rxsync_field_count);        \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_DECODE, Record, __VA_ARGS__)                     \
    rxsync_in.skip_unknown_fields();                                                             \
    return rxsync_out;                                                                           \
  }

// ---- per-field pieces --------------------------------------------------------------------------

#define RXSYNC_DETAIL_RECORD_COUNT(Record, field) +1

#define RXSYNC_DETAIL_RECORD_MERGE(Record, field)                                                  \
  static_assert(::rxsync::detail::RecordMergeable<decltype(field)>,                                \
                "rxsync: RXSYNC_RECORD(" #Record "): field '" #field                               \
                "' has no `void merge(const F&)`. Every field of a record must be a CRDT: wrap a " \
                "plain value in rxsync::LwwRegister<T> (last writer wins) or "                     \
                "rxsync::MaxRegister<T> (largest wins), use rxsync::OrSet<T> for a set and "       \
                "rxsync::EnableWinsFlag<> for a flag, or give the type a merge() that is "         \
                "commutative, associative and idempotent");                                        \
  ::rxsync::detail::record_merge_field(field, rxsync_other.field);

#define RXSYNC_DETAIL_RECORD_EQUAL(Record, field)                                           \
  static_assert(!::rxsync::detail::RecordMergeable<decltype(rxsync_a.field)> ||             \
                    std::equality_comparable<decltype(rxsync_a.field)>,                     \
                "rxsync: RXSYNC_RECORD(" #Record "): field '" #field                        \
                "' needs operator== (a SyncService compares values to tell real changes)"); \
  if (!::rxsync::detail::record_field_equal(rxsync_a.field, rxsync_b.field)) return false;

#define RXSYNC_DETAIL_RECORD_ENCODE(Record, field)                                             \
  static_assert(!::rxsync::detail::RecordMergeable<decltype(field)> ||                         \
                    ::rxsync::BinarySerializable<decltype(field)>,                             \
                "rxsync: RXSYNC_RECORD(" #Record "): field '" #field                           \
                "' needs the codec hooks `void encode_to(rxsync::BinaryWriter&) const` and "   \
                "`static F decode_from(rxsync::BinaryReader&)` (every rxsync CRDT has them)"); \
  ::rxsync::detail::record_write_field(rxsync_writer, field);

#define RXSYNC_DETAIL_RECORD_DECODE(Record, field) rxsync_in.read(rxsync_out.field, #field);

// ---- for each: applies macro(context, x) to every x, by rescanning (up to 86 arguments) --------

#define RXSYNC_DETAIL_PARENS ()
#define RXSYNC_DETAIL_EXPAND(...) \
  RXSYNC_DETAIL_EXPAND3(          \
      RXSYNC_DETAIL_EXPAND3(RXSYNC_DETAIL_EXPAND3(RXSYNC_DETAIL_EXPAND3(__VA_ARGS__))))
#define RXSYNC_DETAIL_EXPAND3(...) \
  RXSYNC_DETAIL_EXPAND2(           \
      RXSYNC_DETAIL_EXPAND2(RXSYNC_DETAIL_EXPAND2(RXSYNC_DETAIL_EXPAND2(__VA_ARGS__))))
#define RXSYNC_DETAIL_EXPAND2(...) \
  RXSYNC_DETAIL_EXPAND1(           \
      RXSYNC_DETAIL_EXPAND1(RXSYNC_DETAIL_EXPAND1(RXSYNC_DETAIL_EXPAND1(__VA_ARGS__))))
#define RXSYNC_DETAIL_EXPAND1(...) __VA_ARGS__
#define RXSYNC_DETAIL_FOR_EACH(macro, context, ...) \
  __VA_OPT__(RXSYNC_DETAIL_EXPAND(RXSYNC_DETAIL_FOR_EACH_STEP(macro, context, __VA_ARGS__)))
#define RXSYNC_DETAIL_FOR_EACH_STEP(macro, context, x, ...) \
  macro(context, x)                                         \
      __VA_OPT__(RXSYNC_DETAIL_FOR_EACH_AGAIN RXSYNC_DETAIL_PARENS(macro, context, __VA_ARGS__))
#define RXSYNC_DETAIL_FOR_EACH_AGAIN() RXSYNC_DETAIL_FOR_EACH_STEP

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// 'r': format 1 of RXSYNC_RECORD. A future incompatible layout gets another tag.
inline constexpr std::uint8_t kRecordTag = 0x72;

template <class F>
concept RecordMergeable = requires(F& into, const F& from) { into.merge(from); };

// The `if constexpr` guards keep a missing member to the macro's static_assert, instead of a
// second, less helpful error from the call.
template <class F>
void record_merge_field(F& into, const F& from) {
  if constexpr (RecordMergeable<F>) into.merge(from);
}
template <class F>
bool record_field_equal(const F& a, const F& b) {
  if constexpr (std::equality_comparable<F>) {
    return a == b;
  } else {
    return false;
  }
}

inline void record_begin(BinaryWriter& w, std::size_t fields) {
  w.put_u8(kRecordTag);
  w.put_varint(fields);
}
// Length-prefixed, so that a reader that does not know the field can step over it.
template <class F>
void record_write_field(BinaryWriter& w, const F& field) {
  if constexpr (BinarySerializable<F>) {
    BinaryWriter one;
    field.encode_to(one);
    w.put_bytes(one.str());
  }
}

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
        F value = F::decode_from(one);
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

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
