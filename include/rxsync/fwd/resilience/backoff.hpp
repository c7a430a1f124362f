// rxsync/fwd/resilience/backoff.hpp - the templates <rxsync/resilience/backoff.hpp> defines,
// declared with their default template arguments. C++ allows a default in one declaration only, and
// both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

class DefaultRandom;
template <class Random = DefaultRandom>
class ExponentialBackoff;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
