// A leak check shared by the operator tests: an operator that keeps something (a projection,
// sources, a handler) must let it go once the subscription ends.
#pragma once

#include <memory>

#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>

#include "rx_test_util.hpp"
#include "rxsync_catch.hpp"

namespace rx_test {

// The operator keeps something that may hold a subject which holds the operator's sink. Once the
// subscription ends, by unsubscribe() or by a terminal event from elsewhere (while no subject is
// emitting, so none prunes its flagged node), nothing may keep `witness` alive: build(s, w) must
// make a chain whose operator keeps w and subscribes to s.
template <class Build>
void check_released(Build build) {
  for (const bool unsubscribe : {true, false}) {
    INFO("ended by " << (unsubscribe ? "unsubscribe" : "an error from another source"));
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> weak = witness;
    {
      rxsync::PublishSubject<int> s;
      rxsync::PublishSubject<int> other;
      Events log;
      auto sub = record(build(s, std::move(witness)) | rxsync::ops::merge(other), log);
      s.on_next(1);
      if (unsubscribe) {
        sub.unsubscribe();
      } else {
        other.on_error(rx_test::boom());
      }
    }
    CHECK(weak.expired());
  }
}

}  // namespace rx_test
