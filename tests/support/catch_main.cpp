// The test runner's main for Catch2 v2, which (unlike v3) does not ship one as a library.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
