// rxsync/fwd/sync/outbox.hpp - the templates <rxsync/sync/outbox.hpp> defines, declared with their
// default template arguments. C++ allows a default in one declaration only, and both that header
// and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct DefaultCodec;
template <class Key, class Value, class Store, class Codec = DefaultCodec,
          class Hash = std::hash<Key>>
class Outbox;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
