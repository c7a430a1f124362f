#include <rxsync/resilience/resource_pool.hpp>
#include <rxsync/schedulers/virtual_time_scheduler.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rxsync_catch.hpp"

using namespace std::chrono_literals;
using rxsync::PoolErrc;
using rxsync::PoolError;
using rxsync::ResourcePool;
using rxsync::ResourcePoolOptions;
using rxsync::VirtualTimeScheduler;

namespace {
struct Conn {
  int id = -1;
  bool healthy = true;
};
struct Log {
  int next = 0;
  bool fail = false;
  std::vector<int> destroyed;
};
struct Factory {
  std::shared_ptr<Log> log;
  Conn create() {
    if (log->fail) throw std::runtime_error("connect refused");
    return Conn{log->next++, true};
  }
  bool validate(Conn& c) { return c.healthy; }
  void destroy(Conn& c) { log->destroyed.push_back(c.id); }
};
using Pool = ResourcePool<Conn, Factory>;

// Collects what an acquire callback received.
struct Got {
  std::optional<Pool::Lease> lease;
  std::string error = "-";
  bool called = false;
  auto cb() {
    return [this](Pool::Lease l, std::exception_ptr e) {
      called = true;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const PoolError& err) {
          error = err.code() == PoolErrc::timeout ? "timeout" : "closed";
        } catch (const std::exception& err) {
          error = err.what();
        }
      } else {
        lease.emplace(std::move(l));
      }
    };
  }
  int id() { return lease && *lease ? (*lease)->id : -1; }
};

ResourcePoolOptions opts(std::size_t min, std::size_t max) {
  ResourcePoolOptions o;
  o.min_size = min;
  o.max_size = max;
  o.acquire_timeout = 5s;
  o.idle_timeout = 60s;
  return o;
}
}  // namespace

TEST_CASE("ResourcePool creates up to max, then serves waiters first come first served") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Pool pool(s, Factory{log}, opts(0, 2));
  Got a, b, c, d;
  pool.acquire(a.cb());
  pool.acquire(b.cb());
  CHECK(a.id() == 0);
  CHECK(b.id() == 1);
  pool.acquire(c.cb());
  pool.acquire(d.cb());
  CHECK_FALSE(c.called);
  CHECK(pool.stats().waiting == 2);
  b.lease.reset();  // returns conn 1 -> first waiter
  CHECK(c.id() == 1);
  CHECK_FALSE(d.called);
  a.lease->reset();  // explicit early return
  CHECK(d.id() == 0);
  CHECK(log->next == 2);
  CHECK(pool.stats().total == 2);
  CHECK(pool.stats().created == 2);
}

TEST_CASE("ResourcePool fails a waiter after the acquire timeout") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Pool pool(s, Factory{log}, opts(0, 1));
  Got a, b;
  pool.acquire(a.cb());
  pool.acquire(b.cb());
  s.advance_by(4999ms);
  CHECK_FALSE(b.called);
  s.advance_by(1ms);
  CHECK(b.error == "timeout");
  CHECK(pool.stats().timeouts == 1);
  CHECK(pool.stats().waiting == 0);
  a.lease.reset();
  CHECK(pool.stats().idle == 1);
}

TEST_CASE("ResourcePool validates on acquire and destroys invalid or invalidated resources") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Pool pool(s, Factory{log}, opts(0, 2));
  {
    Got a;
    pool.acquire(a.cb());
    (*a.lease)->healthy = false;  // broke while in use, not noticed by the user
  }
  Got b;
  pool.acquire(b.cb());
  CHECK(b.id() == 1);
  CHECK(log->destroyed == std::vector<int>{0});
  CHECK(pool.stats().invalid == 1);
  b.lease->invalidate();
  b.lease.reset();
  CHECK(log->destroyed == std::vector<int>{0, 1});
  CHECK(pool.stats().total == 0);
  CHECK(pool.stats().destroyed == 2);
}

TEST_CASE("ResourcePool reports factory failures to the acquirer without leaking a slot") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Pool pool(s, Factory{log}, opts(0, 1));
  log->fail = true;
  Got a;
  pool.acquire(a.cb());
  CHECK(a.error == "connect refused");
  REQUIRE_THROWS_WITH(pool.try_acquire(), rxsync_test::contains("connect refused"));
  CHECK(pool.stats().factory_failures == 2);
  CHECK(pool.stats().total == 0);
  log->fail = false;
  auto lease = pool.try_acquire();
  REQUIRE(lease);
  CHECK((*lease)->id == 0);
  CHECK_FALSE(pool.try_acquire().has_value());  // full: try_acquire never waits
}

