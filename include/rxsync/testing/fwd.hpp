// rxsync/testing/fwd.hpp - declarations of the test helpers' classes and class templates
// (marble testing, SimNetwork), without definitions; see <rxsync/fwd.hpp> for the rest of rxsync.
#pragma once

#include <rxsync/fwd/testing/sim_network.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

struct SimNetworkOptions;
struct SimNetworkStats;

namespace testing {

class TestScheduler;
template <class T>
class HotObservable;
template <class T>
class ColdObservable;
class MarbleResult;
class MarbleError;
struct ConvergenceResult;

}  // namespace testing
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
