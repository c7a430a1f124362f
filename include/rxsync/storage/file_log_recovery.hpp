// rxsync/storage/file_log_recovery.hpp - moved to <rxsync/storage/detail/file_log_recovery.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/storage/detail/file_log_recovery.hpp>
