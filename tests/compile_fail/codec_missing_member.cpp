// A Codec without decode, given to an Outbox.
// expected-first-error: rxsync: this Codec needs .static T decode\(std::string_view, T\*\). for the value type
#include <string>

#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>

struct TextCodec {
  static std::string encode(const std::string& s) { return s; }
};

int main() {
  rxsync::MemoryStorage storage;
  rxsync::Outbox<std::string, std::string, rxsync::MemoryStorage, TextCodec> outbox(storage);
  outbox.put("k", "v");
}
