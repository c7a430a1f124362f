// ServerCore over MemoryServerStore: the logic every rxsync server runs.
#include <rxsync/sync/server_core.hpp>
#include <rxsync/sync/server_store.hpp>

#include "rxsync_catch.hpp"
#include "sync_test_support.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using rxsync::ItemOutcome;
using rxsync::ServerChange;
using rxsync_test::GSet;

namespace {

std::string set_of(std::initializer_list<std::string> items) {
  return rxsync::DefaultCodec::encode(GSet{std::set<std::string>(items)});
}
GSet decoded(const std::string& bytes) {
  return rxsync::DefaultCodec::decode(bytes, static_cast<GSet*>(nullptr));
}

struct Server {
  explicit Server(std::uint64_t epoch = 42, rxsync::ServerCoreOptions o = {})
      : store(epoch),
        core(store, rxsync::typed_merger<GSet>(), rxsync::typed_validator<GSet>(), o) {}
  rxsync::MemoryServerStore store;
  rxsync::ServerCore core;

  std::vector<rxsync::ServerOutcome> push(const std::string& key, const std::string& origin,
                                          std::uint64_t version, const std::string& value) {
    const std::vector<ServerChange> c{{key, value, origin, version, 0}};
    return core.push(c);
  }
};

}  // namespace

TEST_CASE("a change is applied once per (key, origin, version), stale copies are dropped",
          "[server]") {
  Server s;
  CHECK(s.push("k", "phone", 5, set_of({"a"}))[0].kind == ItemOutcome::ok);
  const std::uint64_t head = s.core.head_cursor();
  // The same change again (a duplicate delivery), and an older version that arrives late.
  CHECK(s.push("k", "phone", 5, set_of({"a"}))[0].kind == ItemOutcome::ok);
  CHECK(s.push("k", "phone", 3, set_of({"stale"}))[0].kind == ItemOutcome::ok);
  CHECK(s.core.head_cursor() == head);
  CHECK(decoded(*s.core.value("k")) == GSet{{"a"}});
  CHECK(s.core.stats().duplicates == 2);
  CHECK(s.core.stats().changes_applied == 1);
  // Another origin's change of the same key merges.
  s.push("k", "laptop", 1, set_of({"b"}));
  CHECK(decoded(*s.core.value("k")) == GSet{{"a", "b"}});
  CHECK(s.core.stats().conflicts_merged == 1);
  CHECK(s.core.head_cursor() != head);
}

TEST_CASE("pulls page through changes in sequence order with `more`", "[server]") {
  Server s(42, {.default_page = 3, .max_page = 5});
  for (int i = 0; i < 7; ++i) s.push("k" + std::to_string(i), "o", 1, set_of({"v"}));
  s.push("k0", "o", 2, set_of({"v", "w"}));  // k0 moves to the end of the sequence

  auto p1 = s.core.pull(0);
  CHECK(p1.changes.size() == 3);
  CHECK(p1.more);
  CHECK_FALSE(p1.reset);
  CHECK(p1.changes[0].first == "k1");
  auto p2 = s.core.pull(p1.cursor);
  auto p3 = s.core.pull(p2.cursor);
  CHECK(p2.changes.size() == 3);
  CHECK(p3.changes.size() == 1);
  CHECK_FALSE(p3.more);
  CHECK(p3.changes[0].first == "k0");
  CHECK(decoded(p3.changes[0].second) == GSet{{"v", "w"}});
  CHECK(p3.cursor == s.core.head_cursor());
  CHECK(s.core.pull(p3.cursor).changes.empty());
  CHECK(s.core.pull(0, 100).changes.size() == 5);  // capped at max_page
}

TEST_CASE("a cursor from another epoch, or ahead of the store, is answered with reset",
          "[server]") {
  Server old_server(1);
  old_server.push("a", "o", 1, set_of({"x"}));
  old_server.push("b", "o", 1, set_of({"y"}));
  const std::uint64_t old_cursor = old_server.core.head_cursor();

  Server replaced(2);  // a new store
  replaced.push("c", "o", 1, set_of({"z"}));
  auto page = replaced.core.pull(old_cursor);
  CHECK(page.reset);
  REQUIRE(page.changes.size() == 1);
  CHECK(page.changes[0].first == "c");
  CHECK_FALSE(replaced.core.pull(page.cursor).reset);
  CHECK(replaced.core.stats().resets == 1);

  Server same_epoch(1);  // the same store restored from a backup that has less
  same_epoch.push("a", "o", 1, set_of({"x"}));
  CHECK(same_epoch.core.pull(old_cursor).reset);
}

