// A SyncTransport without send (only the pull side).
// expected-first-error: rxsync: this SyncTransport needs .send\(std::vector<rxsync::BatchItem<Key, rxsync::Change<Value>>> batch, std::function<void\(std::vector<rxsync::ItemOutcome>\)> done\).
#include <cstdint>
#include <string>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>

struct PullOnly {
  void pull(std::uint64_t, rxsync::PullDone<std::string, std::string>) {}
};
struct Longest {
  std::string operator()(const std::string& a, const std::string& b) const {
    return a.size() >= b.size() ? a : b;
  }
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  PullOnly transport;
  rxsync::MemoryStorage storage;
  rxsync::SyncService<std::string, std::string, PullOnly, rxsync::MemoryStorage,
                      rxsync::VirtualTimeScheduler, Longest>
      service(scheduler, transport, storage, {.origin = "phone"});
}
