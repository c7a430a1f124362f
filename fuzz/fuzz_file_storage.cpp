// Fuzz target: FileStorage opening arbitrary and damaged logs, through its public API only.
//
// Input: one mode byte, then:
//   mode 0: the whole log file;
//   mode 1: the log after a valid header (taken from a freshly created FileStorage);
//   mode 2: an options byte, then a program of puts, erases, compactions, syncs, reopens and
//           damage (truncating the closed log, or flipping one of its bytes) run against a
//           model of the expected contents.
// The file lives in a scratch directory under $TMPDIR (default /tmp), emptied for every input.
// Checks:
//   - opening never throws anything but FileStorageError (a foreign or newer file), and then
//     leaves the file as it was; RecoveryPolicy::fail throws exactly when the default policy
//     reports damage, and never modifies the file;
//   - recovery only cuts the log: what remains is a prefix of the file, the report's offsets and
//     counts add up, and bytes it drops that held valid records are saved to the side file;
//   - after damage to a log written through the API, the contents are those after the last
//     write that the damage left intact (or, inside a compacted part, a subset of them);
//   - for_each visits keys in ascending byte order and agrees with get(), contains(), size();
//   - a recovered log takes new writes and reopens clean with exactly the expected contents;
//   - no file descriptor stays open after the FileStorage is gone.
#include <rxsync/storage/file_storage.hpp>

#include <dirent.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;
using rxsync::FileStorage;
using rxsync::FileStorageError;
using rxsync::FileStorageOptions;
using rxsync::RecoveryPolicy;
using rxsync::RecoveryReport;
using rxsync_fuzz::hex;
using State = std::map<std::string, std::string>;  // std::string's < compares unsigned bytes

std::string describe(const State& s) {
  std::string out = "{";
  for (const auto& [k, v] : s) out += " " + hex(k, 8) + "=" + hex(v, 8);
  return out + " }";
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  RXSYNC_FUZZ_CHECK(out.good(), "cannot write " + path.string());
}

std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

// One directory per process, emptied before each input and removed at exit.
class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rxsync-fuzz-storage-XXXXXX";
    RXSYNC_FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp failed for " + tmpl);
    dir_ = tmpl;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path log() const { return dir_ / "log"; }
  void clear() const {
    for (const auto& entry : fs::directory_iterator(dir_)) fs::remove_all(entry.path());
  }
  std::set<std::string> files() const {
    std::set<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      out.insert(entry.path().filename().string());
    }
    return out;
  }

 private:
  fs::path dir_;
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

// The header a new log starts with: what FileStorage writes, so this target needs no knowledge
// of the format.
const std::string& header() {
  static const std::string bytes = [] {
    scratch().clear();
    {
      FileStorage created(scratch().log());
    }
    auto h = read_file(scratch().log());
    RXSYNC_FUZZ_CHECK(h && !h->empty(), "a new FileStorage wrote no header");
    scratch().clear();
    return *h;
  }();
  return bytes;
}

// Reads everything through every accessor and checks that they agree.
State read_state(const FileStorage& s) {
  State out;
  std::string previous;
  s.for_each([&](std::string_view k, std::string_view v) {
    RXSYNC_FUZZ_CHECK(out.empty() || previous < k, "for_each keys not strictly ascending");
    previous = std::string(k);
    out.emplace(k, v);
  });
  RXSYNC_FUZZ_CHECK(s.size() == out.size(), "size() disagrees with for_each");
  RXSYNC_FUZZ_CHECK(s.stats().keys == out.size(), "stats().keys disagrees with for_each");
  for (const auto& [k, v] : out) {
    RXSYNC_FUZZ_CHECK(s.get(k) == v && s.contains(k), "get() disagrees with for_each");
  }
  RXSYNC_FUZZ_CHECK(!s.get(std::string("\xff\xff absent", 9)) || out.count("\xff\xff absent") > 0,
                    "get() finds a key for_each does not visit");
  return out;
}

struct Opened {
  std::unique_ptr<FileStorage> storage;
  State state;
  RecoveryReport report;
  bool compacted_on_open = false;
};

// Opens the log with `options`. Returns nullptr in `storage` when it throws FileStorageError;
// anything else it throws is a finding.
Opened open_log(const FileStorageOptions& options) {
  Opened out;
  try {
    out.storage = std::make_unique<FileStorage>(scratch().log(), options);
  } catch (const FileStorageError& e) {
    RXSYNC_FUZZ_CHECK(std::string_view(e.what()).find("FileStorage '") == 0,
                      std::string("FileStorageError without the path: ") + e.what());
    return out;
  }
  out.state = read_state(*out.storage);
  out.report = out.storage->recovery_report();
  out.compacted_on_open = out.storage->stats().compactions > 0;
  return out;
}

