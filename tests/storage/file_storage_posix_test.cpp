// FileStorage tests that need POSIX process control: a writer killed with SIGKILL mid-stream,
// writes made to fail half-way with RLIMIT_FSIZE, a second opener in a forked process, and the
// permission bits of a side file. They are left out of Windows builds (tests/CMakeLists.txt,
// RXSYNC_TESTS_NOT_ON_WINDOWS); the recovery they lead to is tested on every platform by
// file_storage_crash_test.cpp and file_storage_damage_test.cpp.
#include <rxsync/storage/file_storage.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include "storage_test_support.hpp"

using rxsync::FileStorage;
using rxsync::FileStorageOptions;
using storage_test::apply_op;
using storage_test::dump;
using storage_test::Model;
using storage_test::Op;
using storage_test::read_file;
using storage_test::side_files;
using storage_test::TempDir;
using storage_test::write_file;

namespace {

[[noreturn]] void run_writer(const std::filesystem::path& path, const FileStorageOptions& options,
                             std::uint32_t key_space, int ack_fd) {
  try {
    FileStorage s(path, options);
    for (std::uint32_t i = 0;; ++i) {
      const Op op = storage_test::writer_op(i, key_space);
      if (op.erase) {
        s.erase(op.key);
      } else {
        s.put(op.key, op.value);
      }
      if (::write(ack_fd, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) {
        ::_exit(3);
      }
    }
  } catch (...) {
    ::_exit(2);
  }
}

}  // namespace

TEST_CASE("FileStorage: every put that returned survives SIGKILL of the writer",
          "[storage][file][crash]") {
  FileStorageOptions options;
  std::uint32_t key_space = 257;
  SECTION("fdatasync on every write") {}
  SECTION("no automatic sync: a process crash loses nothing either") {
    options.sync_every_writes = 0;
  }
  SECTION("frequent compactions, so kills land inside them") {
    key_space = 7;
    options.compact_min_garbage_bytes = 512;
    options.sync_every_writes = 4;
  }
  std::mt19937 rng(99);
  for (int round = 0; round < 4; ++round) {
    TempDir dir;
    const auto path = dir.file("log");
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::uint32_t kill_after = 20 + static_cast<std::uint32_t>(rng() % 400);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_writer(path, options, key_space, fds[1]);
    }
    ::close(fds[1]);
    std::int64_t last_ack = -1;
    bool killed = false;
    for (;;) {
      std::uint32_t ack = 0;
      const ssize_t n = ::read(fds[0], &ack, sizeof ack);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n != static_cast<ssize_t>(sizeof ack)) {
        break;  // EOF: the child is gone
      }
      last_ack = ack;
      if (!killed && ack >= kill_after) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));  // not an early exit of the writer
    REQUIRE(last_ack >= static_cast<std::int64_t>(kill_after));

    // Acknowledged ops are all there; the op in flight at the kill may or may not be.
    Model acked;
    for (std::uint32_t i = 0; i <= static_cast<std::uint32_t>(last_ack); ++i) {
      apply_op(acked, storage_test::writer_op(i, key_space));
    }
    Model with_next = acked;
    apply_op(with_next,
             storage_test::writer_op(static_cast<std::uint32_t>(last_ack) + 1, key_space));
    FileStorage s(path);
    const Model recovered = dump(s);
    CAPTURE(round, last_ack, s.recovery_report().describe());
    CHECK((recovered == acked || recovered == with_next));
    CHECK_FALSE(std::filesystem::exists(s.compaction_path()));
  }
}

