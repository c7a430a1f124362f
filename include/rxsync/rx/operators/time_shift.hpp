// rxsync/rx/operators/time_shift.hpp - moved to <rxsync/rx/operators/delay_timeout.hpp>;
// this header keeps existing includes working.
#pragma once

#include <rxsync/rx/operators/delay_timeout.hpp>
