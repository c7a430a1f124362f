// Helpers for the networked tests: waiting on a condition with a generous timeout (threads and
// sockets are real here, so there is no virtual time to advance), recording observables, and a
// temporary directory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace net_test {

// A new directory under the system's temporary directory, removed with its contents at the end
// of the scope.
class TempDir {
 public:
  // A random name, and create_directory fails on an existing one: unique even across
  // concurrent runs, like mkdtemp, which Windows does not have.
  TempDir() {
    std::random_device entropy;
    std::mt19937_64 rng(
        (static_cast<std::uint64_t>(entropy()) << 32) ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    const auto root = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      path = root / ("rxsync-net-test-" + std::to_string(rng()));
      if (std::filesystem::create_directory(path)) return;
    }
    throw std::runtime_error("no free temporary directory name under " + root.string());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path path;
};

// Polls `done` until it holds or `limit` passes; true if it held. Not a timing assertion: the
// limit is generous, and a pass usually takes milliseconds.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Every value an observable emitted, readable from the test thread.
template <class T>
class Recorder {
 public:
  void add(const T& v) {
    std::lock_guard lock(mutex_);
    values_.push_back(v);
  }
  std::vector<T> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }
  bool any(const std::function<bool(const T&)>& pred) const {
    std::lock_guard lock(mutex_);
    for (const auto& v : values_)
      if (pred(v)) return true;
    return false;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return values_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> values_;
};

}  // namespace net_test
