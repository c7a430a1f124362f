// rxsync/crdt/merge.hpp - merging plain values: three-way merge, sequence union, record policies
// composed per field, and Versioned<T, Actor> resolution by vector clock.
//
// Free functions and small value types; all pure (thread-safe as long as the callables are).
#pragma once

#include <algorithm>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <rxsync/crdt/detail/codec_hooks.hpp>
#include <rxsync/crdt/vector_clock.hpp>
#include <rxsync/fwd/crdt/merge.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class T>
struct MergeResult {
  T value;
  bool conflict;  // true when both sides changed and a rule or fallback had to decide
};

// base: the last version both sides agreed on (nullopt when unknown). A side equal to the base
// did not change, so the other side wins; two equal sides agree; otherwise on_conflict(local,
// remote) decides and conflict is reported. on_conflict should be symmetric if the result must
// not depend on which side is "local".
template <class T, class Fallback>
MergeResult<T> three_way_merge(const std::optional<T>& base, const T& local, const T& remote,
                               Fallback&& on_conflict) {
  if (local == remote) return {local, false};
  if (base) {
    if (local == *base) return {remote, false};
    if (remote == *base) return {local, false};
  }
  return {static_cast<T>(std::invoke(std::forward<Fallback>(on_conflict), local, remote)), true};
}

namespace detail {

template <class T>
concept StdHashable = std::equality_comparable<T> && requires(const T& v) {
  { std::hash<T>{}(v) } -> std::convertible_to<std::size_t>;
};

// Just operator<: element types such as ChatMessage define no >, <= or >=, so
// std::totally_ordered would miss them and the pick between two copies would depend on argument
// order.
template <class T>
concept LessComparable = requires(const T& a, const T& b) {
  { a < b } -> std::convertible_to<bool>;
};

// Shared by both paths of merge_sequences so they agree exactly.
template <class Elem, class IdFn, class LessFn>
struct SequenceOrder {
  IdFn& id;
  LessFn& less;

  bool id_less(const Elem& x, const Elem& y) const {
    return std::less<>{}(std::invoke(id, x), std::invoke(id, y));
  }
  // Position order: less, then id.
  bool key_less(const Elem& x, const Elem& y) const {
    if (std::invoke(less, x, y)) return true;
    if (std::invoke(less, y, x)) return false;
    return id_less(x, y);
  }
  // Of two copies of one id, the candidate replaces the kept one when it is greater.
  bool replaces(const Elem& kept, const Elem& candidate) const {
    if (std::invoke(less, kept, candidate)) return true;
    if (std::invoke(less, candidate, kept)) return false;
    if constexpr (LessComparable<Elem>) return kept < candidate;
    return false;
  }
  template <class Seq>
  bool strictly_sorted(const Seq& s) const {
    auto it = s.begin();
    if (it == s.end()) return true;
    for (auto next = std::next(it); next != s.end(); ++it, ++next) {
      if (!key_less(*it, *next)) return false;
    }
    return true;
  }
};

}  // namespace detail

