// Fuzz target: the decoders of every CRDT and merge record in rxsync/crdt/.
//
// Input: one selector byte, then encodings. The selector picks a type (modulo the table size)
// and a mode: one value, two or three values back to back.
// Types: VectorClock, LwwRegister, MaxRegister, MvRegister, GCounter, PNCounter, OrSet,
// RemoveWinsSet, OrMap, EnableWinsFlag, DisableWinsFlag, DotMap (the dot kernel with its causal
// context), ConversationState, Conversation, ChatThread, ChatMessage and Versioned records.
// Checks, for whatever decodes (anything else must throw rxsync::DecodeError):
//   - the encoding is canonical: encoding the values again gives the input bytes;
//   - the read accessors work (a counter's value may throw std::overflow_error, as documented);
//   - merging a value with itself or a copy of itself changes nothing;
//   - with two or three values: the merge is commutative, associative and absorbing where the
//     type promises it for any decodable state, the merged value encodes and decodes back to
//     itself, VectorClock's compare() agrees with its merge, and chat threads merge messages
//     into the union by id, ordered by (timestamp, id).
#include <rxsync/crdt/chat_thread.hpp>
#include <rxsync/crdt/conversation_state.hpp>
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/dot_context.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/merge.hpp>
#include <rxsync/crdt/or_map.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/sets.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/storage/codec.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace std::chrono_literals;
using rxsync::DecodeError;
using rxsync::TimePoint;
using rxsync_fuzz::hex;

// Which merge laws hold for *every* decodable state of a type, not only for states its
// mutators reach. Types whose dots carry a payload (DisableWinsFlag, RemoveWinsSet,
// DotMap<K, bool>) can decode the same dot with two payloads (an actor reused after losing its
// state); the merge then keeps the receiver's, so it is not commutative there.
enum Laws : unsigned {
  idempotent = 1,
  absorbing = 2,  // (a merge b) merge a == a merge b
  commutative = 4,
  associative = 8,
  lattice = idempotent | absorbing | commutative | associative,
};

using ConversationState = rxsync::ConversationState<>;
using VersionedConversation = rxsync::Versioned<rxsync::Conversation>;
using VersionedState = rxsync::Versioned<ConversationState>;

// How each type merges; the default is its merge() member.
template <class T>
struct MergeOf {
  static T apply(const T& a, const T& b) {
    T out = a;
    out.merge(b);
    return out;
  }
  static void self(T& a) { a.merge(a); }
};
template <class K, class P, class A>
struct MergeOf<rxsync::DotMap<K, P, A>> {
  using T = rxsync::DotMap<K, P, A>;
  static T apply(const T& a, const T& b) {
    T out = a;
    out.join(b);
    return out;
  }
  static void self(T& a) { a.join(a); }
};
template <>
struct MergeOf<VersionedConversation> {
  using T = VersionedConversation;
  static T apply(const T& a, const T& b) {
    return rxsync::resolve(a, b, rxsync::conversation_merger()).value;
  }
  static void self(T& a) { a = apply(a, a); }
};
template <>
struct MergeOf<VersionedState> {
  using T = VersionedState;
  static T apply(const T& a, const T& b) { return rxsync::resolve(a, b).value; }
  static void self(T& a) { a = apply(a, a); }
};
template <>
struct MergeOf<rxsync::ChatThread> {
  using T = rxsync::ChatThread;
  // Threads with different ids are a caller error, so both get the smaller id (which keeps
  // the merge symmetric).
  static T apply(const T& a, const T& b) {
    if (a.id == b.id) return rxsync::merge_chat_threads(std::nullopt, a, b).value;
    T x = a;
    T y = b;
    x.id = y.id = std::min(a.id, b.id);
    return rxsync::merge_chat_threads(std::nullopt, x, y).value;
  }
  static void self(T& a) { a = apply(a, a); }
};

template <class T>
constexpr bool has_merge =
    !std::is_same_v<T, rxsync::Conversation> && !std::is_same_v<T, rxsync::ChatMessage>;

template <class T>
std::string encode(const T& v) {
  return rxsync::encode_value(v);
}

