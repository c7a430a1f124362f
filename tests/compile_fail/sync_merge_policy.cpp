// A SyncService Merge that returns nothing.
// expected-first-error: rxsync: SyncService's Merge must be callable as Value\(const Value&, const Value&\)
#include <string>
#include <vector>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>

struct Transport {
  void send(std::vector<rxsync::BatchItem<std::string, rxsync::Change<std::string>>>,
            rxsync::BatchDone<std::string, rxsync::Change<std::string>>) {}
  void pull(std::uint64_t, rxsync::PullDone<std::string, std::string>) {}
};
struct KeepLocal {
  void operator()(std::string& local, const std::string& remote) const {
    (void)local, (void)remote;
  }
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  Transport transport;
  rxsync::MemoryStorage storage;
  rxsync::SyncService<std::string, std::string, Transport, rxsync::MemoryStorage,
                      rxsync::VirtualTimeScheduler, KeepLocal>
      service(scheduler, transport, storage, {.origin = "phone"});
}