TEST_CASE("ResourcePool: a validate that throws is reported and frees the resource's slot") {
  struct ThrowingValidate : Factory {
    std::shared_ptr<int> throws;
    bool validate(Conn& c) {
      if (*throws > 0) {
        --*throws;
        throw std::runtime_error("health check crashed");
      }
      return c.healthy;
    }
  };
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  auto throws = std::make_shared<int>(0);
  ResourcePool<Conn, ThrowingValidate> pool(s, ThrowingValidate{{log}, throws}, opts(0, 1));
  {
    auto first = pool.try_acquire();
  }  // creates conn 0, returns it idle
  *throws = 1;
  REQUIRE_THROWS_WITH(pool.try_acquire(), rxsync_test::contains("health check crashed"));
  CHECK(log->destroyed == std::vector<int>{0});
  CHECK(pool.stats().total == 0);
  CHECK(pool.stats().invalid == 1);
  auto again = pool.try_acquire();  // max_size 1: only possible if the slot came back
  REQUIRE(again);
  CHECK((*again)->id == 1);
}

TEST_CASE("ResourcePool keeps min_size and destroys idle resources above it after idle_timeout") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Pool pool(s, Factory{log}, opts(1, 3));
  CHECK(pool.stats().idle == 1);
  {
    auto l1 = pool.try_acquire();
    auto l2 = pool.try_acquire();
    auto l3 = pool.try_acquire();
    REQUIRE(l3);
    s.advance_by(10s);
    l1.reset();  // idle since 10 s
    s.advance_by(10s);
    l2.reset();  // idle since 20 s
    l3.reset();  // idle since 20 s (most recent: reused first)
  }
  CHECK(pool.stats().idle == 3);
  s.advance_by(50s);  // t = 70: the one idle since 10 s goes
  CHECK(pool.stats().idle == 2);
  CHECK(log->destroyed.size() == 1);
  s.advance_by(10s);  // t = 80: one more, but min_size 1 stays
  CHECK(pool.stats().idle == 1);
  s.advance_by(1000s);
  CHECK(pool.stats().total == 1);
  CHECK(s.pending() == 0);
}

TEST_CASE("ResourcePool::close fails waiters, destroys idle, and leases may outlive the pool") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  Got a, b, c;
  {
    Pool pool(s, Factory{log}, opts(0, 2));
    pool.acquire(a.cb());
    pool.acquire(b.cb());
    b.lease.reset();  // idle
    Got w;
    auto l = pool.try_acquire();
    pool.acquire(w.cb());
    pool.close();
    CHECK(w.error == "closed");
    pool.acquire(c.cb());
    CHECK(c.error == "closed");
  }
  CHECK(log->destroyed.size() == 1);  // the one returned by `l` when it went out of scope
  a.lease.reset();                    // returned after the pool is gone: destroyed
  CHECK(log->destroyed.size() == 2);
}

TEST_CASE("ResourcePool destroys what it created if min_size prefill fails") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  struct Flaky : Factory {
    Conn create() {
      if (log->next == 2) throw std::runtime_error("third connect fails");
      return Factory::create();
    }
  };
  REQUIRE_THROWS_WITH((ResourcePool<Conn, Flaky>(s, Flaky{{log}}, opts(3, 3))),
                      rxsync_test::contains("third connect fails"));
  CHECK(log->destroyed == std::vector<int>{0, 1});
}

TEST_CASE("ResourcePoolOptions are validated") {
  VirtualTimeScheduler s;
  auto log = std::make_shared<Log>();
  auto o = opts(0, 0);
  REQUIRE_THROWS_WITH(Pool(s, Factory{log}, o),
                      rxsync_test::contains("max_size must be >= 1, got 0"));
  o = opts(3, 2);
  REQUIRE_THROWS_WITH(Pool(s, Factory{log}, o),
                      rxsync_test::contains("min_size must be <= max_size (2), got 3"));
  o = opts(0, 2);
  o.acquire_timeout = 0s;
  REQUIRE_THROWS_WITH(Pool(s, Factory{log}, o),
                      rxsync_test::contains("acquire_timeout must be > 0"));
  o = opts(0, 2);
  o.idle_timeout = -1s;
  REQUIRE_THROWS_WITH(Pool(s, Factory{log}, o), rxsync_test::contains("idle_timeout must be >= 0"));
}
