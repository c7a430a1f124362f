// rxsync/storage/posix_file.hpp - moved to <rxsync/storage/detail/posix_file.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/storage/detail/posix_file.hpp>