// Union of a and b with each id exactly once, ordered by less; elements that neither precede
// the other are ordered by id, so the result is a deterministic function of the two sets of
// elements (merge order and re-merging do not matter). When both sides hold an id, the element
// that is greater by less wins, then the greater by operator< when the element type has one,
// else a's. Ids must be ordered by std::less<>. Cost: O(n + m) expected when both inputs are
// already in that order and ids are std::hash-able (the usual case: synced threads), otherwise
// O((n + m) log(n + m)).
template <class Seq, class IdFn, class LessFn>
Seq merge_sequences(const Seq& a, const Seq& b, IdFn id, LessFn less) {
  using Elem = typename Seq::value_type;
  using Id = std::remove_cvref_t<std::invoke_result_t<IdFn&, const Elem&>>;
  const detail::SequenceOrder<Elem, IdFn, LessFn> order{id, less};
  std::vector<const Elem*> all;
  all.reserve(a.size() + b.size());

  bool linear = false;
  if constexpr (detail::StdHashable<Id>) {
    linear = order.strictly_sorted(a) && order.strictly_sorted(b);
  }
  if (linear) {
    if constexpr (detail::StdHashable<Id>) {
      // Walk both in position order; a later copy of an id replaces the earlier one only when
      // it wins, and since later means greater-or-equal, the output stays ordered. Ids are found
      // through a flat open-addressing table of indexes into `all` (no per-id allocation).
      std::size_t capacity = 16;
      while (capacity < 2 * (a.size() + b.size())) capacity *= 2;
      std::vector<std::size_t> slots(capacity, 0);  // 0: empty, else index in `all` + 1
      std::size_t dead = 0;
      const auto take = [&](const Elem& x) {
        const auto& key = std::invoke(id, x);
        std::size_t i = std::hash<Id>{}(key) & (capacity - 1);
        while (slots[i] != 0 && !(std::invoke(id, *all[slots[i] - 1]) == key)) {
          i = (i + 1) & (capacity - 1);
        }
        if (slots[i] == 0) {
          all.push_back(&x);
          slots[i] = all.size();
        } else if (order.replaces(*all[slots[i] - 1], x)) {
          all[slots[i] - 1] = nullptr;
          ++dead;
          all.push_back(&x);
          slots[i] = all.size();
        }
      };
      auto x = a.begin();
      auto y = b.begin();
      while (x != a.end() || y != b.end()) {
        if (y == b.end() || (x != a.end() && !order.key_less(*y, *x))) {
          take(*x++);  // a first on equal positions, as in the general path
        } else {
          take(*y++);
        }
      }
      if (dead > 0) std::erase(all, nullptr);
    }
  } else {
    for (const auto& x : a) all.push_back(&x);
    for (const auto& x : b) all.push_back(&x);
    // Stable: a's copy comes first among equal ids.
    std::stable_sort(all.begin(), all.end(),
                     [&](const Elem* x, const Elem* y) { return order.id_less(*x, *y); });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (kept > 0 && !order.id_less(*all[kept - 1], *all[i])) {
        if (order.replaces(*all[kept - 1], *all[i])) all[kept - 1] = all[i];
      } else {
        all[kept++] = all[i];
      }
    }
    all.resize(kept);
    std::sort(all.begin(), all.end(),
              [&](const Elem* x, const Elem* y) { return order.key_less(*x, *y); });
  }
  Seq out;
  if constexpr (requires(Seq& s) { s.reserve(std::size_t{}); }) out.reserve(all.size());
  for (const Elem* p : all) out.insert(out.end(), *p);
  return out;
}

// ---- Record policies ---------------------------------------------------------------------------
// A policy merges one field: policy(into, from) or policy(into, from, record_a, record_b) where
// into starts as record_a's field. Use commutative, associative, idempotent policies if the record
// merge must be (every policy below is).
namespace merge_policy {

struct Merge {  // the field is a CRDT
  template <class M>
  void operator()(M& into, const M& from) const {
    into.merge(from);
  }
};
struct Max {
  template <class M>
  void operator()(M& into, const M& from) const {
    if (into < from) into = from;
  }
};
struct Min {
  template <class M>
  void operator()(M& into, const M& from) const {
    if (from < into) into = from;
  }
};
struct TrueWins {
  void operator()(bool& into, bool from) const noexcept { into = into || from; }
};
struct FalseWins {
  void operator()(bool& into, bool from) const noexcept { into = into && from; }
};
struct Union {  // std::set-like fields
  template <class M>
  void operator()(M& into, const M& from) const {
    into.insert(from.begin(), from.end());
  }
};
// Last writer wins by a timestamp field of the record; equal timestamps: the greater value.
template <class TsPtr>
struct LatestBy {
  TsPtr timestamp;
  template <class M, class R>
  void operator()(M& into, const M& from, const R& a, const R& b) const {
    const auto& ta = a.*timestamp;
    const auto& tb = b.*timestamp;
    if (ta < tb || (!(tb < ta) && into < from)) into = from;
  }
};
template <class R, class Ts>
LatestBy<Ts R::*> latest_by(Ts R::* timestamp) {
  return {timestamp};
}

}  // namespace merge_policy

