// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/record.h"

namespace sousveil::store {

inline constexpr const char* kDefaultDbPath = "/var/lib/sousveil/history.db";

struct StoreOptions {
  // The database file; its directory is created 0700, the file 0600. The
  // writer's lock is PATH.lock beside it.
  std::filesystem::path path = kDefaultDbPath;
  // Writer: take the lock and run the writer thread. Reader: query and verify
  // only (the CLI, while an agent may be writing).
  bool writer = true;
  std::size_t queue_capacity = 65536;
  std::size_t batch_rows = 512;
  std::chrono::milliseconds commit_interval{50};
  // FULL fsyncs the WAL on every commit (survives power loss); NORMAL survives
  // a crash or kill of the agent, not of the machine.
  bool synchronous_full = true;
  // Retention: 0 means no limit.
  std::chrono::seconds max_age{0};
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds retention_interval{60'000};
  // Where "now" comes from for retention (tests move it).
  std::function<std::int64_t()> now_unix_ns;
};

// Filters of the socket API's `history` method and `sousveil history`.
struct HistoryQuery {
  std::optional<std::int64_t> since_ns;  // inclusive
  std::optional<std::int64_t> until_ns;  // inclusive
  std::optional<std::string> category;
  std::optional<std::string> rule;
  std::optional<std::uint32_t> pid;
  std::optional<std::string> exe;
  std::optional<RecordKind> kind;
  // Scope "own": rows whose process or target process has this uid, or whose
  // category is one of visible_categories (system-wide capture).
  std::optional<std::uint32_t> visible_to_uid;
  std::vector<std::string> visible_categories;
  std::size_t limit = 1000;
  bool oldest_first = false;  // default newest first, like the watchers list
};
inline constexpr std::size_t kMaxQueryLimit = 10000;

struct QueryResult {
  std::vector<Row> rows;
  bool truncated = false;  // more rows matched than the limit
};

// What verify() found. ok == false names the first row that breaks.
struct VerifyReport {
  bool ok = false;
  std::uint64_t rows = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t anchor_seq = 0;  // the last pruned row (0 when nothing was pruned)
  std::uint64_t broken_seq = 0;  // the row where the chain breaks
  std::string problem;           // "hash mismatch", "prev link mismatch", "gap in seq", "tail truncated", ...
  std::string detail;            // the sentence for a person
};

struct StoreStats {
  std::uint64_t rows_committed = 0;
  std::uint64_t commits = 0;
  std::uint64_t queue_depth = 0;
  std::uint64_t dropped = 0;  // records that never reached the store (queue full or failed commit)
  std::uint64_t pruned_rows = 0;
  std::uint64_t last_seq = 0;
  std::string last_error;
};

struct PruneResult {
  std::uint64_t removed = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;  // the new anchor
  std::string reason;          // "age" or "size"
};

// Told once whether a record became durable: its seq once committed, or why not.
using DurableCallback = std::function<void(Result<std::uint64_t>)>;

// The tamper-evident history: an append-only SQLite table (WAL) whose rows form
// a SHA-256 hash chain, written by one thread in batched transactions.
class Store {
 public:
  static Result<std::unique_ptr<Store>> open(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Cheap and never blocks on the database: queues the record. Returns false
  // when the queue is full; the drop is counted and written as a `lost` row.
  // on_durable runs on the writer thread after the commit (or at once on a drop).
  bool append(Record record, DurableCallback on_durable = {});
  std::future<Result<std::uint64_t>> append_waitable(Record record);
  // Waits until everything queued before the call is committed (or failed).
  void flush();
  // Commits what is queued and stops the writer; append() refuses afterwards.
  void close();

  QueryResult query(const HistoryQuery& q) const;
  Result<QueryResult> try_query(const HistoryQuery& q) const;
  // Recomputes the whole chain inside one read transaction.
  Result<VerifyReport> verify() const;
  // Runs retention now (the writer also runs it every retention_interval).
  Result<std::vector<PruneResult>> prune_now();
  StoreStats stats() const;
  const std::filesystem::path& path() const { return m_options.path; }

 private:
  explicit Store(StoreOptions options);
  struct Pending {
    Record record;
    DurableCallback on_durable;
  };

  Result<void> open_files();
  Result<void> open_writer_state();
  void writer_loop();
  void commit_batch(std::vector<Pending>& batch);
  Result<std::vector<PruneResult>> run_retention();
  Result<PruneResult> prune_through(std::uint64_t last_seq, const std::string& reason);
  Result<std::uint64_t> insert_row(const Record& r);
  Result<void> write_head();
  std::int64_t now_ns() const;
  void set_error(const std::string& message);

  StoreOptions m_options;
  int m_lock_fd = -1;
  sqlite3* m_db = nullptr;       // the writer's connection (writer thread, under m_db_mutex)
  sqlite3* m_read_db = nullptr;  // queries and verify (under m_read_mutex)
  sqlite3_stmt* m_insert = nullptr;
  sqlite3_stmt* m_update_head = nullptr;
  mutable std::mutex m_db_mutex;
  mutable std::mutex m_read_mutex;

  // Chain state, only touched under m_db_mutex.
  std::uint64_t m_last_seq = 0;
  Hash m_last_hash{};
  std::uint64_t m_anchor_seq = 0;
  Hash m_anchor_hash{};

  mutable std::mutex m_queue_mutex;
  std::condition_variable m_queue_cv;
  std::condition_variable m_flushed_cv;
  std::deque<Pending> m_queue;
  std::uint64_t m_enqueued = 0;   // tickets handed out
  std::uint64_t m_completed = 0;  // tickets committed or failed
  bool m_stopping = false;
  std::uint64_t m_flush_waiters = 0;
  bool m_closed = false;
  std::uint64_t m_unreported_drops = 0;

  std::atomic<std::uint64_t> m_rows_committed{0};
  std::atomic<std::uint64_t> m_commits{0};
  std::atomic<std::uint64_t> m_dropped{0};
  std::atomic<std::uint64_t> m_pruned{0};
  std::atomic<std::uint64_t> m_stat_last_seq{0};
  mutable std::mutex m_error_mutex;
  std::string m_last_error;
  std::chrono::steady_clock::time_point m_next_retention;
  std::thread m_writer;
};

}  // namespace sousveil::store
