// Child processes for the networked demo and tests: spawn, signal, wait with a deadline, and
// never leave one behind (a Process kills and reaps its child when it goes). POSIX only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace demo {

class Process {
 public:
  Process() = default;
  // Starts `argv[0]` with `argv`; stdout and stderr go to `output` (appended) when given.
  explicit Process(std::vector<std::string> argv, const std::string& output = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!output.empty()) {
      posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0644);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      throw std::runtime_error("cannot start " + argv[0] + ": error " + std::to_string(rc));
    name_ = argv[0];
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), status_(o.status_), name_(std::move(o.name_)) {}
  Process& operator=(Process&& o) noexcept {
    if (this != &o) {
      kill_and_reap();
      pid_ = std::exchange(o.pid_, -1);
      status_ = o.status_;
      name_ = std::move(o.name_);
    }
    return *this;
  }
  ~Process() { kill_and_reap(); }

  pid_t pid() const noexcept { return pid_; }
  bool running() {
    poll();
    return pid_ > 0;
  }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // The exit code once the process ended by `deadline`; nullopt if still running then.
  // A process killed by a signal reports 128 + the signal number.
  std::optional<int> wait(std::chrono::steady_clock::time_point deadline) {
    while (pid_ > 0) {
      poll();
      if (pid_ <= 0) break;
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
  }
  void kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    status_ = 128 + SIGKILL;
  }

 private:
  void poll() {
    if (pid_ <= 0) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pid_ = -1;
    }
  }

  pid_t pid_ = -1;
  int status_ = -1;
  std::string name_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Waits for a port file (the port and a newline, written once the server accepts).
inline std::optional<int> wait_for_port(const std::string& path,
                                        std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const std::string text = read_text(path);
    if (!text.empty() && text.back() == '\n') return std::stoi(text);
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace demo
