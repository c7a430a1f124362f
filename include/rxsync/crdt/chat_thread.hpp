// rxsync/crdt/chat_thread.hpp - the ready-made models moved to <rxsync/models/chat_thread.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/models/chat_thread.hpp>
