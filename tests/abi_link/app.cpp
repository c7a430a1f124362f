// The other half: built against this tree's headers, it passes an rxsync type to the library.
#include <rxsync/core/subscription.hpp>

bool library_is_subscribed(const rxsync::Subscription& s);

int main() { return library_is_subscribed(rxsync::Subscription()) ? 1 : 0; }
