// examples/response_cache.cpp - a model response cache on rxsync's TieredCache.
//
// An assistant calls a language model with (model, temperature, messages). Deterministic
// requests (temperature 0) are cached under a stable hash of the request for one hour, in a
// memory LRU in front of a persistent tier; requests with temperature > 0 are never cached,
// since the user expects a fresh sample. Time is virtual, so the output is deterministic.
#include <rxsync/cache/tiered_cache.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;

struct Message {
  std::string role;
  std::string content;
};
struct Request {
  std::string model;
  double temperature = 0;
  std::vector<Message> messages;
};

// FNV-1a over a length-prefixed serialisation: stable across runs and platforms (std::hash is
// not), and "ab"+"c" cannot collide with "a"+"bc".
class StableHash {
 public:
  void add(std::string_view s) {
    add_u64(s.size());
    for (char c : s) byte(static_cast<unsigned char>(c));
  }
  void add_u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  std::string hex() const {
    static const char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i)
      out[static_cast<std::size_t>(15 - i)] = digits[(h_ >> (4 * i)) & 0xf];
    return out;
  }

 private:
  void byte(unsigned char b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::string cache_key(const Request& r) {
  StableHash h;
  h.add(r.model);
  h.add(std::to_string(r.temperature));
  h.add_u64(r.messages.size());
  for (const auto& m : r.messages) {
    h.add(m.role);
    h.add(m.content);
  }
  return h.hex();
}

class ModelClient {
 public:
  using Cache = rxsync::TieredCache<std::string, std::string, rxsync::MemoryStorage,
                                    rxsync::VirtualTimeScheduler>;

  ModelClient(rxsync::MemoryStorage& persistent, rxsync::VirtualTimeScheduler& clock)
      : clock_(clock), cache_(persistent, clock, options()) {}

  std::string complete(const Request& r) {
    const bool cacheable = r.temperature == 0.0;
    const std::string key = cacheable ? cache_key(r) : std::string();
    if (cacheable) {
      if (auto hit = cache_.get(key)) {
        std::printf("  [cache hit  %s] %s\n", key.c_str(), hit->c_str());
        return *hit;
      }
    }
    // The "model": a slow, deterministic answer.
    clock_.advance_by(2s);
    ++model_calls_;
    std::string answer = r.model + " says: " + r.messages.back().content + "? 42.";
    if (cacheable) cache_.put(key, answer, 2s);
    std::printf("  [model call%s] %s\n", cacheable ? "       " : ", T>0  ", answer.c_str());
    return answer;
  }

  int model_calls() const { return model_calls_; }
  const Cache& cache() const { return cache_; }
  Cache& cache() { return cache_; }

 private:
  static rxsync::TieredCacheOptions options() {
    rxsync::TieredCacheOptions o;
    o.memory_capacity = 2;
    o.ttl = 1h;
    o.key_prefix = "llm/";
    return o;
  }
  rxsync::VirtualTimeScheduler& clock_;
  Cache cache_;
  int model_calls_ = 0;
};

int main() {
  rxsync::VirtualTimeScheduler clock;
  rxsync::MemoryStorage persistent;  // stands in for FileStorage/SqliteStorage here
  ModelClient client(persistent, clock);

  const Request ask{"small-model", 0.0, {{"user", "What is the answer"}}};
  const Request other{"small-model", 0.0, {{"user", "And the question"}}};
  const Request third{"small-model", 0.0, {{"user", "Why"}}};
  const Request creative{"small-model", 0.7, {{"user", "What is the answer"}}};

  std::puts("1. the first deterministic request calls the model; the repeat is a cache hit");
  client.complete(ask);
  client.complete(ask);
  std::puts("2. temperature > 0 is never cached");
  client.complete(creative);
  client.complete(creative);
  std::puts("3. two more requests push the first out of the 2-entry memory tier;");
  std::puts("   it comes back from the persistent tier and is promoted");
  client.complete(other);
  client.complete(third);
  client.complete(ask);
  std::puts("4. a restart keeps the persistent tier");
  ModelClient restarted(persistent, clock);
  restarted.complete(other);
  std::puts("5. after the 1 h TTL the entry is gone from both tiers");
  clock.advance_by(1h);
  restarted.complete(other);

  const auto st = client.cache().stats();
  std::printf("first client: %d model calls, memory hits %llu, storage hits %llu, writes %llu\n",
              client.model_calls(), static_cast<unsigned long long>(st.memory.hits),
              static_cast<unsigned long long>(st.storage.hits),
              static_cast<unsigned long long>(st.storage.writes));
  const bool ok = client.model_calls() == 5 && restarted.model_calls() == 1 &&
                  st.memory.hits == 1 && st.storage.hits == 1;
  std::puts(ok ? "ok" : "UNEXPECTED COUNTS");
  return ok ? 0 : 1;
}
