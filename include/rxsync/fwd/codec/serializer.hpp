// rxsync/fwd/codec/serializer.hpp - the template <rxsync/codec/serializer.hpp> defines, declared
// with its default template argument. C++ allows a default in one declaration only, and that
// header, <rxsync/codec/fwd.hpp> and <rxsync/fwd.hpp> all need it: all include this file.
#pragma once

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

// Enable is for partial specialisations selected with std::enable_if_t or std::void_t.
template <class T, class Enable = void>
struct Serializer;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
