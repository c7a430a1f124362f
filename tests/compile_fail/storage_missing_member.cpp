// A Storage without erase, given to an Outbox.
// expected-first-error: rxsync: this Storage type needs .bool erase\(std::string_view key\).
#include <optional>
#include <string>
#include <string_view>

#include <rxsync/sync/outbox.hpp>

struct KvStore {
  void put(std::string_view, std::string_view) {}
  std::optional<std::string> get(std::string_view) const { return std::nullopt; }
  template <class F>
  void for_each(F&&) const {}
};

int main() {
  KvStore store;
  rxsync::Outbox<std::string, std::string, KvStore> outbox(store);
  outbox.put("k", "v");
}