// Reads every accessor, and checks the ones whose answers must agree with each other.
template <class T>
void touch(const T& v) {
  if constexpr (requires { v.value(); }) {
    try {
      (void)v.value();
    } catch (const std::overflow_error&) {  // counters whose sum does not fit
    }
  }
  if constexpr (requires { v.values(); }) {
    const auto values = v.values();
    if constexpr (requires { v.contains(*values.begin()); }) {
      for (const auto& x : values) RXSYNC_FUZZ_CHECK(v.contains(x), "values() has an absent value");
    }
    if constexpr (requires { v.size(); }) {
      RXSYNC_FUZZ_CHECK(values.size() == v.size(), "values() and size() disagree");
    }
  }
  if constexpr (requires { v.keys(); }) {
    for (const auto& k : v.keys()) RXSYNC_FUZZ_CHECK(v.find(k) != nullptr, "key without value");
  }
  if constexpr (requires { v.snapshot(); }) (void)v.snapshot();
  if constexpr (requires { v.compare(v); }) {
    RXSYNC_FUZZ_CHECK(v.compare(v) == rxsync::Causality::equal, "a clock is not equal to itself");
    for (std::size_t i = 0; i < v.entries().size(); ++i) {
      const auto& [actor, counter] = v.entries()[i];
      RXSYNC_FUZZ_CHECK(counter != 0 && v.get(actor) == counter, "bad clock entry");
      RXSYNC_FUZZ_CHECK(i == 0 || v.entries()[i - 1].first < actor, "clock entries out of order");
    }
  }
}

rxsync::Causality mirror(rxsync::Causality c) {
  using rxsync::Causality;
  return c == Causality::before ? Causality::after : c == Causality::after ? Causality::before : c;
}

// The messages merge_chat_threads must produce: per id the greatest copy (by timestamp, then
// by operator<), ordered by (timestamp, id).
std::vector<rxsync::ChatMessage> expected_messages(const rxsync::ChatThread& a,
                                                   const rxsync::ChatThread& b) {
  std::map<std::string, rxsync::ChatMessage> by_id;
  for (const auto* side : {&a.messages, &b.messages}) {
    for (const auto& m : *side) {
      auto [it, inserted] = by_id.emplace(m.id, m);
      if (!inserted && it->second < m) it->second = m;
    }
  }
  std::vector<rxsync::ChatMessage> out;
  for (auto& [id, m] : by_id) out.push_back(std::move(m));
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.timestamp, x.id) < std::tie(y.timestamp, y.id);
  });
  return out;
}

// A chat thread keeps its messages ordered by (timestamp, id), each id once, but the struct
// and its decoder leave that to the caller; merging puts any thread into that form, so only a
// thread already in it merges with itself unchanged.
template <class T>
bool in_normal_form(const T&) {
  return true;
}
template <>
bool in_normal_form(const rxsync::ChatThread& t) {
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    const auto& m = t.messages[i];
    if (!ids.insert(m.id).second) return false;
    if (i > 0 && !(std::tie(t.messages[i - 1].timestamp, t.messages[i - 1].id) <
                   std::tie(m.timestamp, m.id))) {
      return false;
    }
  }
  return true;
}

template <class T, unsigned laws>
void check_single(const T& a) {
  touch(a);
  if constexpr (has_merge<T>) {
    if constexpr ((laws & idempotent) != 0) {
      if (!in_normal_form(a)) return;
      RXSYNC_FUZZ_CHECK(MergeOf<T>::apply(a, a) == a,
                        "merging a copy changed the value " + hex(encode(a)));
      T self = a;
      MergeOf<T>::self(self);
      RXSYNC_FUZZ_CHECK(self == a, "merging with itself changed the value " + hex(encode(a)));
    }
  }
}

template <class T, unsigned laws>
void check_pair(const T& a, const T& b) {
  if constexpr (has_merge<T>) {
    const T ab = MergeOf<T>::apply(a, b);
    touch(ab);
    const std::string ab_bytes = encode(ab);
    try {
      RXSYNC_FUZZ_CHECK(rxsync::decode_value<T>(ab_bytes) == ab, "merged value changed in transit");
    } catch (const DecodeError& e) {
      RXSYNC_FUZZ_CHECK(false, "a merged value does not decode: " + std::string(e.what()) +
                                   "; merged " + hex(encode(a)) + " with " + hex(encode(b)));
    }
    if constexpr ((laws & commutative) != 0) {
      RXSYNC_FUZZ_CHECK(
          MergeOf<T>::apply(b, a) == ab,
          "merge is not commutative for " + hex(encode(a)) + " and " + hex(encode(b)));
    }
    if constexpr ((laws & absorbing) != 0) {
      RXSYNC_FUZZ_CHECK(
          MergeOf<T>::apply(ab, a) == ab && MergeOf<T>::apply(ab, b) == ab,
          "merging again changed the result for " + hex(encode(a)) + " and " + hex(encode(b)));
    }
    if constexpr ((laws & idempotent) != 0) {
      RXSYNC_FUZZ_CHECK(MergeOf<T>::apply(ab, ab) == ab, "a merged value is not idempotent");
    }
    if constexpr (std::is_same_v<T, rxsync::ChatThread>) {
      RXSYNC_FUZZ_CHECK(ab.messages == expected_messages(a, b),
                        "merged messages are not the ordered union by id");
      RXSYNC_FUZZ_CHECK(in_normal_form(ab), "a merged thread is not in normal form");
    }
    if constexpr (requires { a.compare(b); }) {
      const auto ab_order = a.compare(b);
      RXSYNC_FUZZ_CHECK(b.compare(a) == mirror(ab_order), "compare() is not antisymmetric");
      RXSYNC_FUZZ_CHECK((ab_order == rxsync::Causality::equal) == (a == b),
                        "compare() says equal for different clocks, or the reverse");
      RXSYNC_FUZZ_CHECK(a.dominated_by(b) == (ab == b), "compare() disagrees with merge()");
    }
  }
}