// Opens `original` (already on disk) with RecoveryPolicy::fail, then with `options`, and checks
// everything both opens report against each other and against the file. Returns the open
// storage (or nullptr if the file is refused).
Opened open_both_ways(const std::string& original, const FileStorageOptions& options) {
  const fs::path log = scratch().log();
  const auto files_before = scratch().files();
  FileStorageOptions fail_options = options;
  fail_options.recovery = RecoveryPolicy::fail;
  std::optional<State> strict_state;
  {
    Opened strict = open_log(fail_options);
    if (strict.storage) {
      RXSYNC_FUZZ_CHECK(strict.report.clean(),
                        "RecoveryPolicy::fail opened a damaged log: " + strict.report.describe());
      strict_state = strict.state;
    }
    if (!strict.storage || (!strict.report.created && !strict.compacted_on_open)) {
      RXSYNC_FUZZ_CHECK(read_file(log) == original,
                        "RecoveryPolicy::fail modified the log " + hex(original));
      RXSYNC_FUZZ_CHECK(scratch().files() == files_before, "RecoveryPolicy::fail created files");
    }
  }
  // The strict open may have created or compacted the file: start again from the original.
  scratch().clear();
  write_file(log, original);

  Opened opened = open_log(options);
  if (!opened.storage) {
    RXSYNC_FUZZ_CHECK(!strict_state, "refused a log that RecoveryPolicy::fail opened");
    RXSYNC_FUZZ_CHECK(read_file(log) == original, "a refused log was modified");
    RXSYNC_FUZZ_CHECK(scratch().files() == std::set<std::string>{"log"},
                      "a refused log left files behind");
    return opened;
  }
  const RecoveryReport& r = opened.report;
  RXSYNC_FUZZ_CHECK(r.clean() == strict_state.has_value(),
                    "RecoveryPolicy::fail and the default disagree on damage: " + r.describe() +
                        " in " + hex(original));
  if (strict_state) {
    RXSYNC_FUZZ_CHECK(opened.state == *strict_state, "the two policies read different contents");
  }
  if (r.created) {
    RXSYNC_FUZZ_CHECK(
        original.size() < header().size() && header().compare(0, original.size(), original) == 0,
        "created over a log that was not an empty or partial header: " + hex(original));
    RXSYNC_FUZZ_CHECK(opened.state.empty() && r.bytes_kept == header().size(),
                      "a created log is not empty");
    return opened;
  }
  RXSYNC_FUZZ_CHECK(r.bytes_kept >= header().size() && r.bytes_kept <= original.size(),
                    "bytes_kept out of range: " + r.describe());
  if (r.clean()) {
    RXSYNC_FUZZ_CHECK(r.bytes_kept == original.size() && r.bytes_dropped == 0 &&
                          r.records_dropped == 0 && r.dropped_bytes_saved_to.empty(),
                      "a clean report that dropped something: " + r.describe());
  } else {
    RXSYNC_FUZZ_CHECK(r.first_bad_offset == r.bytes_kept &&
                          r.bytes_dropped == original.size() - r.bytes_kept &&
                          r.bytes_dropped > 0 && r.records_dropped >= 1 &&
                          r.valid_records_dropped < r.records_dropped,
                      "the recovery report does not add up: " + r.describe());
    const std::string dropped = original.substr(r.bytes_kept);
    if (r.valid_records_dropped > 0) {
      RXSYNC_FUZZ_CHECK(read_file(r.dropped_bytes_saved_to) == dropped,
                        "the side file does not hold the dropped bytes: " + r.describe());
    } else {
      RXSYNC_FUZZ_CHECK(r.dropped_bytes_saved_to.empty() && scratch().files().size() == 1,
                        "a side file for bytes without valid records: " + r.describe());
    }
  }
  if (!opened.compacted_on_open) {
    RXSYNC_FUZZ_CHECK(read_file(log) == original.substr(0, r.bytes_kept),
                      "recovery changed the log other than cutting it: " + r.describe());
    RXSYNC_FUZZ_CHECK(opened.storage->stats().file_bytes == r.bytes_kept,
                      "stats().file_bytes differs from bytes_kept");
  }
  return opened;
}

