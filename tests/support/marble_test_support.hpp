// Shared by the marble tests: run the TestScheduler and fail the test case with both diagrams
// when an expectation did not hold.
#pragma once

#include <rxsync/testing/marbles.hpp>

#include "rxsync_catch.hpp"

namespace rxsync_test {

inline void require_ok(rxsync::testing::TestScheduler& ts) {
  auto r = ts.flush();
  INFO(r.message());
  REQUIRE(r.ok());
}

// The same, and no scheduled action is left behind (timed operators cancel their timers).
inline void require_ok_and_idle(rxsync::testing::TestScheduler& ts) {
  require_ok(ts);
  REQUIRE(ts.pending() == 0);
}

}  // namespace rxsync_test
