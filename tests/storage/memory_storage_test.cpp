#include <rxsync/storage/memory_storage.hpp>

#include <memory>
#include <stdexcept>

#include "storage_test_support.hpp"

using rxsync::MemoryStorage;

TEST_CASE("MemoryStorage: Storage conformance", "[storage][memory]") {
  storage_test::check_storage_conformance([] { return std::make_unique<MemoryStorage>(); });
}

TEST_CASE("MemoryStorage: size, contains, clear, copies are independent", "[storage][memory]") {
  MemoryStorage s;
  CHECK(s.empty());
  s.put("a", "1");
  s.put("b", "2");
  CHECK(s.size() == 2);
  CHECK(s.contains("a"));
  CHECK_FALSE(s.contains("c"));

  MemoryStorage copy = s;
  copy.put("a", "changed");
  CHECK(s.get("a") == "1");
  MemoryStorage moved = std::move(copy);
  CHECK(moved.get("a") == "changed");

  s.clear();
  CHECK(s.empty());
  CHECK_FALSE(s.get("a").has_value());
}

TEST_CASE("MemoryStorage: modifying from inside for_each throws instead of corrupting",
          "[storage][memory]") {
  MemoryStorage s;
  s.put("a", "1");
  s.put("b", "2");
  REQUIRE_THROWS_AS(s.for_each([&](std::string_view k, std::string_view) { s.erase(k); }),
                    std::logic_error);
  REQUIRE_THROWS_WITH(s.for_each([&](std::string_view, std::string_view) { s.put("c", "3"); }),
                      rxsync_test::contains("inside for_each"));
  // Reading while visiting is fine, and the guard is released after a throwing visit.
  int seen = 0;
  s.for_each([&](std::string_view k, std::string_view v) {
    CHECK(s.get(k) == std::string(v));
    ++seen;
  });
  CHECK(seen == 2);
  s.put("c", "3");
  CHECK(s.size() == 3);
}
