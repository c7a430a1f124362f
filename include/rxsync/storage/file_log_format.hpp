// rxsync/storage/file_log_format.hpp - moved to <rxsync/storage/detail/file_log_format.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/storage/detail/file_log_format.hpp>