TEST_CASE("values that do not decode and unknown encodings are rejected, not stored", "[server]") {
  Server s;
  auto out = s.push("k", "o", 1, "\x01garbage");
  CHECK(out[0].kind == ItemOutcome::reject);
  CHECK(out[0].reason.find("does not decode") != std::string::npos);
  CHECK_FALSE(s.core.value("k"));
  s.push("k", "o", 2, set_of({"ok"}));
  CHECK(s.push("k", "o", 3, "\xff")[0].kind == ItemOutcome::reject);  // merging needs decoding
  const std::vector<ServerChange> delta{{"k", set_of({"d"}), "o", 4, 1}};
  auto d = s.core.push(delta);
  CHECK(d[0].kind == ItemOutcome::reject);
  CHECK(d[0].reason.find("unsupported change encoding 1") != std::string::npos);
  CHECK(decoded(*s.core.value("k")) == GSet{{"ok"}});
  CHECK(s.core.stats().rejected == 3);
}

namespace {
// A store whose commits fail on demand (a full disk).
class FailingStore final : public rxsync::ServerStore {
 public:
  bool fail = false;
  rxsync::MemoryServerStore inner{7};
  std::uint64_t epoch() const override { return inner.epoch(); }
  std::uint64_t head() const override { return inner.head(); }
  std::unique_ptr<rxsync::ServerTransaction> begin() override {
    struct Tx final : rxsync::ServerTransaction {
      std::unique_ptr<rxsync::ServerTransaction> t;
      bool& fail;
      Tx(std::unique_ptr<rxsync::ServerTransaction> x, bool& f) : t(std::move(x)), fail(f) {}
      std::optional<rxsync::StoredValue> get(std::string_view k) override { return t->get(k); }
      std::uint64_t applied_version(std::string_view k, std::string_view o) override {
        return t->applied_version(k, o);
      }
      void put(std::string_view k, std::string_view v, std::uint64_t s) override {
        t->put(k, v, s);
      }
      void set_applied(std::string_view k, std::string_view o, std::uint64_t v) override {
        t->set_applied(k, o, v);
      }
      std::uint64_t next_seq() override { return t->next_seq(); }
      void commit() override {
        if (fail) throw std::runtime_error("disk full");
        t->commit();
      }
    };
    return std::make_unique<Tx>(inner.begin(), fail);
  }
  std::vector<rxsync::StoredChange> changes_after(std::uint64_t a, std::size_t n) const override {
    return inner.changes_after(a, n);
  }
  std::optional<std::string> value(std::string_view k) const override { return inner.value(k); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& f) const override {
    inner.for_each(f);
  }
};
}  // namespace

TEST_CASE("a push whose transaction fails keeps nothing and is answered retry", "[server]") {
  FailingStore store;
  rxsync::ServerCore core(store, rxsync::typed_merger<GSet>());
  std::vector<std::uint64_t> commits;
  core.add_listener([&](std::uint64_t head) { commits.push_back(head); });
  store.fail = true;
  const std::vector<ServerChange> c{{"a", set_of({"1"}), "o", 1, 0},
                                    {"b", set_of({"2"}), "o", 1, 0}};
  auto out = core.push(c);
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == ItemOutcome::retry);
  CHECK(out[1].reason.find("disk full") != std::string::npos);
  CHECK_FALSE(core.value("a"));
  CHECK(core.head_cursor() == core.pull(0).cursor);
  CHECK(commits.empty());
  store.fail = false;
  out = core.push(c);  // the retry is applied, not taken for a duplicate
  CHECK(decoded(*core.value("b")) == GSet{{"2"}});
  CHECK(commits.size() == 1);
  CHECK(core.stats().push_failures == 1);
}

TEST_CASE("the digest line is the same for equal states, whatever the order of pushes",
          "[server]") {
  Server a(1), b(2);
  a.push("x", "o1", 1, set_of({"1"}));
  a.push("y", "o2", 1, set_of({"2"}));
  b.push("y", "o2", 1, set_of({"2"}));
  b.push("x", "o1", 1, set_of({"1"}));
  CHECK(a.core.digest_line() == b.core.digest_line());
  CHECK(a.core.digest_line().rfind("digest: ", 0) == 0);
  b.push("x", "o3", 1, set_of({"3"}));
  CHECK(a.core.digest_line() != b.core.digest_line());
}

TEST_CASE("bad ServerCore options are refused by name", "[server]") {
  rxsync::MemoryServerStore store;
  REQUIRE_THROWS_WITH(rxsync::ServerCore(store, rxsync::typed_merger<GSet>(), nullptr,
                                         {.default_page = 0, .max_page = 10}),
                      rxsync_test::contains("ServerCoreOptions.default_page must be >= 1"));
  REQUIRE_THROWS_WITH(rxsync::ServerCore(store, rxsync::typed_merger<GSet>(), nullptr,
                                         {.default_page = 10, .max_page = 5}),
                      rxsync_test::contains("ServerCoreOptions.max_page must be >= default_page"));
  REQUIRE_THROWS_AS(rxsync::ServerCore(store, nullptr), std::invalid_argument);
  REQUIRE_THROWS_AS(rxsync::MemoryServerStore(0), std::invalid_argument);
}
