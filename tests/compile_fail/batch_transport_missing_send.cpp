// A BatchTransport whose send takes the wrong arguments.
// expected-first-error: rxsync: this BatchTransport needs .send\(std::vector<rxsync::BatchItem<Key, Req>> batch, std::function<void\(std::vector<rxsync::ItemOutcome>\)> done\).
#include <string>
#include <vector>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>

struct Transport {
  void send(std::vector<int>) {}
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  Transport transport;
  rxsync::BatchOrchestrator<std::string, int, Transport, rxsync::VirtualTimeScheduler> batches(
      scheduler, transport);
  batches.enqueue("k", 1);
}