template <class T, unsigned laws>
void check_triple(const T& a, const T& b, const T& c) {
  if constexpr (has_merge<T> && (laws & associative) != 0) {
    const T left = MergeOf<T>::apply(MergeOf<T>::apply(a, b), c);
    const T right = MergeOf<T>::apply(a, MergeOf<T>::apply(b, c));
    RXSYNC_FUZZ_CHECK(left == right, "merge is not associative for " + hex(encode(a)) + ", " +
                                         hex(encode(b)) + " and " + hex(encode(c)));
  }
}

// mode 0: one value; 1: two; 2: three. Every value is read with read_value (the nested form),
// which is also how DefaultCodec and containers read them.
template <class T, unsigned laws>
void run(std::string_view bytes, unsigned mode) {
  std::vector<T> values;
  try {
    rxsync::BinaryReader r(bytes);
    for (unsigned i = 0; i <= mode; ++i) values.push_back(rxsync::read_value<T>(r));
    r.expect_end("fuzz values");
  } catch (const DecodeError&) {
    return;
  }
  std::string again;
  for (const auto& v : values) again += encode(v);
  RXSYNC_FUZZ_CHECK(again == bytes, "decoded " + hex(bytes) + ", re-encoded " + hex(again));
  for (const auto& v : values) check_single<T, laws>(v);
  if (mode >= 1) check_pair<T, laws>(values[0], values[1]);
  if (mode >= 2) check_triple<T, laws>(values[0], values[1], values[2]);
}

struct Decoder {
  std::string_view name;
  void (*run)(std::string_view, unsigned);
};

using Str = std::string;
constexpr unsigned payload_laws = idempotent | absorbing;
constexpr unsigned versioned_laws = idempotent | absorbing | commutative;

// The selector indexes this table (modulo its size, times 3 for the mode); append new types at
// the end so that the committed corpus keeps meaning what it meant.
constexpr Decoder decoders[] = {
    {"vector_clock", &run<rxsync::VectorClock<Str>, lattice>},
    {"vector_clock_u64", &run<rxsync::VectorClock<std::uint64_t>, lattice>},
    {"lww_string", &run<rxsync::LwwRegister<Str>, lattice>},
    {"lww_int64_u64", &run<rxsync::LwwRegister<std::int64_t, std::uint64_t>, lattice>},
    {"max_u64", &run<rxsync::MaxRegister<std::uint64_t>, lattice>},
    {"max_time_point", &run<rxsync::MaxRegister<TimePoint>, lattice>},
    {"max_string", &run<rxsync::MaxRegister<Str>, lattice>},
    {"mv_u64", &run<rxsync::MvRegister<std::uint64_t>, lattice>},
    {"mv_string", &run<rxsync::MvRegister<Str>, lattice>},
    {"g_counter", &run<rxsync::GCounter<Str>, lattice>},
    {"pn_counter", &run<rxsync::PNCounter<Str>, lattice>},
    {"or_set", &run<rxsync::OrSet<Str>, lattice>},
    {"or_set_i64_u64", &run<rxsync::OrSet<std::int64_t, std::uint64_t>, lattice>},
    {"remove_wins_set", &run<rxsync::RemoveWinsSet<Str>, payload_laws>},
    {"or_map_g_counter", &run<rxsync::OrMap<Str, rxsync::GCounter<Str>>, lattice>},
    {"or_map_lww", &run<rxsync::OrMap<Str, rxsync::LwwRegister<Str>>, lattice>},
    {"enable_wins", &run<rxsync::EnableWinsFlag<Str>, lattice>},
    {"disable_wins", &run<rxsync::DisableWinsFlag<Str>, payload_laws>},
    {"dot_map_unit", &run<rxsync::DotMap<Str, rxsync::detail::Unit>, lattice>},
    {"dot_map_bool", &run<rxsync::DotMap<Str, bool>, payload_laws>},
    {"conversation_state", &run<ConversationState, lattice>},
    {"conversation", &run<rxsync::Conversation, 0>},
    {"chat_thread", &run<rxsync::ChatThread, idempotent | commutative>},
    {"chat_message", &run<rxsync::ChatMessage, 0>},
    {"versioned_conversation", &run<VersionedConversation, versioned_laws>},
    {"versioned_state", &run<VersionedState, versioned_laws>},
};
constexpr std::size_t decoder_count = sizeof(decoders) / sizeof(decoders[0]);
static_assert(decoder_count * 3 <= 256, "the selector is one byte");

