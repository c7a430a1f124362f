// rxsync/fwd/testing/sim_network.hpp - the templates <rxsync/testing/sim_network.hpp> defines,
// declared with their default template arguments. C++ allows a default in one declaration only, and
// both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <functional>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct CrdtMerge;
struct DefaultCodec;
template <class Key, class Value, class Sched, class Merge = CrdtMerge, class Hash = std::hash<Key>,
          class Codec = DefaultCodec>
class SimNetwork;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