template <class T, class M, class Policy>
struct FieldRule {
  M T::* member;
  Policy policy;
};
template <class T, class M, class Policy>
FieldRule<T, M, Policy> field(M T::* member, Policy policy) {
  return {member, std::move(policy)};
}

// Merges two records field by field. A field without a rule keeps the first argument's value, so
// give every field a rule when the merge must not depend on argument order.
template <class T, class... Rules>
class RecordMerger {
 public:
  explicit RecordMerger(Rules... rules) : rules_(std::move(rules)...) {}

  T operator()(const T& a, const T& b) const {
    T out = a;
    std::apply([&](const auto&... rule) { (apply_rule(rule, out, a, b), ...); }, rules_);
    return out;
  }
  void merge_into(T& into, const T& from) const { into = (*this)(into, from); }

 private:
  template <class M, class P>
  static void apply_rule(const FieldRule<T, M, P>& rule, T& out, const T& a, const T& b) {
    if constexpr (std::is_invocable_v<const P&, M&, const M&, const T&, const T&>) {
      rule.policy(out.*rule.member, b.*rule.member, a, b);
    } else {
      rule.policy(out.*rule.member, b.*rule.member);
    }
  }

  std::tuple<Rules...> rules_;
};

template <class T, class... Rules>
RecordMerger<T, Rules...> record_merger(Rules... rules) {
  return RecordMerger<T, Rules...>(std::move(rules)...);
}

// ---- Versioned ---------------------------------------------------------------------------------

// A value with the vector clock of the updates it contains. Tick the clock on every local update
// (update() does both). A plain value type; not thread-safe.
// Default template arguments: in <rxsync/fwd/crdt/merge.hpp>.
template <class T, class Actor>
struct Versioned {
  T value{};
  VectorClock<Actor> clock;

  template <class F>
  void update(const Actor& actor, F&& change) {
    std::invoke(std::forward<F>(change), value);
    clock.tick(actor);
  }

  friend bool operator==(const Versioned& a, const Versioned& b) {
    return a.clock == b.clock && a.value == b.value;
  }

  // The binary form is in <rxsync/codec/crdt.hpp>; these hooks forward to it, and say which
  // header to include when it is missing.
  template <class Writer>
  void encode_to(Writer& w) const {
    detail::crdt_write(w, *this);
  }
  template <class Reader>
  static Versioned decode_from(Reader& r) {
    return detail::crdt_read<Versioned>(r);
  }
};

// If one clock dominates, that version is taken as is (conflict = false). Otherwise the values
// are merged with merge_fields(local, remote) and the clocks with a pointwise max, and
// conflict = true. Equal clocks with different values (an actor reused after losing its state)
// are treated as concurrent, so nothing is dropped silently. When T is a CRDT record and every
// update ticks the clock, the result equals the CRDT join, so resolution is order-independent.
template <class T, class Actor, class FieldMerge>
MergeResult<Versioned<T, Actor>> resolve(const Versioned<T, Actor>& local,
                                         const Versioned<T, Actor>& remote,
                                         FieldMerge&& merge_fields) {
  switch (local.clock.compare(remote.clock)) {
    case Causality::after:
      return {local, false};
    case Causality::before:
      return {remote, false};
    case Causality::equal:
      if (local.value == remote.value) return {local, false};
      break;
    case Causality::concurrent:
      break;
  }
  Versioned<T, Actor> out;
  out.value = std::invoke(std::forward<FieldMerge>(merge_fields), local.value, remote.value);
  out.clock = local.clock;
  out.clock.merge(remote.clock);
  return {std::move(out), true};
}

namespace detail {
template <class T>
concept Mergeable = requires(T& t, const T& u) { t.merge(u); };
}  // namespace detail

// For CRDT values (T has merge()).
template <detail::Mergeable T, class Actor>
MergeResult<Versioned<T, Actor>> resolve(const Versioned<T, Actor>& local,
                                         const Versioned<T, Actor>& remote) {
  return resolve(local, remote, [](const T& a, const T& b) {
    T out = a;
    out.merge(b);
    return out;
  });
}

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