int run_one(std::string_view input) {
  if (input.empty()) return 0;
  const std::size_t selector = static_cast<std::uint8_t>(input[0]) % (decoder_count * 3);
  const auto& decoder = decoders[selector % decoder_count];
  try {
    decoder.run(input.substr(1), static_cast<unsigned>(selector / decoder_count));
  } catch (...) {
    rxsync_fuzz::unexpected_exception(decoder.name.data());
  }
  return 0;
}

// ---- seeds -------------------------------------------------------------------------------------

// Three replicas' values of one type, edited concurrently; seeds hold one, two or three of them.
template <class T>
struct Replicas {
  T a, b, c;
};

const TimePoint t1 = TimePoint(1s);
const TimePoint t2 = TimePoint(2s);

template <class Make>
auto replicas(Make make) {
  return Replicas<decltype(make(0))>{make(0), make(1), make(2)};
}

Str actor(int i) { return i == 0 ? "phone" : i == 1 ? "tablet" : "desktop"; }

std::vector<rxsync_fuzz::Seed> seeds() {
  std::vector<rxsync_fuzz::Seed> out;
  auto add = [&](std::string_view name, const auto& r) {
    std::size_t index = decoder_count;
    for (std::size_t i = 0; i < decoder_count; ++i) {
      if (decoders[i].name == name) index = i;
    }
    RXSYNC_FUZZ_CHECK(index < decoder_count, "no decoder named " + std::string(name));
    const std::string one = encode(r.a);
    const std::string two = one + encode(r.b);
    const std::string three = two + encode(r.c);
    out.push_back({std::string(name), static_cast<char>(index) + one});
    out.push_back({std::string(name) + "-2", static_cast<char>(index + decoder_count) + two});
    out.push_back({std::string(name) + "-3", static_cast<char>(index + 2 * decoder_count) + three});
  };

  add("vector_clock", Replicas<rxsync::VectorClock<Str>>{
                          {{"phone", 2}, {"tablet", 1}}, {{"phone", 1}, {"tablet", 3}}, {}});
  add("vector_clock_u64",
      Replicas<rxsync::VectorClock<std::uint64_t>>{{{1, 5}}, {{1, 5}, {7, 1}}, {{300, 1}}});
  add("lww_string", Replicas<rxsync::LwwRegister<Str>>{
                        {"title", t1, "phone"}, {"other", t1, "tablet"}, {"", t2, "desktop"}});
  add("lww_int64_u64", Replicas<rxsync::LwwRegister<std::int64_t, std::uint64_t>>{
                           {-5, t1, 1}, {7, t2, 2}, {0, TimePoint(-1s), 3}});
  add("max_u64", Replicas<rxsync::MaxRegister<std::uint64_t>>{
                     rxsync::MaxRegister<std::uint64_t>(3), rxsync::MaxRegister<std::uint64_t>(9),
                     rxsync::MaxRegister<std::uint64_t>(0)});
  add("max_time_point",
      Replicas<rxsync::MaxRegister<TimePoint>>{
          rxsync::MaxRegister<TimePoint>(t1), rxsync::MaxRegister<TimePoint>(t2), {}});
  add("max_string", Replicas<rxsync::MaxRegister<Str>>{
                        rxsync::MaxRegister<Str>("b"), rxsync::MaxRegister<Str>("ab"), {}});
  add("mv_u64", replicas([](int i) {
        rxsync::MvRegister<std::uint64_t> r;
        r.assign("phone", 1);
        if (i > 0) r.assign(actor(i), static_cast<std::uint64_t>(10 * i));
        return r;
      }));
  add("mv_string", replicas([](int i) {
        rxsync::MvRegister<Str> r;
        r.assign(actor(i), "draft " + std::to_string(i));
        return r;
      }));
  add("g_counter", replicas([](int i) {
        rxsync::GCounter<Str> c;
        c.increment("phone", 2);
        c.increment(actor(i), static_cast<std::uint64_t>(i + 1));
        return c;
      }));
  add("pn_counter", replicas([](int i) {
        rxsync::PNCounter<Str> c;
        c.increment(actor(i), 5);
        c.decrement(actor((i + 1) % 3), static_cast<std::uint64_t>(i));
        return c;
      }));
  add("or_set", replicas([](int i) {
        rxsync::OrSet<Str> s;
        s.add("phone", "pinned");
        s.add(actor(i), "tag" + std::to_string(i));
        if (i == 1) s.erase("pinned");
        return s;
      }));
  add("or_set_i64_u64", replicas([](int i) {
        rxsync::OrSet<std::int64_t, std::uint64_t> s;
        s.add(static_cast<std::uint64_t>(i), -i);
        s.add(9, 42);
        return s;
      }));
  add("remove_wins_set", replicas([](int i) {
        rxsync::RemoveWinsSet<Str> s;
        s.add("phone", "x");
        if (i == 1) s.erase(actor(i), "x");
        s.add(actor(i), "y" + std::to_string(i));
        return s;
      }));
  add("or_map_g_counter", replicas([](int i) {
        rxsync::OrMap<Str, rxsync::GCounter<Str>> m;
        m.update("phone", "unread", [](auto& c) { c.increment("phone"); });
        m.update(actor(i), "k" + std::to_string(i), [&](auto& c) { c.increment(actor(i), 3); });
        if (i == 2) m.erase("unread");
        return m;
      }));
  add("or_map_lww", replicas([](int i) {
        rxsync::OrMap<Str, rxsync::LwwRegister<Str>> m;
        m.update(actor(i), "title",
                 [&](auto& r) { r.assign("t" + std::to_string(i), t1, actor(i)); });
        m.update(actor(i), "draft/" + actor(i), [&](auto& r) { r.assign("d", t2, actor(i)); });
        return m;
      }));
  add("enable_wins", replicas([](int i) {
        rxsync::EnableWinsFlag<Str> f;
        f.enable("phone");
        if (i == 1) f.disable();
        if (i == 2) f.enable(actor(i));
        return f;
      }));
  add("disable_wins", replicas([](int i) {
        rxsync::DisableWinsFlag<Str> f;
        f.enable("phone");
        if (i == 1) f.disable(actor(i));
        return f;
      }));
  add("dot_map_unit", replicas([](int i) {
        rxsync::DotMap<Str, rxsync::detail::Unit> m;
        m.assign("a", actor(i), {});
        m.assign("b" + std::to_string(i), actor(i), {});
        return m;
      }));
  add("dot_map_bool", replicas([](int i) {
        rxsync::DotMap<Str, bool> m;
        m.assign("a", actor(i), i == 1);
        return m;
      }));
  add("conversation_state", replicas([](int i) {
        ConversationState s;
        s.pin("phone", t1);
        if (i == 1) s.unpin(t2);
        s.set_unread(actor(i), static_cast<std::uint64_t>(i + 2), t1);
        s.set_title(actor(i), "chat " + std::to_string(i), TimePoint(std::chrono::seconds(i)));
        if (i == 2) s.mute(actor(i), t2);
        return s;
      }));
  add("conversation", Replicas<rxsync::Conversation>{{true, false, 3, "family", t1},
                                                     {false, true, 0, "", t2},
                                                     {true, true, 1, "x", TimePoint(-1ms)}});
  add("chat_thread", replicas([](int i) {
        rxsync::ChatThread t{"thread/refactor", "Refactor", {}, 1};
        t.messages.push_back({"m1", t1, "user", "hi"});
        t.messages.push_back({"m" + std::to_string(i + 2), t2, "assistant", "reply " + actor(i)});
        if (i == 2) t.title = "Refactor plan";
        return t;
      }));
  add("chat_message",
      Replicas<rxsync::ChatMessage>{
          {"m1", t1, "user", "hello"}, {"m2", t2, "assistant", ""}, {"", {}, "", "no id"}});
  add("versioned_conversation", replicas([](int i) {
        VersionedConversation v;
        v.update("phone", [](auto& c) { c.title = "family"; });
        v.update(actor(i), [&](auto& c) {
          c.unread = static_cast<std::uint64_t>(i);
          c.last_modified = TimePoint(std::chrono::seconds(i));
        });
        return v;
      }));
  add("versioned_state", replicas([](int i) {
        VersionedState v;
        v.update("phone", [](auto& s) { s.pin("phone", t1); });
        v.update(actor(i), [&](auto& s) { s.set_title(actor(i), "t" + std::to_string(i), t2); });
        return v;
      }));
  return out;
}

}  // namespace

RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)