// Closes the storage and reopens it strictly: whatever recovery and later writes left must be a
// clean log with exactly `expected`.
void reopen_clean(std::unique_ptr<FileStorage>& storage, const FileStorageOptions& options,
                  const State& expected) {
  storage.reset();
  FileStorageOptions strict = options;
  strict.recovery = RecoveryPolicy::fail;
  Opened again = open_log(strict);
  RXSYNC_FUZZ_CHECK(again.storage != nullptr, "a recovered log no longer opens strictly");
  RXSYNC_FUZZ_CHECK(again.report.clean(), "reopened dirty: " + again.report.describe());
  RXSYNC_FUZZ_CHECK(again.state == expected,
                    "reopened with " + describe(again.state) + ", expected " + describe(expected));
  storage = std::move(again.storage);
}

FileStorageOptions options_from(std::uint8_t flags) {
  FileStorageOptions options;
  options.sync_every_writes = (flags & 1) != 0 ? 0 : 1;
  if ((flags & 2) != 0) {  // compact as soon as half the log is garbage
    options.compact_min_garbage_bytes = 0;
    options.compact_garbage_ratio = 0.5;
  }
  return options;
}

// Modes 0 and 1: an arbitrary log, opened both ways, then written to and reopened.
void arbitrary_log(std::string_view bytes) {
  rxsync_fuzz::Input in(bytes);
  const FileStorageOptions options = options_from(in.byte());
  const std::string key(in.bytes(8));
  const std::string value(in.bytes(16));
  const std::string original(in.rest());
  write_file(scratch().log(), original);
  Opened opened = open_both_ways(original, options);
  if (!opened.storage) return;
  State model = opened.state;
  opened.storage->put(key, value);
  model[key] = value;
  if (!opened.state.empty()) {
    const std::string first = opened.state.begin()->first;
    if (first != key) {
      RXSYNC_FUZZ_CHECK(opened.storage->erase(first), "erase of a present key returned false");
      model.erase(first);
    }
  }
  const std::string rare("\xff\xff absent", 9);
  RXSYNC_FUZZ_CHECK(opened.storage->erase(rare) == (model.erase(rare) > 0),
                    "erase() result disagrees with the model");
  RXSYNC_FUZZ_CHECK(read_state(*opened.storage) == model, "contents differ from the model");
  reopen_clean(opened.storage, options, model);
  opened.storage->compact();
  reopen_clean(opened.storage, options, model);
}

void whole_file(std::string_view bytes) { arbitrary_log(bytes); }

void after_header(std::string_view bytes) {
  // The options, key and value bytes stay in front; the header goes before the rest.
  rxsync_fuzz::Input in(bytes);
  std::string prefix(1, static_cast<char>(in.byte()));
  const std::string_view key = in.bytes(8);
  const std::string_view value = in.bytes(16);
  prefix += static_cast<char>(key.size());
  prefix += key;
  prefix += static_cast<char>(value.size());
  prefix += value;
  arbitrary_log(prefix + header() + std::string(in.rest()));
}

// Mode 2: writes through the API, with damage in between, against a model.
class Program {
 public:
  explicit Program(std::uint8_t flags) : options_(options_from(flags)) {
    storage_ = std::make_unique<FileStorage>(scratch().log(), options_);
    reset_history();
  }

  void put(std::string_view key, std::string_view value) {
    storage_->put(key, value);
    model_[std::string(key)] = std::string(value);
    wrote();
  }
  void erase(std::string_view key) {
    const bool present = model_.erase(std::string(key)) > 0;
    RXSYNC_FUZZ_CHECK(storage_->erase(key) == present, "erase() result disagrees with the model");
    wrote();
  }
  void compact() {
    storage_->compact();
    wrote();
  }
  void sync() { storage_->sync(); }
  void reopen() {
    reopen_clean(storage_, options_, model_);
    compactions_ = 0;
    wrote();
  }

