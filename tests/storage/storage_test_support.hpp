// Shared by the storage tests: a scratch directory, file helpers, and the Storage conformance
// checks every implementation (memory, file, SQLite) must pass with the same results.
#pragma once

#if defined(__linux__)
#include <unistd.h>
#endif

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "rxsync_catch.hpp"

namespace storage_test {

// A memory-backed directory (/dev/shm) when there is one, else the system temp dir: for tests
// that recover thousands of damaged logs, so the fsyncs recovery makes stay real but cheap.
inline std::filesystem::path memory_backed_temp_root() {
#if defined(__linux__)
  std::error_code ec;
  const std::filesystem::path shm = "/dev/shm";
  if (std::filesystem::is_directory(shm, ec) && ::access(shm.c_str(), W_OK | X_OK) == 0) {
    return shm;
  }
#endif
  return std::filesystem::temp_directory_path();
}

// A fresh directory under `root`, removed with everything in it at the end of the test. Its
// name is random and create_directory fails on an existing name, so it is unique even across
// concurrent runs (mkdtemp's guarantee, on every platform).
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& root = std::filesystem::temp_directory_path()) {
    std::random_device entropy;
    std::mt19937_64 rng(
        (static_cast<std::uint64_t>(entropy()) << 32) ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto candidate = root / ("rxsync-storage-" + std::to_string(rng()));
      if (std::filesystem::create_directory(candidate)) {  // throws on real errors
        path_ = candidate;
        return;
      }
    }
    throw std::runtime_error("no free temporary directory name under " + root.string());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A missing file reads as empty.
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  if (!in) {
    return {};
  }
  std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using Model = std::map<std::string, std::string>;  // std::string orders bytes as unsigned

// One write of a test's writer, and what it does to the model.
struct Op {
  bool erase;
  std::string key;
  std::string value;
};
inline void apply_op(Model& m, const Op& op) {
  if (op.erase) {
    m.erase(op.key);
  } else {
    m[op.key] = op.value;
  }
}

// The i-th op of the crash tests' writer, computable by the writer and by the test that killed
// it: puts and erases over `key_space` keys (NUL-terminated), values of 0 to 300 bytes.
inline Op writer_op(std::uint32_t i, std::uint32_t key_space) {
  std::string key = "key-" + std::to_string((i * 7919u) % key_space);
  key.push_back('\0');
  if (i % 5 == 4) {
    return {true, key, {}};
  }
  std::string value = "v" + std::to_string(i) + ":";
  value.append((i * 31u) % 300u, static_cast<char>(i & 0xFFu));
  return {false, key, value};
}

// The side files recovery wrote next to `log`.
inline std::vector<std::filesystem::path> side_files(const std::filesystem::path& log) {
  std::vector<std::filesystem::path> found;
  const std::string prefix = log.filename().string() + ".dropped-";
  for (const auto& entry : std::filesystem::directory_iterator(log.parent_path())) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

template <class S>
Model dump(const S& s) {
  Model m;
  std::string previous;
  bool first = true;
  s.for_each([&](std::string_view k, std::string_view v) {
    if (!first) {
      CHECK(std::string(k) > previous);  // strictly ascending: sorted and no duplicates
    }
    first = false;
    previous = std::string(k);
    m.emplace(std::string(k), std::string(v));
  });
  return m;
}

inline std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) {
    s.push_back(static_cast<char>(i));
  }
  return s;
}

