// Lets every test build against Catch2 v3 (catch_all.hpp) or v2 (Debian's catch.hpp).
// Tests include this instead of a Catch2 header and use only macros common to both.
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#define RXSYNC_CATCH_VERSION 3
#else
#include <catch2/catch.hpp>
#define RXSYNC_CATCH_VERSION 2
#endif

#if RXSYNC_CATCH_VERSION == 3
using Catch::Approx;
#endif

#include <string>

namespace rxsync_test {
// Catch2 renamed Contains to ContainsSubstring in v3.
inline auto contains(const std::string& text) {
#if RXSYNC_CATCH_VERSION == 3
  return Catch::Matchers::ContainsSubstring(text);
#else
  return Catch::Matchers::Contains(text);
#endif
}
}  // namespace rxsync_test
