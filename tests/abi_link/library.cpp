// Half of a program that mixes rxsync versions: this file is built against a copy of the
// headers whose minor version is bumped (see check_abi_link.cmake), like a library compiled
// against another rxsync release.
#include <rxsync/core/subscription.hpp>

bool library_is_subscribed(const rxsync::Subscription& s) { return s.is_subscribed(); }