// RLIMIT_FSIZE makes a write fail half-way with EFBIG, which stands in for ENOSPC. It is set in
// a child process so no other file this test runner writes can hit the limit.
TEST_CASE("FileStorage: a failed write leaves no trace in the index or the file",
          "[storage][file][crash]") {
  TempDir dir;
  const auto path = dir.file("log");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      ::signal(SIGXFSZ, SIG_IGN);
      FileStorage s(path);
      s.put("a", "1");
      struct rlimit old{};
      ::getrlimit(RLIMIT_FSIZE, &old);
      struct rlimit tight = old;
      tight.rlim_cur = static_cast<rlim_t>(s.stats().file_bytes + 20);
      ::setrlimit(RLIMIT_FSIZE, &tight);
      try {
        s.put("b", std::string(1000, 'x'));
        code = 10;
      } catch (const std::system_error& e) {
        code = e.code().value() == EFBIG ? 0 : 11;
      }
      ::setrlimit(RLIMIT_FSIZE, &old);
      if (code == 0 && s.get("b").has_value()) code = 12;
      if (code == 0 && s.get("a") != "1") code = 13;
      if (code == 0 && s.stats().file_bytes != 16 + 15) code = 14;
      s.put("c", "3");
    } catch (...) {
      code = 20;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  FileStorage s(path);
  CHECK(s.recovery_report().clean());  // the partial record was cut off, not left as a torn tail
  CHECK(dump(s) == Model{{"a", "1"}, {"c", "3"}});
}

TEST_CASE("FileStorage: a second opener in another process gets a clear error",
          "[storage][file][lock]") {
  TempDir dir;
  const auto path = dir.file("log");
  auto first = std::make_unique<FileStorage>(path);
  first->put("k", "v");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 3;
    try {
      FileStorage second(path);
      code = 1;
    } catch (const std::system_error& e) {
      code = e.code().value() == EWOULDBLOCK ? 0 : 2;
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  first->put("k2", "v2");
  first.reset();
  FileStorage reopened(path);
  CHECK(dump(reopened) == Model{{"k", "v"}, {"k2", "v2"}});
}

TEST_CASE("FileStorage: a side file gets the log's permissions", "[storage][file][recovery]") {
  namespace fs = std::filesystem;
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    s.put("secret", "1");
    s.put("secret", "2");
  }
  std::string bytes = read_file(path);
  bytes[16 + 13] ^= 0x01;  // record 0's key: record 1 follows, valid
  write_file(path, bytes);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  FileStorage s(path);
  REQUIRE_FALSE(s.recovery_report().dropped_bytes_saved_to.empty());
  CHECK(fs::status(s.recovery_report().dropped_bytes_saved_to).permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

// RLIMIT_FSIZE makes writing the side file fail with EFBIG (as ENOSPC would); in a child
// process, so no other file of this test runner can hit the limit.
TEST_CASE("FileStorage: when the side file cannot be written the log is left untouched",
          "[storage][file][recovery]") {
  TempDir dir;
  const auto path = dir.file("log");
  {
    FileStorage s(path);
    for (int i = 0; i < 4; ++i) {
      s.put("k" + std::to_string(i), std::string(100, static_cast<char>('a' + i)));
    }
  }
  std::string bytes = read_file(path);
  bytes[16 + 20] ^= 0x01;  // record 0's value: three valid records follow
  write_file(path, bytes);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string what = "opened";
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit tight{};
    ::getrlimit(RLIMIT_FSIZE, &tight);
    tight.rlim_cur = 50;
    ::setrlimit(RLIMIT_FSIZE, &tight);
    try {
      FileStorage s(path);
    } catch (const std::system_error& e) {
      what = (e.code().value() == EFBIG ? "EFBIG: " : "other errno: ") + std::string(e.what());
    } catch (const std::exception& e) {
      what = std::string("other exception: ") + e.what();
    }
    const auto written = ::write(fds[1], what.data(), what.size());
    ::_exit(written == static_cast<ssize_t>(what.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string what;
  char buf[512];
  for (ssize_t got; (got = ::read(fds[0], buf, sizeof buf)) > 0;) {
    what.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(what, rxsync_test::contains("EFBIG: "));
  CHECK_THAT(what, rxsync_test::contains(path.string()));
  CHECK_THAT(what, rxsync_test::contains("is damaged at offset 16 and was left untouched"));
  CHECK_THAT(what, rxsync_test::contains("could not write '" + path.string() + ".dropped-16'"));
  CHECK_THAT(what, rxsync_test::contains("open it again"));
  CHECK(read_file(path) == bytes);

  // The incomplete copy was removed; once writing works again, recovery saves the tail.
  CHECK(side_files(path).empty());
  FileStorage s(path);
  CHECK(s.recovery_report().dropped_bytes_saved_to == path.string() + ".dropped-16");
  CHECK(read_file(path.string() + ".dropped-16") == bytes.substr(16));
}