  // Truncates the closed log at `at`, or flips the bits `mask` of its byte `at`, and reopens.
  void damage(bool truncate, std::size_t at, std::uint8_t mask) {
    RXSYNC_FUZZ_CHECK(read_state(*storage_) == model_, "contents differ from the model");
    storage_.reset();
    const fs::path log = scratch().log();
    const std::string original = *read_file(log);
    std::string damaged = original;
    if (truncate) {
      damaged.resize(at % (original.size() + 1));
    } else {
      at %= original.size();
      damaged[at] = static_cast<char>(damaged[at] ^ static_cast<char>(mask | 1));
    }
    const std::size_t damage_at = truncate ? damaged.size() : at;
    write_file(log, damaged);
    Opened opened = open_both_ways(damaged, options_);
    const std::size_t header_size = header().size();
    if (!truncate && at < header_size) {
      RXSYNC_FUZZ_CHECK(!opened.storage, "opened a log with a damaged header");
      // Nothing more to learn from this log: start a new one.
      scratch().clear();
      storage_ = std::make_unique<FileStorage>(log, options_);
      model_.clear();
      reset_history();
      return;
    }
    RXSYNC_FUZZ_CHECK(opened.storage != nullptr, "refused a log whose header is intact");
    const RecoveryReport& r = opened.report;
    if (damage_at < header_size) {
      RXSYNC_FUZZ_CHECK(r.created && opened.state.empty(), "a cut header is not a new log");
    } else if (damage_at >= floor_) {
      // The last write the damage left whole: everything up to it must be back, nothing after.
      auto intact = history_.begin();
      for (auto it = history_.begin(); it != history_.end() && it->first <= damage_at; ++it) {
        intact = it;
      }
      RXSYNC_FUZZ_CHECK(r.bytes_kept == intact->first && opened.state == intact->second,
                        "after damage at " + std::to_string(damage_at) + " kept " +
                            std::to_string(r.bytes_kept) + " bytes with " + describe(opened.state) +
                            ", expected " + std::to_string(intact->first) + " bytes with " +
                            describe(intact->second) + "; " + r.describe());
      RXSYNC_FUZZ_CHECK(r.clean() == (truncate && damaged.size() == intact->first),
                        "damage at " + std::to_string(damage_at) + " reported as " + r.describe());
    } else {
      // Inside the records a compaction wrote, in an order this target does not know: some of
      // them survive, each with the value it had.
      RXSYNC_FUZZ_CHECK(r.bytes_kept <= damage_at, "kept bytes past the damage");
      for (const auto& [k, v] : opened.state) {
        const auto it = floor_state_.find(k);
        RXSYNC_FUZZ_CHECK(it != floor_state_.end() && it->second == v,
                          "recovered " + hex(k) + "=" + hex(v) + " that the compacted log " +
                              describe(floor_state_) + " did not hold");
      }
    }
    storage_ = std::move(opened.storage);
    model_ = opened.state;
    compactions_ = 0;
    if (opened.compacted_on_open || r.created || damage_at < floor_) {
      reset_history();
    } else {
      while (!history_.empty() && history_.back().first > r.bytes_kept) history_.pop_back();
      RXSYNC_FUZZ_CHECK(!history_.empty() && history_.back().first == r.bytes_kept,
                        "recovery cut the log between two writes");
      compactions_ = storage_->stats().compactions;
    }
  }

  void finish() {
    RXSYNC_FUZZ_CHECK(read_state(*storage_) == model_, "contents differ from the model");
    reopen_clean(storage_, options_, model_);
    storage_.reset();
  }

 private:
  // The log's size after each write since the last compaction, with the contents it holds.
  void reset_history() {
    floor_ = storage_->stats().file_bytes;
    floor_state_ = model_;
    history_.assign({{floor_, model_}});
    compactions_ = storage_->stats().compactions;
  }
  void wrote() {
    const auto stats = storage_->stats();
    if (stats.compactions != compactions_) {
      reset_history();
    } else {
      history_.emplace_back(stats.file_bytes, model_);
    }
  }

  FileStorageOptions options_;
  std::unique_ptr<FileStorage> storage_;
  State model_;
  std::vector<std::pair<std::uint64_t, State>> history_;
  std::uint64_t floor_ = 0;  // bytes before this were written by a compaction
  State floor_state_;
  std::uint64_t compactions_ = 0;
};

void program(std::string_view bytes) {
  rxsync_fuzz::Input in(bytes);
  Program p(in.byte());
  for (int ops = 0; ops < 48 && !in.empty(); ++ops) {
    switch (in.byte() % 10) {
      case 0:
      case 1:
      case 2: {
        const auto key = in.bytes(6);
        p.put(key, in.bytes(40));
        break;
      }
      case 3:
        p.erase(in.bytes(6));
        break;
      case 4:
        p.compact();
        break;
      case 5:
        p.sync();
        break;
      case 6:
        p.reopen();
        break;
      case 7:
      case 8: {
        const bool truncate = in.byte() % 2 == 0;
        const std::size_t at = in.u16();
        p.damage(truncate, at, in.byte());
        break;
      }
      default:
        p.erase(in.bytes(6));
        break;
    }
  }
  p.finish();
}

