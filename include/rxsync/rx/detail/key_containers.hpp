// rxsync/rx/detail/key_containers.hpp - the set and map distinct and group_by keep their keys in
// (internal).
//
// RxJS keys a Set or Map by identity/SameValueZero; C++ keys need a hash or an order. A key type
// with std::hash and == gets the unordered container (no order needed, O(1) per value), any
// other with < the ordered one; a key with neither is reported by the operator's static_assert.
#pragma once

#include <concepts>
#include <cstddef>
#include <map>
#include <set>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

template <class K>
concept HashableKey = requires(const K& a, const K& b) {
  { std::hash<K>{}(a) } -> std::convertible_to<std::size_t>;
  { a == b } -> std::convertible_to<bool>;
};

template <class K>
concept OrderedKey = requires(const K& a, const K& b) {
  { a < b } -> std::convertible_to<bool>;
};

template <class K>
concept UsableKey = HashableKey<K> || OrderedKey<K>;

template <class K>
using KeySet = std::conditional_t<HashableKey<K>, std::unordered_set<K>, std::set<K>>;

template <class K, class V>
using KeyMap = std::conditional_t<HashableKey<K>, std::unordered_map<K, V>, std::map<K, V>>;

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
