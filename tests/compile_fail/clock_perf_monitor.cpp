// A PerfMonitor given a clock without now().
// expected-first-error: rxsync: this clock type needs .rxsync::TimePoint now\(\).
#include <rxsync/resilience/perf_monitor.hpp>

struct Ticker {
  long ticks() { return 0; }
};

int main() {
  Ticker ticker;
  rxsync::PerfMonitor monitor(ticker);
}
