// rxsync/fwd/crdt/merge.hpp - the templates <rxsync/crdt/merge.hpp> defines, declared with their
// default template arguments. C++ allows a default in one declaration only, and both that header
// and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <string>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class T, class Actor = std::string>
struct Versioned;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
