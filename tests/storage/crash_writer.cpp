// The writer that file_storage_win32_test.cpp kills mid-stream: opens a FileStorage and applies
// the ops of storage_test::writer_op forever, recording after each one that returned its index
// in the ack file (4 bytes at offset 0, overwritten each time). The ack file is not synced: a
// killed process loses nothing the OS already has, and no power is cut here.
//
//   rxsync_storage_crash_writer LOG ACK_FILE KEY_SPACE SYNC_EVERY_WRITES COMPACT_MIN_GARBAGE
#include <rxsync/storage/file_storage.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "storage_test_support.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s LOG ACK KEY_SPACE SYNC_EVERY COMPACT_MIN_GARBAGE\n", argv[0]);
    return 64;
  }
  try {
    const auto key_space = static_cast<std::uint32_t>(std::stoul(argv[3]));
    rxsync::FileStorageOptions options;
    options.sync_every_writes = static_cast<std::size_t>(std::stoul(argv[4]));
    options.compact_min_garbage_bytes = std::stoull(argv[5]);
    std::FILE* ack = std::fopen(argv[2], "wb");
    if (ack == nullptr) {
      return 3;
    }
    rxsync::FileStorage s(argv[1], options);
    for (std::uint32_t i = 0;; ++i) {
      const storage_test::Op op = storage_test::writer_op(i, key_space);
      if (op.erase) {
        s.erase(op.key);
      } else {
        s.put(op.key, op.value);
      }
      if (std::fseek(ack, 0, SEEK_SET) != 0 || std::fwrite(&i, sizeof i, 1, ack) != 1 ||
          std::fflush(ack) != 0) {
        return 4;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash writer: %s\n", e.what());
    return 2;
  }
}
