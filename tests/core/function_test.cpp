#include <rxsync/core/function.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "rxsync_catch.hpp"

using rxsync::MoveOnlyFunction;

namespace {

// Counts live instances and moves of the callables below, so a test can tell whether a target
// was moved (stored inline) or its pointer handed over (stored on the heap), and that every
// instance is destroyed exactly once.
struct Counts {
  int constructed = 0;
  int destroyed = 0;
  int moved = 0;
  int calls = 0;
  int live() const { return constructed - destroyed; }
};

template <std::size_t Padding, bool NothrowMove = true>
struct Tracked {
  Counts* counts;
  std::array<std::byte, Padding> padding{};

  explicit Tracked(Counts* c) : counts(c) { ++counts->constructed; }
  Tracked(const Tracked& other) : counts(other.counts), padding(other.padding) {
    ++counts->constructed;
  }
  Tracked(Tracked&& other) noexcept(NothrowMove) : counts(other.counts), padding(other.padding) {
    ++counts->constructed;
    ++counts->moved;
  }
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { ++counts->destroyed; }

  int operator()(int x) {
    ++counts->calls;
    return x + static_cast<int>(Padding);
  }
};

using Small = Tracked<1>;                // fits the 4-pointer buffer
using Big = Tracked<8 * sizeof(void*)>;  // too big for the buffer
using ThrowingMove = Tracked<1, false>;  // small, but a throwing move forces the heap

struct alignas(64) OverAligned {
  int operator()(int x) const { return x * 2; }
};

}  // namespace

TEST_CASE("MoveOnlyFunction: empty states", "[core][function]") {
  MoveOnlyFunction<void()> a;
  MoveOnlyFunction<void()> b = nullptr;
  CHECK_FALSE(a);
  CHECK_FALSE(b);

  MoveOnlyFunction<void()> c = [] {};
  CHECK(c);
  c.reset();
  CHECK_FALSE(c);
  c.reset();  // resetting an empty function is a no-op
  CHECK_FALSE(c);

  MoveOnlyFunction<void()> d = std::move(a);  // moving an empty function
  CHECK_FALSE(d);
}

TEST_CASE("MoveOnlyFunction: arguments and results are forwarded", "[core][function]") {
  MoveOnlyFunction<int(int, int)> add = [](int x, int y) { return x + y; };
  CHECK(add(2, 3) == 5);

  // Move-only argument and result.
  MoveOnlyFunction<std::unique_ptr<int>(std::unique_ptr<int>)> bump = [](std::unique_ptr<int> p) {
    ++*p;
    return p;
  };
  auto out = bump(std::make_unique<int>(41));
  REQUIRE(out);
  CHECK(*out == 42);

  // By-reference arguments reach the target as references.
  MoveOnlyFunction<void(std::string&)> append = [](std::string& s) { s += "!"; };
  std::string s = "hi";
  append(s);
  CHECK(s == "hi!");

  // A mutable target keeps its state between calls.
  MoveOnlyFunction<int()> counter = [n = 0]() mutable { return ++n; };
  CHECK(counter() == 1);
  CHECK(counter() == 2);
  auto moved = std::move(counter);
  CHECK(moved() == 3);

  // Exceptions from the target propagate; the function stays usable.
  MoveOnlyFunction<void(bool)> may_throw = [](bool t) {
    if (t) throw std::runtime_error("boom");
  };
  CHECK_THROWS_AS(may_throw(true), std::runtime_error);
  CHECK_NOTHROW(may_throw(false));

  // Plain function pointers are callables too.
  MoveOnlyFunction<int(int)> fp = +[](int x) { return -x; };
  CHECK(fp(4) == -4);
}

TEST_CASE("MoveOnlyFunction: holds move-only targets", "[core][function]") {
  auto p = std::make_unique<int>(7);
  MoveOnlyFunction<int()> f = [p = std::move(p)] { return *p; };
  CHECK(f() == 7);
  MoveOnlyFunction<int()> g;
  g = std::move(f);
  CHECK_FALSE(f);  // NOLINT(bugprone-use-after-move): moved-from is specified to be empty
  CHECK(g() == 7);
}

