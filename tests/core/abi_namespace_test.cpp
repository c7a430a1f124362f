// Every rxsync name users write as rxsync::X (or rxsync::ops::X, rxsync::detail::X...) is really
// declared in the inline namespace of <rxsync/version.hpp>, so that it is part of every symbol:
// code built against another major or minor version cannot link with this one by accident.
#include <rxsync/core/detail/callback_gate.hpp>
#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/version.hpp>

#include <string>
#include <type_traits>
#include <typeinfo>

#include "rxsync_catch.hpp"

namespace abi = rxsync::RXSYNC_ABI_NAMESPACE;

static_assert(std::is_same_v<rxsync::Subscription, abi::Subscription>);
static_assert(std::is_same_v<rxsync::ops::ThrottleConfig, abi::ops::ThrottleConfig>);
static_assert(std::is_same_v<rxsync::detail::CallbackGate, abi::detail::CallbackGate>);

TEST_CASE("RXSYNC_ABI_NAMESPACE is v<major>_<minor>") {
  CHECK(std::string(RXSYNC_ABI_NAMESPACE_STRING) ==
        "v" + std::to_string(RXSYNC_VERSION_MAJOR) + "_" + std::to_string(RXSYNC_VERSION_MINOR));
}

TEST_CASE("the ABI namespace is in the types' names the linker sees") {
  const std::string name = typeid(rxsync::Subscription).name();
  CHECK(name.find(RXSYNC_ABI_NAMESPACE_STRING) != std::string::npos);
}
