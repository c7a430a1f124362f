// A BatchOrchestrator Merge that takes the incoming request by lvalue reference.
// expected-first-error: rxsync: BatchOrchestrator's Merge must be callable as merge\(Req& existing, Req&& incoming\)
#include <string>
#include <vector>

#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/sync/batch_orchestrator.hpp>

struct Transport {
  void send(std::vector<rxsync::BatchItem<std::string, int>>, rxsync::BatchDone<std::string, int>) {
  }
};
struct Sum {
  void operator()(int& existing, int& incoming) const { existing += incoming; }
};

int main() {
  rxsync::VirtualTimeScheduler scheduler;
  Transport transport;
  rxsync::BatchOrchestrator<std::string, int, Transport, rxsync::VirtualTimeScheduler, Sum> batches(
      scheduler, transport);
  batches.enqueue("k", 1);
}