TEST_CASE("MoveOnlyFunction: inline target is moved with the function", "[core][function]") {
  Counts counts;
  {
    MoveOnlyFunction<int(int)> f = Small(&counts);
    CHECK(counts.live() == 1);
    CHECK(f(1) == 2);
    const int moves_before = counts.moved;

    MoveOnlyFunction<int(int)> g = std::move(f);
    CHECK_FALSE(f);  // NOLINT(bugprone-use-after-move)
    CHECK(g);
    // Inline storage: the target itself is moved into g and the old one destroyed.
    CHECK(counts.moved == moves_before + 1);
    CHECK(counts.live() == 1);
    CHECK(g(1) == 2);
    CHECK(counts.calls == 2);
  }
  CHECK(counts.live() == 0);
  CHECK(counts.destroyed == counts.constructed);
}

TEST_CASE("MoveOnlyFunction: heap targets are handed over without moving", "[core][function]") {
  Counts counts;
  SECTION("too big for the buffer") {
    {
      MoveOnlyFunction<int(int)> f = Big(&counts);
      const int moves_before = counts.moved;
      MoveOnlyFunction<int(int)> g = std::move(f);
      MoveOnlyFunction<int(int)> h;
      h = std::move(g);
      CHECK(counts.moved == moves_before);  // only the pointer travelled
      CHECK(counts.live() == 1);
      CHECK(h(0) == static_cast<int>(8 * sizeof(void*)));
      CHECK_FALSE(f);  // NOLINT(bugprone-use-after-move)
      CHECK_FALSE(g);  // NOLINT(bugprone-use-after-move)
    }
    CHECK(counts.live() == 0);
  }
  SECTION("throwing move constructor") {
    {
      MoveOnlyFunction<int(int)> f = ThrowingMove(&counts);
      const int moves_before = counts.moved;
      MoveOnlyFunction<int(int)> g = std::move(f);
      CHECK(counts.moved == moves_before);
      CHECK(g(1) == 2);
    }
    CHECK(counts.live() == 0);
  }
  SECTION("over-aligned") {
    MoveOnlyFunction<int(int)> f = OverAligned{};
    MoveOnlyFunction<int(int)> g = std::move(f);
    CHECK(g(21) == 42);
  }
}

TEST_CASE("MoveOnlyFunction: assignment and reset destroy the old target once",
          "[core][function]") {
  Counts a;
  Counts b;
  MoveOnlyFunction<int(int)> f = Small(&a);
  MoveOnlyFunction<int(int)> g = Big(&b);
  REQUIRE(a.live() == 1);
  REQUIRE(b.live() == 1);

  f = std::move(g);  // f's inline target dies, f takes g's heap target
  CHECK(a.live() == 0);
  CHECK(b.live() == 1);
  CHECK_FALSE(g);  // NOLINT(bugprone-use-after-move)

  g = std::move(f);  // and back, into a previously emptied function
  CHECK(b.live() == 1);
  CHECK(g(0) == static_cast<int>(8 * sizeof(void*)));

  f = MoveOnlyFunction<int(int)>(Small(&a));
  CHECK(a.live() == 1);
  f = nullptr;  // assigning an empty function releases the target
  CHECK(a.live() == 0);
  CHECK_FALSE(f);

  g.reset();
  CHECK(b.live() == 0);
  CHECK(a.destroyed == a.constructed);
  CHECK(b.destroyed == b.constructed);
}

TEST_CASE("MoveOnlyFunction: self move-assignment keeps the target", "[core][function]") {
  Counts counts;
  MoveOnlyFunction<int(int)> f = Small(&counts);
  auto& alias = f;  // through a reference, so compilers do not warn about the self-move
  f = std::move(alias);
  CHECK(f);
  CHECK(f(1) == 2);
  CHECK(counts.live() == 1);
}

TEST_CASE("MoveOnlyFunction: a null function pointer makes an empty function", "[core][function]") {
  int (*null_fn)(int) = nullptr;
  rxsync::MoveOnlyFunction<int(int)> f(null_fn);
  CHECK_FALSE(static_cast<bool>(f));
  rxsync::MoveOnlyFunction<int(int)> g(+[](int x) { return x + 1; });
  REQUIRE(static_cast<bool>(g));
  CHECK(g(1) == 2);
}
