// rxsync/fwd/models/conversation_state.hpp - the templates <rxsync/models/conversation_state.hpp>
// defines, declared with their default template arguments. C++ allows a default in one declaration
// only, and both that header and <rxsync/fwd.hpp> need the defaults: both include this file.
#pragma once

#include <string>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Actor = std::string>
class ConversationState;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
