// A SyncService outliving its storage must abort with a message that says what went wrong: a
// death test, run in a forked child. POSIX only (tests/CMakeLists.txt,
// RXSYNC_TESTS_NOT_ON_WINDOWS lists it).
#include <rxsync/schedulers/virtual_time_scheduler.hpp>
#include <rxsync/storage/memory_storage.hpp>
#include <rxsync/sync/sync_service.hpp>
#include <rxsync/testing/sim_network.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

using rxsync_test::GSet;
using Net = rxsync::SimNetwork<std::string, GSet, rxsync::VirtualTimeScheduler>;

namespace {

using Service = rxsync::SyncService<std::string, GSet, Net::Client, rxsync::MemoryStorage,
                                    rxsync::VirtualTimeScheduler>;

rxsync::SyncServiceOptions defaults(const std::string& origin) {
  rxsync::SyncServiceOptions o;
  o.origin = origin;
  return o;
}

}  // namespace

TEST_CASE("destroying the storage before its service is a clear error, not a crash later",
          "[sync]") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // the misuse, in a child process: it must abort with a message
    ::dup2(pipe_fds[1], 2);
    rxsync::VirtualTimeScheduler sched;
    Net net(sched);
    auto storage = std::make_unique<rxsync::MemoryStorage>();
    Service s(sched, net.client("a"), *storage, defaults("a"));
    storage.reset();
    ::_exit(0);  // not reached
  }
  ::close(pipe_fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;)
    err.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(err.find("a MemoryStorage was destroyed while 1 component") != std::string::npos);
  CHECK(err.find("declare the storage before the services") != std::string::npos);

  // The right order is fine, and a moved service keeps its lease.
  rxsync::VirtualTimeScheduler sched;
  Net net(sched);
  rxsync::MemoryStorage storage;
  {
    Service s(sched, net.client("a"), storage, defaults("a"));
    Service moved = std::move(s);
    CHECK(storage.rxsync_lifetime_guard().leases() == 1);
  }
  CHECK(storage.rxsync_lifetime_guard().leases() == 0);
}
