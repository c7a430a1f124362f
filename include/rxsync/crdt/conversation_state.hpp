// rxsync/crdt/conversation_state.hpp - the ready-made models moved to
// <rxsync/models/conversation_state.hpp>; this header keeps existing includes working.
#pragma once

#include <rxsync/models/conversation_state.hpp>
