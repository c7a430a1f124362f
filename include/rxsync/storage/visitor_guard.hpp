// rxsync/storage/visitor_guard.hpp - moved to <rxsync/storage/detail/visitor_guard.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/storage/detail/visitor_guard.hpp>
