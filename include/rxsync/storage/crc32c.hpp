// rxsync/storage/crc32c.hpp - moved to <rxsync/storage/detail/crc32c.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/storage/detail/crc32c.hpp>
