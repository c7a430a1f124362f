#include <rxsync/core/subscription.hpp>

#include <memory>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

using rxsync::CompositeSubscription;
using rxsync::ScopedSubscription;
using rxsync::Subscription;

TEST_CASE("Subscription: empty and flag-only handles", "[core][subscription]") {
  Subscription empty;
  CHECK_FALSE(empty.is_subscribed());
  empty.unsubscribe();  // no state: a no-op, never a crash
  CHECK_FALSE(empty.is_subscribed());
  CHECK(empty == Subscription{});

  auto flag = Subscription::create();
  CHECK(flag.is_subscribed());
  CHECK_FALSE(flag == empty);
  flag.unsubscribe();
  CHECK_FALSE(flag.is_subscribed());
}

TEST_CASE("Subscription: teardown runs exactly once", "[core][subscription]") {
  int runs = 0;
  auto s = Subscription::create([&] { ++runs; });
  CHECK(s.is_subscribed());
  CHECK(runs == 0);

  Subscription copy = s;  // copies share the state
  CHECK(copy == s);
  copy.unsubscribe();
  CHECK(runs == 1);
  CHECK_FALSE(s.is_subscribed());
  CHECK_FALSE(copy.is_subscribed());

  s.unsubscribe();
  copy.unsubscribe();
  CHECK(runs == 1);
}

TEST_CASE("Subscription: teardown captures are released on unsubscribe", "[core][subscription]") {
  auto resource = std::make_shared<int>(1);
  std::weak_ptr<int> watch = resource;
  auto s = Subscription::create([r = std::move(resource)] { (void)r; });
  CHECK_FALSE(watch.expired());
  s.unsubscribe();
  // The handle is still alive, but what the cancelled work held is not.
  CHECK(watch.expired());
}

TEST_CASE("Subscription: a never-unsubscribed teardown does not run on destruction",
          "[core][subscription]") {
  int runs = 0;
  {
    auto s = Subscription::create([&] { ++runs; });
    Subscription copy = s;
  }
  // Dropping the last handle forgets the work; only ScopedSubscription cancels on scope exit.
  CHECK(runs == 0);
}

TEST_CASE("Subscription: unsubscribe from inside its own teardown", "[core][subscription]") {
  int runs = 0;
  Subscription self;
  auto s = Subscription::create([&] {
    ++runs;
    CHECK_FALSE(self.is_subscribed());  // already marked before the teardown runs
    self.unsubscribe();                 // re-entrant call: must not recurse or deadlock
  });
  self = s;
  s.unsubscribe();
  CHECK(runs == 1);
}

