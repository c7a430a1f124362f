// rxsync/sync/sim_network.hpp - SimNetwork now lives with the other test helpers, in
// <rxsync/testing/sim_network.hpp>; this header keeps existing includes working.
#pragma once

#include <rxsync/testing/sim_network.hpp>
