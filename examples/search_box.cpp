// Typeahead search: debounce keystrokes, skip repeated queries, and keep only the latest
// request in flight (switch_map cancels the older one). Runs in virtual time against a
// simulated slow backend, so the timeline it prints is the same on every run.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <rxsync/rx/rx.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

using namespace rxsync;
using namespace std::chrono_literals;

namespace {

long ms(const VirtualTimeScheduler& vts) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(vts.now().time_since_epoch()).count());
}

// The backend answers after 100 ms plus 120 ms per character; long queries are slow.
Observable<std::vector<std::string>> search(VirtualTimeScheduler& vts, const std::string& query) {
  auto answered = std::make_shared<bool>(false);
  return defer([&vts, query, answered] {
           std::printf("%5ld ms  request  '%s'\n", ms(vts), query.c_str());
           return timer(100ms + 120ms * static_cast<long>(query.size()), vts);
         }) |
         ops::map([query, answered](std::size_t) {
           *answered = true;
           return std::vector<std::string>{query + "-core", query + "-sync", query + "-tests"};
         }) |
         ops::finalize([&vts, query, answered] {
           if (!*answered)
             std::printf("%5ld ms  cancel   '%s' (a newer query replaced it)\n", ms(vts),
                         query.c_str());
         });
}

}  // namespace

int main() {
  VirtualTimeScheduler vts;
  PublishSubject<std::string> text;  // the search box contents after each keystroke

  auto sub = (text | ops::debounce(300ms, vts)  // wait until typing pauses
              | ops::tap([&](const std::string& q) {
                  std::printf("%5ld ms  settled  '%s'\n", ms(vts), q.c_str());
                }) |
              ops::distinct_until_changed()  // same text as the last query: no new request
              |
              ops::switch_map([&](const std::string& q) {
                return search(vts, q);
              })).subscribe([&](const std::vector<std::string>& hits) {
    std::printf("%5ld ms  results  %s, %s, %s\n", ms(vts), hits[0].c_str(), hits[1].c_str(),
                hits[2].c_str());
  });

  struct Key {
    long at_ms;
    const char* text;
  };
  // Type "rx", pause; type "rxs", delete it again (same query), pause; type "rxsync", pause;
  // then refine to "rxsync t" while the slow "rxsync" request is still in flight.
  const Key keys[] = {{0, "r"},       {120, "rx"},     {700, "rxs"},     {800, "rx"},
                      {1400, "rxsy"}, {1500, "rxsyn"}, {1600, "rxsync"}, {2200, "rxsync t"}};
  for (const Key& k : keys) {
    vts.schedule_at(TimePoint(std::chrono::milliseconds(k.at_ms)), [&text, &vts, k] {
      std::printf("%5ld ms  typed    '%s'\n", ms(vts), k.text);
      text.on_next(k.text);
    });
  }
  vts.run();
  std::printf("%5ld ms  idle: %zu timers pending\n", ms(vts), vts.pending());
  sub.unsubscribe();
  return 0;
}
