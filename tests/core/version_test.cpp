// The version macros are derived from the three numbers of <rxsync/version.hpp>; these checks
// keep the derivations honest, and compare the header with the version CMake built this tree as.
#include <rxsync/version.hpp>

#include <string>
#include <string_view>

#include "rxsync_catch.hpp"

// In #if, where users compare versions.
#if RXSYNC_VERSION != \
    RXSYNC_VERSION_MAJOR * 10000 + RXSYNC_VERSION_MINOR * 100 + RXSYNC_VERSION_PATCH
#error "RXSYNC_VERSION does not pack the three numbers"
#endif

TEST_CASE("RXSYNC_VERSION_STRING spells the three numbers") {
  const std::string expected = std::to_string(RXSYNC_VERSION_MAJOR) + "." +
                               std::to_string(RXSYNC_VERSION_MINOR) + "." +
                               std::to_string(RXSYNC_VERSION_PATCH);
  CHECK(std::string(RXSYNC_VERSION_STRING) == expected);
}

#ifdef RXSYNC_TEST_PROJECT_VERSION
TEST_CASE("version.hpp and the CMake project agree") {
  CHECK(std::string_view(RXSYNC_VERSION_STRING) == RXSYNC_TEST_PROJECT_VERSION);
}
#endif
