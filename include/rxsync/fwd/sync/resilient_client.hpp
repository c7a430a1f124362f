// rxsync/fwd/sync/resilient_client.hpp - the templates <rxsync/sync/resilient_client.hpp> defines,
// declared with their default template arguments. C++ allows a default in one declaration only, and
// both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

class FixedDelays;
template <class Sched, class Backoff = FixedDelays>
class ResilientClient;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