constexpr void (*modes[])(std::string_view) = {&whole_file, &after_header, &program};
constexpr std::size_t mode_count = sizeof(modes) / sizeof(modes[0]);

int run_one(std::string_view input) {
  if (input.empty()) return 0;
  (void)header();  // created once, before the descriptor count below
  const std::size_t fds = open_fds();
  try {
    scratch().clear();
    modes[static_cast<std::uint8_t>(input[0]) % mode_count](input.substr(1));
  } catch (...) {
    rxsync_fuzz::unexpected_exception("file_storage");
  }
  RXSYNC_FUZZ_CHECK(open_fds() == fds, "a file descriptor was left open");
  return 0;
}

// ---- seeds -------------------------------------------------------------------------------------

// A log written through the API, as mode 0 and mode 1 inputs.
std::string written_log(const std::vector<std::pair<std::string, std::string>>& puts,
                        const std::vector<std::string>& erases) {
  scratch().clear();
  {
    FileStorage s(scratch().log());
    for (const auto& [k, v] : puts) s.put(k, v);
    for (const auto& k : erases) s.erase(k);
  }
  std::string bytes = *read_file(scratch().log());
  scratch().clear();
  return bytes;
}

std::string sized(std::string_view s) { return static_cast<char>(s.size()) + std::string(s); }

std::vector<rxsync_fuzz::Seed> seeds() {
  const std::string no_write = std::string(1, '\0') + sized("") + sized("");
  const std::string new_write = std::string(1, '\0') + sized("k") + sized("value");
  const std::string log =
      written_log({{"conv/a", "pinned"}, {"conv/b", "muted"}, {"conv/a", "x"}}, {"conv/b"});
  const std::string records = log.substr(header().size());
  std::vector<rxsync_fuzz::Seed> out{
      {"whole-empty", std::string(1, '\0') + no_write},
      {"whole-partial_header", std::string(1, '\0') + new_write + header().substr(0, 5)},
      {"whole-log", std::string(1, '\0') + new_write + log},
      {"whole-torn_tail", std::string(1, '\0') + new_write + log.substr(0, log.size() - 3)},
      {"whole-foreign", std::string(1, '\0') + no_write + "SQLite format 3"},
      {"whole-newer_version",
       std::string(1, '\0') + no_write + header().substr(0, 8) + "\x09" + header().substr(9)},
      {"header-records", std::string(1, '\1') + new_write + records},
      {"header-flipped",
       std::string(1, '\1') + new_write + records.substr(0, 5) + "\x01" + records.substr(6)},
      {"header-garbage_then_valid", std::string(1, '\1') + new_write + "\x13\x37" + records},
      {"header-compacting",
       std::string(1, '\1') + std::string(1, '\2') + sized("conv/a") + sized("y") + records},
  };
  // Programs: op % 10 is 0-2 put(key, value), 3 and 9 erase(key), 4 compact, 5 sync, 6 reopen,
  // 7-8 damage(truncate?, u16 at, mask).
  auto op_put = [](std::string_view k, std::string_view v) {
    return std::string(1, '\0') + sized(k) + sized(v);
  };
  auto op_damage = [](bool truncate, std::uint16_t at, char mask) {
    return std::string{'\7', truncate ? '\0' : '\1', static_cast<char>(at & 0xff),
                       static_cast<char>(at >> 8), mask};
  };
  const std::string writes =
      op_put("a", "1") + op_put("b", "22") + op_put("a", "333") + std::string{'\3'} + sized("b");
  out.push_back({"program-writes", std::string{'\2', '\0'} + writes + std::string{'\6'}});
  out.push_back({"program-truncate", std::string{'\2', '\1'} + writes + op_damage(true, 40, 0)});
  out.push_back({"program-flip", std::string{'\2', '\0'} + writes + op_damage(false, 30, 4) +
                                     op_put("c", "after")});
  out.push_back({"program-compact_then_cut", std::string{'\2', '\0'} + writes + "\4" +
                                                 op_put("d", "4") + op_damage(true, 20, 0)});
  out.push_back({"program-auto_compact",
                 std::string{'\2', '\2'} + writes + writes + op_damage(false, 60, 0x10)});
  return out;
}

}  // namespace

RXSYNC_FUZZ_ENTRY_POINTS(seeds, run_one)
