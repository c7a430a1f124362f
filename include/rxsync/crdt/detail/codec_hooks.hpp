// rxsync/crdt/detail/codec_hooks.hpp - the CRDTs' member hooks (encode_to, decode_from, encode,
// decode) and what they forward to (internal).
//
// The CRDTs' binary forms are Serializer specialisations in <rxsync/codec/crdt.hpp>: the CRDT
// headers do not include the codec. Their members only name the codec's types (declared here) and
// hand over to Serializer<T> where they are used; when the codec is not included there, a
// static_assert names the header to include.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <rxsync/fwd/codec/serializer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

class BinaryWriter;
class BinaryReader;

namespace detail {

// Whether the codec of one of rxsync's CRDTs is visible here. The Writer parameter keeps the
// question open until a member hook is used (it is BinaryWriter, complete only with the codec).
template <class T, class Writer>
concept CrdtCodecVisible =
    requires { sizeof(Writer); } && requires { typename Serializer<T>::rxsync_crdt_codec; };

// Kept to one line: the error a CRDT's member hook gives when the codec is not included.
#define RXSYNC_DETAIL_CRDT_CODEC_MISSING                                                     \
  "rxsync: encoding or decoding an rxsync CRDT needs #include <rxsync/codec/crdt.hpp> (the " \
  "umbrella <rxsync/rxsync.hpp> and the sync, net and cache headers include it)"

template <class T>
inline constexpr bool kCrdtCodecMissing = false;

// Each hook is one static_assert when the codec is missing, without follow-on errors.
template <class T, class Writer>
void crdt_write(Writer& w, const T& v) {
  if constexpr (CrdtCodecVisible<T, Writer>) {
    Serializer<T>::write(w, v);
  } else {
    static_assert(kCrdtCodecMissing<T>, RXSYNC_DETAIL_CRDT_CODEC_MISSING);
  }
}
template <class T, class Reader>
T crdt_read(Reader& r) {
  if constexpr (CrdtCodecVisible<T, Reader>) {
    return Serializer<T>::read(r);
  } else {
    static_assert(kCrdtCodecMissing<T>, RXSYNC_DETAIL_CRDT_CODEC_MISSING);
    return T{};  // not reached: keeps -Wreturn-type from adding an error
  }
}
template <class T, class Writer = BinaryWriter>
std::string crdt_encode(const T& v) {
  if constexpr (CrdtCodecVisible<T, Writer>) {
    Writer w;
    Serializer<T>::write(w, v);
    return std::move(w).take();
  } else {
    static_assert(kCrdtCodecMissing<T>, RXSYNC_DETAIL_CRDT_CODEC_MISSING);
    return std::string();  // not reached
  }
}
template <class T, class Reader = BinaryReader>
T crdt_decode(std::string_view bytes) {
  if constexpr (CrdtCodecVisible<T, Reader>) {
    Reader r(bytes);
    T v = Serializer<T>::read(r);
    r.expect_end("value");
    return v;
  } else {
    static_assert(kCrdtCodecMissing<T>, RXSYNC_DETAIL_CRDT_CODEC_MISSING);
    return T{};  // not reached
  }
}

// The member hooks every rxsync CRDT has, as a base: `x.encode()`, `T::decode(bytes)` and the
// encode_to / decode_from pair, each handing over to the CRDT's Serializer. One base keeps the
// eleven CRDTs from repeating them, and it is empty, so it adds nothing to their size.
template <class Crdt>
class CrdtCodecMembers {
 public:
  template <class Writer>
  void encode_to(Writer& w) const {
    crdt_write(w, self());
  }
  template <class Reader>
  static Crdt decode_from(Reader& r) {
    return crdt_read<Crdt>(r);
  }
  std::string encode() const { return crdt_encode(self()); }
  static Crdt decode(std::string_view bytes) { return crdt_decode<Crdt>(bytes); }

 private:
  const Crdt& self() const noexcept { return static_cast<const Crdt&>(*this); }
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
