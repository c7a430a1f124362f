// rxsync/fwd/net/net_transport.hpp - the templates <rxsync/net/net_transport.hpp> defines, declared
// with their default template arguments. C++ allows a default in one declaration only, and both
// that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct DefaultCodec;
namespace net {
template <class Key, class Value, class Sched, class Codec = DefaultCodec>
class NetTransport;
}  // namespace net

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