TEST_CASE("Subscription: a teardown may unsubscribe others and be unsubscribed by them",
          "[core][subscription]") {
  std::vector<int> order;
  Subscription b;
  Subscription a = Subscription::create([&] {
    order.push_back(1);
    b.unsubscribe();
  });
  b = Subscription::create([&] {
    order.push_back(2);
    a.unsubscribe();  // cycle back to a: already disposed, no second run
  });
  a.unsubscribe();
  CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("ScopedSubscription: unsubscribes on scope exit", "[core][subscription]") {
  int runs = 0;
  auto s = Subscription::create([&] { ++runs; });
  {
    ScopedSubscription scoped = s;
    CHECK(scoped.is_subscribed());
    CHECK(scoped.get() == s);
  }
  CHECK(runs == 1);
  CHECK_FALSE(s.is_subscribed());

  ScopedSubscription empty;  // destroying an empty owner is fine
  CHECK_FALSE(empty.is_subscribed());
}

TEST_CASE("ScopedSubscription: move, reset and release", "[core][subscription]") {
  int a_runs = 0;
  int b_runs = 0;
  auto a = Subscription::create([&] { ++a_runs; });
  auto b = Subscription::create([&] { ++b_runs; });

  SECTION("move construction transfers ownership") {
    {
      ScopedSubscription outer;
      {
        ScopedSubscription inner = a;
        outer = std::move(inner);
        CHECK_FALSE(inner.is_subscribed());  // NOLINT(bugprone-use-after-move): specified empty
      }
      CHECK(a_runs == 0);  // inner's destruction did not cancel what it gave away
      CHECK(outer.is_subscribed());
    }
    CHECK(a_runs == 1);
  }
  SECTION("move assignment cancels what the target held") {
    ScopedSubscription x = a;
    ScopedSubscription y = b;
    x = std::move(y);
    CHECK(a_runs == 1);
    CHECK(b_runs == 0);
    CHECK(x.get() == b);
    auto& alias = x;
    x = std::move(alias);  // self-move leaves it alone
    CHECK(b_runs == 0);
    CHECK(x.is_subscribed());
  }
  SECTION("reset cancels the old one and adopts the new one") {
    ScopedSubscription x = a;
    x.reset(b);
    CHECK(a_runs == 1);
    CHECK(b_runs == 0);
    x.reset();
    CHECK(b_runs == 1);
    CHECK_FALSE(x.is_subscribed());
  }
  SECTION("release gives up ownership without cancelling") {
    Subscription released;
    {
      ScopedSubscription x = a;
      released = x.release();
      CHECK_FALSE(x.get().is_subscribed());
    }
    CHECK(a_runs == 0);
    CHECK(released == a);
    CHECK(released.is_subscribed());
  }
  SECTION("explicit unsubscribe") {
    ScopedSubscription x = a;
    x.unsubscribe();
    CHECK(a_runs == 1);
    CHECK_FALSE(x.is_subscribed());
  }
}

TEST_CASE("CompositeSubscription: cancels every child once", "[core][subscription]") {
  CompositeSubscription group;
  int runs = 0;
  std::vector<Subscription> kids;
  for (int i = 0; i < 5; ++i) {
    kids.push_back(Subscription::create([&] { ++runs; }));
    group.add(kids.back());
  }
  CHECK(group.size() == 5);
  CHECK(group.is_subscribed());

  group.unsubscribe();
  CHECK(runs == 5);
  CHECK_FALSE(group.is_subscribed());
  CHECK(group.size() == 0);
  for (auto& k : kids) CHECK_FALSE(k.is_subscribed());

  group.unsubscribe();
  CHECK(runs == 5);
}

TEST_CASE("CompositeSubscription: add after unsubscribe cancels at once", "[core][subscription]") {
  CompositeSubscription group;
  group.unsubscribe();
  int runs = 0;
  auto late = Subscription::create([&] { ++runs; });
  group.add(late);
  CHECK(runs == 1);
  CHECK_FALSE(late.is_subscribed());
  CHECK(group.size() == 0);
}

TEST_CASE("CompositeSubscription: finished and empty children are not kept",
          "[core][subscription]") {
  CompositeSubscription group;
  group.add(Subscription{});
  auto done = Subscription::create();
  done.unsubscribe();
  group.add(done);
  CHECK(group.size() == 0);
}

TEST_CASE("CompositeSubscription: remove forgets without cancelling", "[core][subscription]") {
  CompositeSubscription group;
  int a_runs = 0;
  int b_runs = 0;
  auto a = Subscription::create([&] { ++a_runs; });
  auto b = Subscription::create([&] { ++b_runs; });
  group.add(a);
  group.add(b);
  group.remove(a);
  CHECK(group.size() == 1);
  CHECK(a.is_subscribed());
  group.remove(a);  // not a member any more: no-op
  group.remove(Subscription::create());
  CHECK(group.size() == 1);

  group.unsubscribe();
  CHECK(a_runs == 0);
  CHECK(b_runs == 1);
}

TEST_CASE("CompositeSubscription: prunes children that finished on their own",
          "[core][subscription]") {
  CompositeSubscription group;
  std::vector<Subscription> kids;
  for (int i = 0; i < 16; ++i) {
    kids.push_back(Subscription::create());
    group.add(kids.back());
  }
  for (int i = 0; i < 10; ++i) kids[static_cast<std::size_t>(i)].unsubscribe();
  CHECK(group.size() == 16);  // finished children linger until the next prune

  group.add(Subscription::create());
  CHECK(group.size() == 7);  // 6 live ones plus the new one

  // A long-lived group with short-lived children stays bounded.
  for (int i = 0; i < 1000; ++i) {
    auto k = Subscription::create();
    group.add(k);
    k.unsubscribe();
  }
  CHECK(group.size() <= 32);
  group.unsubscribe();
  for (int i = 10; i < 16; ++i) CHECK_FALSE(kids[static_cast<std::size_t>(i)].is_subscribed());
}

TEST_CASE("CompositeSubscription: teardowns may re-enter the group", "[core][subscription]") {
  CompositeSubscription group;
  int late_runs = 0;
  int removed_runs = 0;
  Subscription removable;
  removable = Subscription::create([&] {
    ++removed_runs;
    group.remove(removable);  // touching the group from a child's teardown must not deadlock
  });
  group.add(removable);
  group.add(Subscription::create([&] {
    // A child that adds more work while the group is being cancelled: cancelled at once.
    group.add(Subscription::create([&] { ++late_runs; }));
  }));
  group.unsubscribe();
  CHECK(removed_runs == 1);
  CHECK(late_runs == 1);
  CHECK(group.size() == 0);
}

TEST_CASE("CompositeSubscription: is a Subscription and nests", "[core][subscription]") {
  CompositeSubscription outer;
  CompositeSubscription inner;
  int runs = 0;
  inner.add(Subscription::create([&] { ++runs; }));
  outer.add(inner);  // implicit conversion
  Subscription handle = outer.subscription();
  CHECK(handle.is_subscribed());

  handle.unsubscribe();  // through the plain handle
  CHECK(runs == 1);
  CHECK_FALSE(outer.is_subscribed());
  CHECK_FALSE(inner.is_subscribed());

  CompositeSubscription copy = inner;  // copies share the group
  CHECK_FALSE(copy.is_subscribed());
}
