// A SyncTransport without pull.
// expected-first-error: rxsync: this SyncTransport needs .pull\(std::uint64_t cursor, std::function<void\(rxsync::PullResult<Key, Value>\)> done\).
#include <string>
#include <vector>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>

struct PushOnly {
  void send(std::vector<rxsync::BatchItem<std::string, rxsync::Change<std::string>>>,
            rxsync::BatchDone<std::string, rxsync::Change<std::string>>) {}
};
struct Longest {
  std::string operator()(const std::string& a, const std::string& b) const {
    return a.size() >= b.size() ? a : b;
  }
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  PushOnly transport;
  rxsync::MemoryStorage storage;
  rxsync::SyncService<std::string, std::string, PushOnly, rxsync::MemoryStorage,
                      rxsync::VirtualTimeScheduler, Longest>
      service(scheduler, transport, storage, {.origin = "phone"});
}
