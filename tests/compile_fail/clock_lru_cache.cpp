// An LruCache with expiry given a clock whose now() returns the wrong type.
// expected-first-error: rxsync: this clock type needs .rxsync::TimePoint now\(\).
#include <chrono>
#include <string>

#include <rxsync/cache/lru_cache.hpp>

struct SystemClock {
  std::chrono::system_clock::time_point now() { return std::chrono::system_clock::now(); }
};

int main() {
  SystemClock clock;
  rxsync::LruCache<std::string, int> cache(16, rxsync::CacheTtl{std::chrono::seconds(5), {}},
                                           clock);
}
