// rxsync/schedulers/timed_queue.hpp - moved to <rxsync/schedulers/detail/timed_queue.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/schedulers/detail/timed_queue.hpp>
