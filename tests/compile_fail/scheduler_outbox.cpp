// An Outbox given a clock that is not a Scheduler (it has only now()).
// expected-first-error: rxsync: this Scheduler type needs .rxsync::Subscription schedule\(F&& action\).
#include <string>

#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>

struct WallClock {
  rxsync::TimePoint now() { return {}; }
};

int main() {
  rxsync::MemoryStorage storage;
  WallClock clock;
  rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage> outbox(storage, clock);
}
