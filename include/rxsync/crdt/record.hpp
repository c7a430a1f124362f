// rxsync/crdt/record.hpp - RXSYNC_RECORD: declare a struct of CRDT fields once, and it merges,
// compares and encodes itself.
//
// The fields are listed once; the macro writes merge(), operator== and a field visitor that
// <rxsync/codec/record.hpp> turns into the record's binary form, so the record goes into
// DefaultCodec, an Outbox or a SyncService with no hand-written code. The encoding is versioned:
// every field is length-prefixed, so records written by an app version with fewer or more trailing
// fields still decode (docs/crdt.md, "Records: declaring a document once").
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <rxsync/version.hpp>

// Declares, inside a struct or class whose fields are CRDTs:
//   void merge(const Record&);                            each field's own merge
//   friend bool operator==(const Record&, const Record&); field-wise
//   rxsync_for_each_field(visit), const and not           each field with its name, in order
//   static constexpr std::size_t rxsync_field_count;
//   static constexpr const char* rxsync_record_name();
// The binary form (DefaultCodec, write_value) comes from <rxsync/codec/record.hpp>, which the
// sync, net and cache headers and the umbrella header include.
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
#define RXSYNC_RECORD(Record, ...)                                                          \
 public:                                                                                    \
  static constexpr std::size_t rxsync_field_count =                                         \
      0 RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_COUNT, Record, __VA_ARGS__);            \
                                                                                            \
  void merge(const Record& rxsync_other) {                                                  \
    (void)rxsync_other;                                                                     \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_MERGE, Record, __VA_ARGS__)                 \
  }                                                                                         \
                                                                                            \
  [[maybe_unused]] friend bool operator==(const Record& rxsync_a, const Record& rxsync_b) { \
    (void)rxsync_a;                                                                         \
    (void)rxsync_b;                                                                         \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_EQUAL, Record, __VA_ARGS__)                 \
    return true;                                                                            \
  }                                                                                         \
                                                                                            \
  static constexpr const char* rxsync_record_name() noexcept { return #Record; }            \
                                                                                            \
  template <class RxsyncVisit>                                                              \
  void rxsync_for_each_field(RxsyncVisit&& rxsync_visit) const {                            \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_VISIT, Record, __VA_ARGS__)                 \
  }                                                                                         \
  template <class RxsyncVisit>                                                              \
  void rxsync_for_each_field(RxsyncVisit&& rxsync_visit) {                                  \
    RXSYNC_DETAIL_FOR_EACH(RXSYNC_DETAIL_RECORD_VISIT, Record, __VA_ARGS__)                 \
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

// The visitor says which field types it can handle (the codec: those with a binary form), so the
// error names the field; a field that cannot merge already has its own error above.
#define RXSYNC_DETAIL_RECORD_VISIT(Record, field)                                                \
  static_assert(std::remove_cvref_t<RxsyncVisit>::template accepts<decltype(field)>,             \
                "rxsync: RXSYNC_RECORD(" #Record "): field '" #field                             \
                "' has no binary form: every rxsync CRDT has one (#include "                     \
                "<rxsync/codec/crdt.hpp>); a type of yours needs rxsync_encode / rxsync_decode " \
                "functions or an rxsync::Serializer specialisation (docs/codec.md)");            \
  rxsync_visit(field, #field);

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

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
