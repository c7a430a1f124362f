// rxsync/fwd/rx/subjects/behavior_subject.hpp - the templates
// <rxsync/rx/subjects/behavior_subject.hpp> defines, declared with their default template
// arguments. C++ allows a default in one declaration only, and both that header and
// <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SingleThreaded;
template <class T, class Policy = SingleThreaded>
class BehaviorSubject;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
