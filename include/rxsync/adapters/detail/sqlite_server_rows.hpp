// rxsync/adapters/detail/sqlite_server_rows.hpp - the rows of SqliteServerStore in memory, how
// they are read many to a statement, and the log of recent writes that tells which rows read
// ahead of a transaction went stale (internal; target rxsync::sqlite).
//
// Not thread-safe: each piece is owned by one transaction or read-ahead, or (RecentWrites)
// guarded by the store's writer lock.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rxsync/adapters/detail/sqlite_db.hpp>
#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// The highest version applied per origin, sorted by origin: a key has few writers, so a flat
// vector beats a map (one allocation instead of one per origin).
struct AppliedVersions {
  using Entry = std::pair<std::string, std::uint64_t>;
  std::vector<Entry> entries;

  std::uint64_t get(std::string_view origin) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), origin, by_origin);
    return it != entries.end() && it->first == origin ? it->second : 0;
  }
  void set(std::string_view origin, std::uint64_t version) {
    auto it = std::lower_bound(entries.begin(), entries.end(), origin, by_origin);
    if (it != entries.end() && it->first == origin) {
      it->second = version;
    } else {
      entries.emplace(it, std::string(origin), version);
    }
  }
  static bool by_origin(const Entry& e, std::string_view origin) { return e.first < origin; }
};

// One key's row; `value` is empty for a key not in the store.
struct ServerRow {
  std::optional<std::string> value;
  std::uint64_t seq = 0;
  AppliedVersions applied;
  std::string applied_bytes;   // encoded at commit
  std::uint64_t key_hash = 0;  // set with `hashed` when a read-ahead computed it
  bool hashed = false;
  bool dirty = false;
};

inline std::uint64_t key_hash(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
}

struct ServerRowHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view k) const noexcept { return key_hash(k); }
};
// Nodes: the addresses of rows stay put while others are added.
using ServerRows = std::unordered_map<std::string, ServerRow, ServerRowHash, std::equal_to<>>;

// applied: varint count, then (origin bytes, version varint) pairs in origin order.
inline std::string encode_applied(const AppliedVersions& a) {
  BinaryWriter w;
  w.put_varint(a.entries.size());
  for (const auto& [origin, version] : a.entries) {
    w.put_bytes(origin);
    w.put_varint(version);
  }
  return std::move(w).take();
}

// Stores the row under the statement's cursor (columns key, value, seq, applied). A damaged
// applied list throws DecodeError.
inline ServerRows::value_type& read_server_row(sqlite3_stmt* st, ServerRows& rows) {
  ServerRow r;
  r.value = std::string(column_bytes(st, 1));
  r.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st, 2));
  BinaryReader in(column_bytes(st, 3));
  const std::size_t n = in.get_count(2);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view origin = in.get_bytes();
    r.applied.set(origin, in.get_varint());
  }
  in.expect_end("applied versions");
  return *rows.insert_or_assign(std::string(column_bytes(st, 0)), std::move(r)).first;
}

// Rows are read and written many to a statement, in chunks of these sizes (largest first):
// SQLite's per-statement cost is then paid once per chunk instead of once per row, and 128
// rows of 4 parameters stay within the 999 parameters older SQLite builds allow.
inline constexpr std::array<std::size_t, 4> kRowLadder{128, 32, 8, 1};
using RowLadder = std::array<SqliteStatement, kRowLadder.size()>;

// Calls f(offset, count, statement) for consecutive chunks covering [0, n).
template <class F>
void for_row_chunks(std::size_t n, F&& f, const RowLadder& statements) {
  std::size_t at = 0;
  for (std::size_t l = 0; l < kRowLadder.size(); ++l) {
    for (; n - at >= kRowLadder[l]; at += kRowLadder[l]) f(at, kRowLadder[l], statements[l]);
  }
}

// "SELECT ... WHERE key IN (?1, ...)" for every chunk size.
inline void prepare_row_reads(SqliteDb& db, RowLadder& reads) {
  for (std::size_t l = 0; l < kRowLadder.size(); ++l) {
    std::string sql = "SELECT key, value, seq, applied FROM rxsync_server_values WHERE key IN (?1";
    for (std::size_t i = 2; i <= kRowLadder[l]; ++i) sql += ", ?" + std::to_string(i);
    db.prepare(reads[l], sql + ")");
  }
}

// Reads the rows of the keys not yet in `rows` (keys absent from the store become rows with no
// value, so they are not looked up again).
inline void read_server_rows(const SqliteDb& db, const RowLadder& reads,
                             std::span<const std::string_view> keys, ServerRows& rows) {
  std::vector<std::string_view> missing;
  missing.reserve(keys.size());
  for (std::string_view k : keys) {
    if (rows.find(k) == rows.end()) missing.push_back(k);
  }
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  for_row_chunks(
      missing.size(),
      [&](std::size_t at, std::size_t n, const SqliteStatement& st) {
        SqliteStatement::Use use{st.get()};
        for (std::size_t i = 0; i < n; ++i) db.bind(st, static_cast<int>(i + 1), missing[at + i]);
        int rc;
        while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) read_server_row(st.get(), rows);
        db.check_done(rc, "read rows");
        for (std::size_t i = 0; i < n; ++i) rows.try_emplace(std::string(missing[at + i]));
      },
      reads);
}

// Which keys the last commits wrote, as hashes, so rows read before them can be told apart from
// rows still current. Bounded: once it would hold more than `max_hashes`, the oldest commits are
// forgotten and a read-ahead older than them is refused whole (`floor`). A hash collision only
// makes a current row look stale, which costs a read, never a wrong answer.
class RecentWrites {
 public:
  explicit RecentWrites(std::size_t max_hashes = std::size_t{1} << 16) : max_(max_hashes) {}

  // Commit number `commit` (consecutive from 1) wrote these keys.
  void record(std::uint64_t commit, std::vector<std::uint64_t> hashes) noexcept {
    try {
      total_ += hashes.size();
      entries_.emplace_back(commit, std::move(hashes));
      while (total_ > max_ && entries_.size() > 1) forget_oldest();
    } catch (...) {
      // Out of memory: forget everything, so no read-ahead taken before this commit is trusted.
      entries_.clear();
      total_ = 0;
      floor_ = commit;
    }
  }

  // The hashes written by commits after `seen` (in no order, repeats kept), or nullopt when the
  // log no longer reaches back that far.
  std::optional<std::vector<std::uint64_t>> written_after(std::uint64_t seen) const {
    if (seen < floor_) return std::nullopt;
    std::vector<std::uint64_t> out;
    for (auto it = entries_.rbegin(); it != entries_.rend() && it->first > seen; ++it) {
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
    return out;
  }

 private:
  void forget_oldest() {
    floor_ = entries_.front().first;  // a read-ahead must have seen at least this commit
    total_ -= entries_.front().second.size();
    entries_.pop_front();
  }

  std::deque<std::pair<std::uint64_t, std::vector<std::uint64_t>>> entries_;
  std::size_t max_;
  std::size_t total_ = 0;
  std::uint64_t floor_ = 0;
};

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync
