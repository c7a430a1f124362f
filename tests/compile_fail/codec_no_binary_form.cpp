// A value type with no binary form (no rxsync_encode / rxsync_decode, no Serializer), stored in
// an Outbox with the default codec.
// expected-error-count: 2
// expected-first-error: rxsync: this type has no binary form. next to it write .void rxsync_encode.rxsync::BinaryWriter&, const T&.. and .T rxsync_decode.rxsync::BinaryReader&, std::type_identity<T>.. .or specialise rxsync::Serializer<T>
#include <string>

#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/outbox.hpp>

struct Point {
  int x, y;
};

int main() {
  rxsync::MemoryStorage storage;
  rxsync::Outbox<std::string, Point, rxsync::MemoryStorage> outbox(storage);
  outbox.put("k", Point{1, 2});
}
