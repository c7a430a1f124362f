// FileStorage killed mid-stream on Windows: the counterpart of the SIGKILL test of
// file_storage_posix_test.cpp. The writer is a separate program (crash_writer.cpp, next to this
// test's executable), started with CreateProcessW and stopped with TerminateProcess, which ends
// it at once, like SIGKILL: every put that returned must survive, compactions included. Windows
// only (tests/CMakeLists.txt, RXSYNC_TESTS_ONLY_ON_WINDOWS).
#include <rxsync/storage/file_storage.hpp>

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "storage_test_support.hpp"

using rxsync::FileStorage;
using storage_test::apply_op;
using storage_test::dump;
using storage_test::Model;
using storage_test::read_file;
using storage_test::TempDir;

namespace {

std::filesystem::path crash_writer_program() {
  std::wstring self(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = ::GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size()));
    if (n < self.size()) {
      self.resize(n);
      break;
    }
    self.resize(self.size() * 2);
  }
  return std::filesystem::path(self).parent_path() / "rxsync_storage_crash_writer.exe";
}

// The index in the ack file, once it holds one.
std::optional<std::uint32_t> read_ack(const std::filesystem::path& ack_file) {
  const std::string bytes = read_file(ack_file);
  if (bytes.size() != sizeof(std::uint32_t)) {
    return std::nullopt;
  }
  std::uint32_t ack = 0;
  std::memcpy(&ack, bytes.data(), sizeof ack);
  return ack;
}

}  // namespace

TEST_CASE("FileStorage: every put that returned survives TerminateProcess of the writer",
          "[storage][file][crash]") {
  std::uint32_t key_space = 257;
  std::size_t sync_every = 1;
  std::uint64_t compact_min_garbage = 1u << 20;
  SECTION("FlushFileBuffers on every write") {}
  SECTION("no automatic sync: a process crash loses nothing either") { sync_every = 0; }
  SECTION("frequent compactions, so kills land inside them") {
    key_space = 7;
    compact_min_garbage = 512;
    sync_every = 4;
  }
  const std::filesystem::path writer = crash_writer_program();
  REQUIRE(std::filesystem::exists(writer));
  std::mt19937 rng(99);
  for (int round = 0; round < 2; ++round) {
    TempDir dir;
    const auto path = dir.file("log");
    const auto ack_file = dir.file("ack");
    const std::uint32_t kill_after = 20 + static_cast<std::uint32_t>(rng() % 400);
    std::wstring command = L"\"" + writer.wstring() + L"\" \"" + path.wstring() + L"\" \"" +
                           ack_file.wstring() + L"\" " + std::to_wstring(key_space) + L" " +
                           std::to_wstring(sync_every) + L" " +
                           std::to_wstring(compact_min_garbage);
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION child{};
    REQUIRE(::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                             &startup, &child));
    bool killed = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (::WaitForSingleObject(child.hProcess, 1) == WAIT_TIMEOUT) {
      const auto ack = read_ack(ack_file);
      if (ack && *ack >= kill_after) {
        killed = ::TerminateProcess(child.hProcess, 99) != 0;
        ::WaitForSingleObject(child.hProcess, INFINITE);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::TerminateProcess(child.hProcess, 98);
        ::WaitForSingleObject(child.hProcess, INFINITE);
        break;
      }
    }
    DWORD exit_code = 0;
    ::GetExitCodeProcess(child.hProcess, &exit_code);
    ::CloseHandle(child.hThread);
    ::CloseHandle(child.hProcess);
    REQUIRE(killed);  // not an early exit of the writer (its exit code says why)
    CHECK(exit_code == 99);

    const auto last_ack = read_ack(ack_file);
    REQUIRE(last_ack);
    REQUIRE(*last_ack >= kill_after);
    // Acknowledged ops are all there; the op in flight at the kill may or may not be.
    Model acked;
    for (std::uint32_t i = 0; i <= *last_ack; ++i) {
      apply_op(acked, storage_test::writer_op(i, key_space));
    }
    Model with_next = acked;
    apply_op(with_next, storage_test::writer_op(*last_ack + 1, key_space));
    FileStorage s(path);
    const Model recovered = dump(s);
    CAPTURE(round, *last_ack, s.recovery_report().describe());
    CHECK((recovered == acked || recovered == with_next));
    CHECK_FALSE(std::filesystem::exists(s.compaction_path()));
  }
}