// `make()` returns a std::unique_ptr to a new, empty storage.
template <class Make>
void check_storage_conformance(Make make) {
  using namespace std::string_literals;
  auto s = make();

  SECTION("an empty storage has nothing to get, erase or visit") {
    CHECK_FALSE(s->get("missing").has_value());
    CHECK_FALSE(s->erase("missing"));
    CHECK(dump(*s).empty());
  }
  SECTION("keys and values are arbitrary bytes, NUL included") {
    const std::string k1 = "a\0b"s;
    const std::string k2 = "a"s;
    const std::string k3 = "a\0"s;
    s->put(k1, all_bytes());
    s->put(k2, "plain");
    s->put(k3, "\0\0"s);
    CHECK(s->get(k1) == all_bytes());
    CHECK(s->get(k2) == "plain");
    CHECK(s->get(k3) == "\0\0"s);
    CHECK_FALSE(s->get("a\0c"s).has_value());
    CHECK(dump(*s) == Model{{k1, all_bytes()}, {k2, "plain"}, {k3, "\0\0"s}});
  }
  SECTION("lookups take views that are not NUL-terminated") {
    const std::string buffer = "keyXYZ";
    s->put(std::string_view(buffer).substr(0, 3), std::string_view(buffer).substr(3));
    CHECK(s->get("key") == "XYZ");
    CHECK_FALSE(s->get("keyX").has_value());
  }
  SECTION("a put overwrites") {
    s->put("k", "v1");
    s->put("k", "a longer second value");
    s->put("k", "v3");
    CHECK(s->get("k") == "v3");
    CHECK(dump(*s) == Model{{"k", "v3"}});
  }
  SECTION("erase removes one key and reports whether it was there") {
    s->put("a", "1");
    s->put("b", "2");
    CHECK(s->erase("a"));
    CHECK_FALSE(s->get("a").has_value());
    CHECK_FALSE(s->erase("a"));
    CHECK(s->get("b") == "2");
    s->put("a", "again");
    CHECK(s->get("a") == "again");
  }
  SECTION("for_each visits in ascending unsigned byte order, the empty key first") {
    s->put("\x80", "high");
    s->put("a", "mid");
    s->put("\x01", "low");
    s->put("", "empty key");
    std::vector<std::string> keys;
    s->for_each([&](std::string_view k, std::string_view) { keys.emplace_back(k); });
    CHECK(keys == std::vector<std::string>{"", "\x01", "a", "\x80"});
  }
  SECTION("an empty value is a value, not a missing key") {
    s->put("k", "");
    REQUIRE(s->get("k").has_value());
    CHECK(s->get("k")->empty());
    CHECK(dump(*s) == Model{{"k", ""}});
  }
  SECTION("large values round-trip") {
    std::string big(3u << 20, '\0');
    std::mt19937 rng(7);
    for (auto& c : big) {
      c = static_cast<char>(rng() & 0xFFu);
    }
    s->put("big", big);
    s->put("small", "x");
    CHECK(s->get("big") == big);
    s->put("big", "shrunk");
    CHECK(s->get("big") == "shrunk");
  }
  SECTION("a random sequence of puts and erases matches a std::map") {
    std::mt19937 rng(2024);
    Model model;
    for (int i = 0; i < 600; ++i) {
      std::string key = "k" + std::to_string(rng() % 32);
      if (rng() % 4 == 0) {
        key.push_back('\0');
      }
      if (rng() % 3 == 0) {
        CHECK(s->erase(key) == (model.erase(key) == 1));
      } else {
        const std::string value(rng() % 40, static_cast<char>('a' + i % 26));
        s->put(key, value);
        model[key] = value;
      }
    }
    CHECK(dump(*s) == model);
    for (const auto& [k, v] : model) {
      CHECK(s->get(k) == v);
    }
  }
}

// `open()` opens the same durable store again each time it is called (the previous instance
// must be destroyed first).
template <class Open>
void check_reopen_round_trip(Open open) {
  using namespace std::string_literals;
  Model model;
  {
    auto s = open();
    for (int i = 0; i < 200; ++i) {
      const std::string key = "key\0"s + std::to_string(i % 50);
      const std::string value = all_bytes().substr(static_cast<std::size_t>(i % 256));
      s->put(key, value);
      model[key] = value;
      if (i % 7 == 0) {
        s->erase(key);
        model.erase(key);
      }
    }
    s->put("empty", "");
    model["empty"] = "";
  }
  auto s = open();
  CHECK(dump(*s) == model);
  s->put("after", "reopen");
  model["after"] = "reopen";
  s.reset();
  CHECK(dump(*open()) == model);
}

}  // namespace storage_test
