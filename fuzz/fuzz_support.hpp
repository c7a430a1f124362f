// fuzz/fuzz_support.hpp - what every rxsync fuzz target shares: the check macro, a reader for
// the fuzz input, and the --write-corpus mode that writes a target's seed inputs.
//
// A target defines LLVMFuzzerTestOneInput and a list of seeds, and calls
// rxsync_fuzz::handle_corpus_flag() from LLVMFuzzerInitialize. libFuzzer ignores flags that
// start with "--", so `rxsync_fuzz_codec --write-corpus=DIR` reaches the target untouched.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// A broken invariant is a finding: print it and abort, which libFuzzer reports as a crash and
// saves the input that caused it.
#define RXSYNC_FUZZ_CHECK(cond, ...)                                          \
  do {                                                                        \
    if (!(cond)) ::rxsync_fuzz::fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (false)

namespace rxsync_fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* cond,
                              const std::string& what) {
  std::fprintf(stderr, "\n%s:%d: fuzz check failed: %s\n  %s\n", file, line, cond, what.c_str());
  std::fflush(stderr);
  std::abort();
}

// An exception escaping a target is a finding too (libFuzzer would only say "deadly signal").
[[noreturn]] inline void unexpected_exception(const char* where) {
  std::string what = "an exception not derived from std::exception";
  try {
    throw;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::fprintf(stderr, "\nunexpected exception in %s: %s\n", where, what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Hex dump for messages: short and unambiguous for arbitrary bytes.
inline std::string hex(std::string_view bytes, std::size_t max_bytes = 64) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  if (bytes.size() > max_bytes) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// Takes values off the front of the fuzz input; past the end it yields zeros and empty strings,
// so a short input is still a complete (if dull) program.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : bytes_(reinterpret_cast<const char*>(data), size) {}
  explicit Input(std::string_view bytes) : bytes_(bytes) {}

  bool empty() const noexcept { return pos_ >= bytes_.size(); }
  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  std::uint8_t byte() { return empty() ? 0 : static_cast<std::uint8_t>(bytes_[pos_++]); }
  std::uint16_t u16() {
    const auto lo = byte();
    return static_cast<std::uint16_t>(lo | byte() << 8);
  }
  // Up to max_size bytes, the length coming from the input.
  std::string_view bytes(std::size_t max_size) {
    const std::size_t n = std::min<std::size_t>(byte() % (max_size + 1), remaining());
    const std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view rest() {
    const std::string_view out = bytes_.substr(pos_);
    pos_ = bytes_.size();
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct Seed {
  std::string name;   // file name in the corpus, without the "gen-" prefix
  std::string bytes;  // a complete fuzz input
};

// `--write-corpus=DIR`: runs every seed through the target (a seed that trips a check aborts
// here, before it is written), replaces the generated files ("gen-*") in DIR with the seeds and
// exits. Files without that prefix (inputs added by hand, crash reproducers) are kept.
inline void handle_corpus_flag(int* argc, char*** argv,
                               const std::function<std::vector<Seed>()>& make_seeds,
                               const std::function<void(std::string_view)>& run_one) {
  constexpr std::string_view flag = "--write-corpus=";
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = (*argv)[i];
    if (arg.substr(0, flag.size()) != flag) continue;
    const std::filesystem::path dir(arg.substr(flag.size()));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
      std::exit(1);
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().filename().string().rfind("gen-", 0) == 0) {
        std::filesystem::remove(entry.path());
      }
    }
    const std::vector<Seed> seeds = make_seeds();
    std::size_t total = 0;
    for (const auto& seed : seeds) {
      run_one(seed.bytes);
      std::ofstream out(dir / ("gen-" + seed.name), std::ios::binary);
      out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write seed %s in %s\n", seed.name.c_str(), dir.c_str());
        std::exit(1);
      }
      total += seed.bytes.size();
    }
    std::printf("wrote %zu seeds (%zu bytes) to %s\n", seeds.size(), total, dir.c_str());
    std::exit(0);
  }
}

}  // namespace rxsync_fuzz

// The two libFuzzer entry points of a target: `--write-corpus` handling, then `run_one` on each
// input (whatever it returns is ignored: only crashes and failed checks are findings).
#define RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)                                             \
  extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {                             \
    ::rxsync_fuzz::handle_corpus_flag(argc, argv, seeds,                                     \
                                      [](std::string_view input) { (void)run_one(input); }); \
    return 0;                                                                                \
  }                                                                                          \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {        \
    (void)run_one(std::string_view(reinterpret_cast<const char*>(data), size));              \
    return 0;                                                                                \
  }
