// SPDX-License-Identifier: Apache-2.0
#include "store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace sousveil::store {
namespace {

constexpr int kSchemaVersion = 1;
constexpr const char* kRowColumns =
    "seq, time_ns, kind, category, rule, severity, pid, uid, target_uid, exe, watcher_id, json, prev_hash, hash";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS history (
  seq        INTEGER PRIMARY KEY,
  time_ns    INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  category   TEXT NOT NULL,
  rule       TEXT NOT NULL,
  severity   TEXT NOT NULL,
  pid        INTEGER,
  uid        INTEGER,
  target_uid INTEGER,
  exe        TEXT NOT NULL,
  watcher_id INTEGER,
  json       TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_time ON history(time_ns);
CREATE INDEX IF NOT EXISTS history_kind ON history(kind);
CREATE INDEX IF NOT EXISTS history_category ON history(category);
CREATE INDEX IF NOT EXISTS history_rule ON history(rule);
CREATE INDEX IF NOT EXISTS history_pid ON history(pid);
CREATE INDEX IF NOT EXISTS history_exe ON history(exe);
CREATE INDEX IF NOT EXISTS history_watcher ON history(watcher_id) WHERE watcher_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS chain_head (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq    INTEGER NOT NULL,
  last_hash   TEXT NOT NULL,
  anchor_seq  INTEGER NOT NULL,
  anchor_hash TEXT NOT NULL
);
)sql";

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t m) { return fmt::format("{:04o}", m & 07777); }

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : m_db(db) {
    m_rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &m_stmt, nullptr);
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return m_rc == SQLITE_OK; }
  sqlite3_stmt* get() const { return m_stmt; }
  std::string error() const { return sqlite3_errmsg(m_db); }

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  int m_rc;
};

Result<void> exec(sqlite3* db, const char* sql, std::string_view what) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return make_error(fmt::format("{}: {}", what, text));
  }
  return {};
}

// For rollbacks and housekeeping whose failure changes nothing the caller can act on.
void exec_quiet(sqlite3* db, const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

template <class T>
void bind_optional(sqlite3_stmt* s, int i, const std::optional<T>& v) {
  if (v) sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(*v));
  else sqlite3_bind_null(s, i);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

template <class T>
std::optional<T> column_optional(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return static_cast<T>(sqlite3_column_int64(s, i));
}

// A row as stored, before anything is trusted: the kind and hashes stay text
// so verify can say exactly what is wrong with them.
struct RawRow {
  std::int64_t seq = 0;
  Record record;
  std::string kind;
  std::string prev_hash;
  std::string hash;
};

RawRow read_raw(sqlite3_stmt* s) {
  RawRow r;
  r.seq = sqlite3_column_int64(s, 0);
  r.record.time_ns = sqlite3_column_int64(s, 1);
  r.kind = column_text(s, 2);
  if (auto k = parse_record_kind(r.kind)) r.record.kind = *k;
  r.record.category = column_text(s, 3);
  r.record.rule = column_text(s, 4);
  r.record.severity = column_text(s, 5);
  r.record.pid = column_optional<std::uint32_t>(s, 6);
  r.record.uid = column_optional<std::uint32_t>(s, 7);
  r.record.target_uid = column_optional<std::uint32_t>(s, 8);
  r.record.exe = column_text(s, 9);
  r.record.watcher_id = column_optional<std::uint64_t>(s, 10);
  r.record.json = column_text(s, 11);
  r.prev_hash = column_text(s, 12);
  r.hash = column_text(s, 13);
  return r;
}

struct Head {
  std::uint64_t last_seq = 0;
  std::string last_hash;
  std::uint64_t anchor_seq = 0;
  std::string anchor_hash;
};

Result<std::optional<Head>> read_head(sqlite3* db) {
  Stmt s(db, "SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM chain_head WHERE id = 1");
  if (!s.ok()) return make_error("cannot read the chain head: " + s.error());
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return std::optional<Head>();
  if (rc != SQLITE_ROW) return make_error("cannot read the chain head: " + s.error());
  Head h;
  h.last_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
  h.last_hash = column_text(s.get(), 1);
  h.anchor_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 2));
  h.anchor_hash = column_text(s.get(), 3);
  return std::optional<Head>(h);
}

// Refuses a path others could write to or swap: the history is only as
// trustworthy as its file's permissions.
Result<void> check_private(const std::filesystem::path& p, bool directory) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return make_error(fmt::format("cannot stat {}: {}", p.string(), errno_text(errno)));
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    return make_error(fmt::format("{} is not a {}{}", p.string(), directory ? "directory" : "regular file",
                                  S_ISLNK(st.st_mode) ? " (a symbolic link is not followed)" : ""));
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return make_error(fmt::format("{} belongs to uid {}, not to this user or root; refusing to trust it", p.string(),
                                  st.st_uid));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return make_error(fmt::format("{} is writable by {} (mode {}); refusing to trust it: chmod go-w {}", p.string(),
                                  (st.st_mode & S_IWOTH) ? "everyone" : "its group", mode_text(st.st_mode),
                                  p.string()));
  return {};
}

}  // namespace

Store::Store(StoreOptions options) : m_options(std::move(options)) {
  if (!m_options.now_unix_ns) {
    m_options.now_unix_ns = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (m_options.batch_rows == 0) m_options.batch_rows = 1;
  if (m_options.queue_capacity == 0) m_options.queue_capacity = 1;
}

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  std::unique_ptr<Store> store(new Store(std::move(options)));
  if (auto r = store->open_files(); !r) return r.error();
  if (store->m_options.writer) {
    if (auto r = store->open_writer_state(); !r) return r.error();
    // Old history goes at start-up, before new rows arrive; then every retention_interval.
    if (store->m_options.max_age.count() > 0 || store->m_options.max_bytes > 0) {
      if (auto r = store->run_retention(); !r) store->set_error(r.error().message);
    }
    store->m_next_retention = std::chrono::steady_clock::now() + store->m_options.retention_interval;
    store->m_writer = std::thread([s = store.get()] { s->writer_loop(); });
  }
  return store;
}

Result<void> Store::open_files() {
  const auto& path = m_options.path;
  if (path.empty()) return make_error("the history path is empty");
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const bool writer = m_options.writer;

  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && !writer)
      return make_error(fmt::format("no history at {}: the directory {} does not exist", path.string(), dir.string()));
    if (errno != ENOENT)
      return make_error(fmt::format("cannot use the history directory {}: {}", dir.string(), errno_text(errno)));
    std::error_code ec;
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return make_error(fmt::format("cannot create the history directory {}: {}", dir.string(), errno_text(errno)));
  }
  if (auto r = check_private(dir, true); !r) return r;

  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return make_error(fmt::format("cannot use {}: {}", path.string(), errno_text(errno)));
    if (!writer) return make_error(fmt::format("no history at {}: the file does not exist", path.string()));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      return make_error(fmt::format("cannot create {}: {}", path.string(), errno_text(errno)));
    if (fd >= 0) {
      ::fchmod(fd, 0600);  // whatever the umask said
      ::close(fd);
    }
  }
  if (auto r = check_private(path, false); !r) return r;

  if (writer) {
    std::string lock_path = path.string() + ".lock";
    m_lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (m_lock_fd < 0) return make_error(fmt::format("cannot open the lock {}: {}", lock_path, errno_text(errno)));
    if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char buf[32] = {};
      ssize_t n = ::pread(m_lock_fd, buf, sizeof buf - 1, 0);
      ::close(m_lock_fd);
      m_lock_fd = -1;
      if (err != EWOULDBLOCK)
        return make_error(fmt::format("cannot lock {}: {}", lock_path, errno_text(err)));
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return make_error(fmt::format("the history {} is in use by another agent{} (lock {}); only one may write it",
                                    path.string(), holder.empty() ? "" : " (pid " + holder + ")", lock_path));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_lock_fd, 0) != 0 || ::pwrite(m_lock_fd, pid.data(), pid.size(), 0) < 0)
      logging::get("store")->warn("could not write pid into lock={}: {}", lock_path, errno_text(errno));
  }

  auto open_db = [&](sqlite3** db, bool query_only) -> Result<void> {
    int rc = sqlite3_open_v2(path.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                             nullptr);
    if (rc != SQLITE_OK)
      return make_error(fmt::format("cannot open {}: {}", path.string(), *db ? sqlite3_errmsg(*db) : "out of memory"));
    sqlite3_busy_timeout(*db, 5000);
    sqlite3_extended_result_codes(*db, 1);
    if (query_only) {
      if (auto r = exec(*db, "PRAGMA query_only = ON", "cannot open " + path.string()); !r) return r;
    }
    return {};
  };

  if (writer) {
    if (auto r = open_db(&m_db, false); !r) return r;
    // Freed pages go back to the file system when retention prunes; only takes effect on a new file.
    if (auto r = exec(m_db, "PRAGMA auto_vacuum = INCREMENTAL", "cannot read " + path.string()); !r) return r;
    {
      Stmt s(m_db, "PRAGMA journal_mode = WAL");
      if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW)
        return make_error(fmt::format("cannot read {}: {}", path.string(), s.error()));
      if (column_text(s.get(), 0) != "wal")
        return make_error(fmt::format("cannot switch {} to WAL mode (it stays '{}')", path.string(),
                                      column_text(s.get(), 0)));
    }
    // Index pages of a long history stay in memory between batches.
    if (auto r = exec(m_db, "PRAGMA cache_size = -16384", "cannot configure " + path.string()); !r) return r;
    const char* sync = m_options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    if (auto r = exec(m_db, sync, "cannot configure " + path.string()); !r) return r;
  }
  if (auto r = open_db(&m_read_db, true); !r) return r;

  // Whether this is a history at all (also catches a file that is not a database).
  Stmt s(m_read_db, "PRAGMA user_version");
  if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW)
    return make_error(fmt::format("cannot read {}: {}", path.string(), s.error()));
  int version = sqlite3_column_int(s.get(), 0);
  if (version > kSchemaVersion)
    return make_error(fmt::format("{} has history schema version {}; this sousveil knows version {}", path.string(),
                                  version, kSchemaVersion));
  if (version == 0 && !writer)
    return make_error(fmt::format("{} is not a sousveil history (no schema)", path.string()));
  return {};
}

Result<void> Store::open_writer_state() {
  const auto& path = m_options.path;
  if (auto r = exec(m_db, "BEGIN IMMEDIATE", "cannot write " + path.string()); !r) return r;
  auto fail = [&](Error e) -> Result<void> {
    exec_quiet(m_db, "ROLLBACK");
    return e;
  };
  int version = 0;
  {
    Stmt s(m_db, "PRAGMA user_version");
    if (s.ok() && sqlite3_step(s.get()) == SQLITE_ROW) version = sqlite3_column_int(s.get(), 0);
  }
  if (version == 0) {
    // A new file, or one with foreign tables: refuse to mix our rows into someone else's database.
    Stmt s(m_db, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'");
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return fail(make_error("cannot read " + path.string()));
    if (sqlite3_column_int(s.get(), 0) != 0)
      return fail(make_error(fmt::format("{} is a database but not a sousveil history; refusing to write to it",
                                         path.string())));
    if (auto r = exec(m_db, kSchema, "cannot create the history schema in " + path.string()); !r) return fail(r.error());
    const std::string zero = to_hex(Hash{});
    std::string sql = fmt::format(
        "INSERT INTO chain_head(id, last_seq, last_hash, anchor_seq, anchor_hash) VALUES (1, 0, '{0}', 0, '{0}');"
        "PRAGMA user_version = {1};",
        zero, kSchemaVersion);
    if (auto r = exec(m_db, sql.c_str(), "cannot create the history schema in " + path.string()); !r)
      return fail(r.error());
  }
  auto head = read_head(m_db);
  if (!head) return fail(head.error());
  if (!*head)
    return fail(make_error(fmt::format("{} has no chain head: the history was altered outside sousveil; "
                                       "'sousveil history verify --db {}' shows where, move the file aside to start anew",
                                       path.string(), path.string())));
  const Head& h = **head;
  auto last_hash = hash_from_hex(h.last_hash);
  auto anchor_hash = hash_from_hex(h.anchor_hash);
  if (!last_hash || !anchor_hash)
    return fail(make_error(fmt::format("{}: the chain head holds a malformed hash", path.string())));
  // The head and the last row are written in one transaction; a mismatch means someone else wrote.
  {
    Stmt s(m_db, "SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1");
    if (!s.ok()) return fail(make_error("cannot read " + path.string() + ": " + s.error()));
    int rc = sqlite3_step(s.get());
    std::uint64_t seq = rc == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0)) : h.anchor_seq;
    std::string hash = rc == SQLITE_ROW ? column_text(s.get(), 1) : h.anchor_hash;
    if (seq != h.last_seq || hash != h.last_hash)
      return fail(make_error(fmt::format(
          "{}: the chain head (seq {}) does not match the last row (seq {}): the history was altered outside "
          "sousveil; 'sousveil history verify --db {}' shows where, move the file aside to start anew",
          path.string(), h.last_seq, seq, path.string())));
  }
  if (auto r = exec(m_db, "COMMIT", "cannot write " + path.string()); !r) return fail(r.error());
  m_last_seq = h.last_seq;
  m_last_hash = *last_hash;
  m_anchor_seq = h.anchor_seq;
  m_anchor_hash = *anchor_hash;
  m_stat_last_seq = m_last_seq;

  std::string insert = fmt::format("INSERT INTO history({}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                                   kRowColumns);
  if (sqlite3_prepare_v3(m_db, insert.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_insert, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(m_db,
                         "UPDATE chain_head SET last_seq = ?1, last_hash = ?2, anchor_seq = ?3, anchor_hash = ?4 "
                         "WHERE id = 1",
                         -1, SQLITE_PREPARE_PERSISTENT, &m_update_head, nullptr) != SQLITE_OK)
    return make_error(fmt::format("cannot prepare writes to {}: {}", path.string(), sqlite3_errmsg(m_db)));
  logging::get("store")->info("history open path={} last_seq={} anchor_seq={}", path.string(), m_last_seq,
                              m_anchor_seq);
  return {};
}

Store::~Store() {
  close();
  sqlite3_finalize(m_insert);
  sqlite3_finalize(m_update_head);
  if (m_db) sqlite3_close_v2(m_db);
  if (m_read_db) sqlite3_close_v2(m_read_db);
  if (m_lock_fd >= 0) ::close(m_lock_fd);  // releases the flock
}

void Store::close() {
  {
    std::lock_guard lk(m_queue_mutex);
    if (m_closed) return;
    m_closed = true;
    m_stopping = true;
  }
  m_queue_cv.notify_all();
  if (m_writer.joinable()) m_writer.join();
}

bool Store::append(Record record, DurableCallback on_durable) {
  {
    std::lock_guard lk(m_queue_mutex);
    if (!m_closed && m_options.writer && m_queue.size() < m_options.queue_capacity) {
      m_queue.push_back(Pending{std::move(record), std::move(on_durable)});
      ++m_enqueued;
      if (m_queue.size() == 1 || m_queue.size() >= m_options.batch_rows) m_queue_cv.notify_one();
      return true;
    }
    ++m_unreported_drops;
  }
  ++m_dropped;
  if (on_durable)
    on_durable(make_error(m_closed || !m_options.writer ? "the history store is closed or read-only"
                                                        : "the history store's queue is full; the record was dropped "
                                                          "and counted"));
  return false;
}

std::future<Result<std::uint64_t>> Store::append_waitable(Record record) {
  auto promise = std::make_shared<std::promise<Result<std::uint64_t>>>();
  auto future = promise->get_future();
  append(std::move(record), [promise](Result<std::uint64_t> r) { promise->set_value(std::move(r)); });
  return future;
}

void Store::flush() {
  std::unique_lock lk(m_queue_mutex);
  if (!m_writer.joinable() || m_closed) return;
  const std::uint64_t ticket = m_enqueued;
  ++m_flush_waiters;
  m_queue_cv.notify_one();
  m_flushed_cv.wait(lk, [&] { return m_completed >= ticket || !m_writer.joinable(); });
  --m_flush_waiters;
}

std::int64_t Store::now_ns() const { return m_options.now_unix_ns(); }

void Store::set_error(const std::string& message) {
  logging::get("store")->error("history write failed path={}: {}", m_options.path.string(), message);
  std::lock_guard lk(m_error_mutex);
  m_last_error = message;
}

void Store::writer_loop() {
  std::vector<Pending> batch;
  for (;;) {
    std::uint64_t drops = 0;
    bool stop = false;
    {
      std::unique_lock lk(m_queue_mutex);
      auto wake = m_next_retention;
      if (m_options.max_age.count() == 0 && m_options.max_bytes == 0) wake = std::chrono::steady_clock::now() + std::chrono::hours(1);
      if (m_unreported_drops > 0) wake = std::min(wake, std::chrono::steady_clock::now() + std::chrono::seconds(1));
      m_queue_cv.wait_until(lk, wake, [&] { return m_stopping || !m_queue.empty(); });
      // Gather a batch: wait a little for more unless it is full, flushed or closing.
      if (!m_queue.empty() && !m_stopping && m_flush_waiters == 0 && m_queue.size() < m_options.batch_rows) {
        m_queue_cv.wait_for(lk, m_options.commit_interval, [&] {
          return m_stopping || m_flush_waiters > 0 || m_queue.size() >= m_options.batch_rows;
        });
      }
      const std::size_t n = std::min(m_queue.size(), m_options.batch_rows);
      batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
      }
      drops = m_unreported_drops;
      m_unreported_drops = 0;
      stop = m_stopping && m_queue.empty();
    }
    const std::size_t user_records = batch.size();
    if (drops > 0) {
      // Never silent: the drop itself becomes a row, ahead of the batch.
      Record lost;
      lost.kind = RecordKind::Lost;
      lost.time_ns = now_ns();
      lost.category = "store";
      lost.json = nlohmann::json{{"kind", "lost"},
                                 {"category", "store"},
                                 {"count", drops},
                                 {"reason", "history records dropped: the store's queue was full or a commit failed"}}
                      .dump();
      batch.insert(batch.begin(), Pending{std::move(lost), {}});
    }
    if (!batch.empty()) commit_batch(batch);
    if (user_records > 0) {
      std::lock_guard lk(m_queue_mutex);
      m_completed += user_records;
    }
    m_flushed_cv.notify_all();
    if ((m_options.max_age.count() > 0 || m_options.max_bytes > 0) &&
        std::chrono::steady_clock::now() >= m_next_retention) {
      m_next_retention = std::chrono::steady_clock::now() + m_options.retention_interval;
      if (auto r = run_retention(); !r) set_error(r.error().message);
    }
    if (stop) break;
  }
  m_flushed_cv.notify_all();
}

Result<std::uint64_t> Store::insert_row(const Record& r) {
  const std::uint64_t seq = m_last_seq + 1;
  const Hash hash = row_hash(m_last_hash, seq, r);
  sqlite3_stmt* s = m_insert;
  sqlite3_reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(seq));
  sqlite3_bind_int64(s, 2, r.time_ns);
  std::string_view kind = to_string(r.kind);
  sqlite3_bind_text(s, 3, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
  bind_text(s, 4, r.category);
  bind_text(s, 5, r.rule);
  bind_text(s, 6, r.severity);
  bind_optional(s, 7, r.pid);
  bind_optional(s, 8, r.uid);
  bind_optional(s, 9, r.target_uid);
  bind_text(s, 10, r.exe);
  bind_optional(s, 11, r.watcher_id);
  bind_text(s, 12, r.json);
  bind_text(s, 13, to_hex(m_last_hash));
  bind_text(s, 14, to_hex(hash));
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return make_error(fmt::format("cannot insert row {}: {}", seq, sqlite3_errmsg(m_db)));
  m_last_seq = seq;
  m_last_hash = hash;
  return seq;
}

Result<void> Store::write_head() {
  sqlite3_stmt* s = m_update_head;
  sqlite3_reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(m_last_seq));
  bind_text(s, 2, to_hex(m_last_hash));
  sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(m_anchor_seq));
  bind_text(s, 4, to_hex(m_anchor_hash));
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE || sqlite3_changes(m_db) != 1)
    return make_error(fmt::format("cannot update the chain head: {}", sqlite3_errmsg(m_db)));
  return {};
}

void Store::commit_batch(std::vector<Pending>& batch) {
  std::vector<std::uint64_t> seqs;
  seqs.reserve(batch.size());
  std::optional<Error> failure;
  {
    std::lock_guard lk(m_db_mutex);
    const auto saved_seq = m_last_seq;
    const auto saved_hash = m_last_hash;
    if (auto r = exec(m_db, "BEGIN IMMEDIATE", "cannot begin a transaction"); !r) failure = r.error();
    for (std::size_t i = 0; !failure && i < batch.size(); ++i) {
      auto seq = insert_row(batch[i].record);
      if (!seq) failure = seq.error();
      else seqs.push_back(*seq);
    }
    if (!failure) {
      if (auto r = write_head(); !r) failure = r.error();
    }
    if (!failure) {
      if (auto r = exec(m_db, "COMMIT", "cannot commit"); !r) failure = r.error();
    }
    if (failure) {
      exec_quiet(m_db, "ROLLBACK");
      m_last_seq = saved_seq;
      m_last_hash = saved_hash;
    } else {
      m_rows_committed += batch.size();
      ++m_commits;
      m_stat_last_seq = m_last_seq;
    }
  }
  if (failure) {
    set_error(failure->message);
    std::size_t user = 0;
    for (auto& p : batch) {
      if (!p.on_durable) continue;
      ++user;
      p.on_durable(*failure);
    }
    // Counted and retried as a `lost` row with the next batch.
    m_dropped += batch.size();
    std::lock_guard lk(m_queue_mutex);
    m_unreported_drops += batch.size();
    (void)user;
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].on_durable) batch[i].on_durable(seqs[i]);
}

Result<std::vector<PruneResult>> Store::prune_now() {
  if (!m_options.writer) return make_error("the history store is open read-only; only the writer prunes");
  return run_retention();
}

Result<std::vector<PruneResult>> Store::run_retention() {
  std::lock_guard lk(m_db_mutex);
  std::vector<PruneResult> out;
  if (m_options.max_age.count() > 0) {
    const std::int64_t cutoff =
        now_ns() - std::chrono::duration_cast<std::chrono::nanoseconds>(m_options.max_age).count();
    // Keep everything from the first row young enough onwards: the chain is pruned as a prefix.
    Stmt s(m_db, "SELECT min(seq) FROM history WHERE time_ns >= ?1 AND kind != 'prune'");
    if (!s.ok()) return make_error("retention: " + s.error());
    sqlite3_bind_int64(s.get(), 1, cutoff);
    if (sqlite3_step(s.get()) != SQLITE_ROW) return make_error("retention: " + s.error());
    std::uint64_t through = sqlite3_column_type(s.get(), 0) == SQLITE_NULL
                                ? m_last_seq
                                : static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0)) - 1;
    // Only prune rows that are not themselves the record of an earlier prune, unless older data goes too.
    Stmt c(m_db, "SELECT count(*) FROM history WHERE seq <= ?1 AND kind != 'prune'");
    sqlite3_bind_int64(c.get(), 1, static_cast<sqlite3_int64>(through));
    bool any = c.ok() && sqlite3_step(c.get()) == SQLITE_ROW && sqlite3_column_int64(c.get(), 0) > 0;
    if (through > m_anchor_seq && any) {
      auto r = prune_through(through, "age");
      if (!r) return r.error();
      out.push_back(*r);
    }
  }
  if (m_options.max_bytes > 0) {
    auto used_bytes = [&]() -> std::uint64_t {
      auto pragma = [&](const char* sql) -> std::uint64_t {
        Stmt s(m_db, sql);
        return s.ok() && sqlite3_step(s.get()) == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0))
                                                             : 0;
      };
      return (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * pragma("PRAGMA page_size");
    };
    for (int pass = 0; pass < 4; ++pass) {
      const std::uint64_t used = used_bytes();
      if (used <= m_options.max_bytes) break;
      Stmt n(m_db, "SELECT count(*) FROM history");
      if (!n.ok() || sqlite3_step(n.get()) != SQLITE_ROW) return make_error("retention: " + n.error());
      const auto rows = static_cast<std::uint64_t>(sqlite3_column_int64(n.get(), 0));
      if (rows <= 1) break;
      // Down to 90% of the limit, so a full store does not prune on every tick.
      const double target = 0.9 * static_cast<double>(m_options.max_bytes);
      auto remove = static_cast<std::uint64_t>(static_cast<double>(rows) * (static_cast<double>(used) - target) /
                                               static_cast<double>(used)) + 1;
      remove = std::min(remove, rows - 1);  // keep the newest row; the prune row joins it
      Stmt k(m_db, "SELECT seq FROM history ORDER BY seq LIMIT 1 OFFSET ?1");
      sqlite3_bind_int64(k.get(), 1, static_cast<sqlite3_int64>(remove - 1));
      if (!k.ok() || sqlite3_step(k.get()) != SQLITE_ROW) return make_error("retention: " + k.error());
      auto r = prune_through(static_cast<std::uint64_t>(sqlite3_column_int64(k.get(), 0)), "size");
      if (!r) return r.error();
      out.push_back(*r);
      exec_quiet(m_db, "PRAGMA incremental_vacuum");
    }
  }
  if (!out.empty()) {
    exec_quiet(m_db, "PRAGMA incremental_vacuum");
    sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  return out;
}

Result<PruneResult> Store::prune_through(std::uint64_t through, const std::string& reason) {
  const auto saved = std::make_tuple(m_last_seq, m_last_hash, m_anchor_seq, m_anchor_hash);
  auto fail = [&](const std::string& msg) -> Result<PruneResult> {
    exec_quiet(m_db, "ROLLBACK");
    std::tie(m_last_seq, m_last_hash, m_anchor_seq, m_anchor_hash) = saved;
    return make_error("retention: " + msg);
  };
  if (auto r = exec(m_db, "BEGIN IMMEDIATE", "begin"); !r) return make_error("retention: " + r.error().message);
  PruneResult res;
  res.reason = reason;
  res.last_seq = through;
  Hash anchor{};
  {
    Stmt s(m_db, "SELECT hash FROM history WHERE seq = ?1");
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(through));
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return fail(fmt::format("row {} is missing", through));
    auto h = hash_from_hex(column_text(s.get(), 0));
    if (!h) return fail(fmt::format("row {} holds a malformed hash", through));
    anchor = *h;
  }
  {
    Stmt s(m_db, "SELECT count(*), min(seq) FROM history WHERE seq <= ?1");
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(through));
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return fail(s.error());
    res.removed = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
    res.first_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 1));
  }
  {
    Stmt s(m_db, "DELETE FROM history WHERE seq <= ?1");
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(through));
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_DONE) return fail(s.error());
  }
  m_anchor_seq = through;
  m_anchor_hash = anchor;
  Record prune;
  prune.kind = RecordKind::Prune;
  prune.time_ns = now_ns();
  prune.json = nlohmann::json{{"kind", "prune"},
                              {"reason", reason},
                              {"removed", res.removed},
                              {"first_seq", res.first_seq},
                              {"last_seq", through},
                              {"anchor_hash", to_hex(anchor)}}
                   .dump();
  if (auto r = insert_row(prune); !r) return fail(r.error().message);
  if (auto r = write_head(); !r) return fail(r.error().message);
  if (auto r = exec(m_db, "COMMIT", "commit"); !r) return fail(r.error().message);
  m_pruned += res.removed;
  ++m_rows_committed;
  ++m_commits;
  m_stat_last_seq = m_last_seq;
  logging::get("store")->info("history pruned reason={} removed={} seqs={}..{}", reason, res.removed, res.first_seq,
                              through);
  return res;
}

Result<QueryResult> Store::try_query(const HistoryQuery& q) const {
  std::string sql = fmt::format("SELECT {} FROM history WHERE 1=1", kRowColumns);
  std::vector<std::function<void(sqlite3_stmt*, int)>> binds;
  auto add_int = [&](const char* clause, std::int64_t v) {
    sql += clause;
    binds.push_back([v](sqlite3_stmt* s, int i) { sqlite3_bind_int64(s, i, v); });
  };
  auto add_text = [&](const char* clause, std::string v) {
    sql += clause;
    binds.push_back([v = std::move(v)](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  };
  if (q.since_ns) add_int(" AND time_ns >= ?", *q.since_ns);
  if (q.until_ns) add_int(" AND time_ns <= ?", *q.until_ns);
  if (q.category) add_text(" AND category = ?", *q.category);
  if (q.rule) add_text(" AND rule = ?", *q.rule);
  if (q.pid) add_int(" AND pid = ?", *q.pid);
  if (q.exe) add_text(" AND exe = ?", *q.exe);
  if (q.kind) add_text(" AND kind = ?", std::string(to_string(*q.kind)));
  if (q.visible_to_uid) {
    sql += " AND (uid = ? OR target_uid = ?";
    const std::int64_t uid = *q.visible_to_uid;
    binds.push_back([uid](sqlite3_stmt* s, int i) { sqlite3_bind_int64(s, i, uid); });
    binds.push_back([uid](sqlite3_stmt* s, int i) { sqlite3_bind_int64(s, i, uid); });
    for (const auto& c : q.visible_categories) add_text(" OR category = ?", c);
    sql += ")";
  }
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, kMaxQueryLimit);
  sql += q.oldest_first ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  add_int(" LIMIT ?", static_cast<std::int64_t>(limit + 1));

  std::lock_guard lk(m_read_mutex);
  Stmt s(m_read_db, sql);
  if (!s.ok()) return make_error(fmt::format("cannot query {}: {}", m_options.path.string(), s.error()));
  for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s.get(), static_cast<int>(i + 1));
  QueryResult out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    if (out.rows.size() == limit) {
      out.truncated = true;
      break;
    }
    RawRow raw = read_raw(s.get());
    Row row;
    row.seq = static_cast<std::uint64_t>(raw.seq);
    row.record = std::move(raw.record);
    row.prev_hash = hash_from_hex(raw.prev_hash).value_or(Hash{});
    row.hash = hash_from_hex(raw.hash).value_or(Hash{});
    out.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return make_error(fmt::format("cannot query {}: {}", m_options.path.string(), s.error()));
  return out;
}

QueryResult Store::query(const HistoryQuery& q) const {
  auto r = try_query(q);
  if (!r) {
    logging::get("store")->warn("history query failed: {}", r.error().message);
    return {};
  }
  return std::move(r).value();
}

Result<VerifyReport> Store::verify() const {
  std::lock_guard lk(m_read_mutex);
  const std::string where = m_options.path.string();
  // One read transaction: the writer may go on committing; we check one snapshot.
  if (auto r = exec(m_read_db, "BEGIN", "cannot read " + where); !r) return r.error();
  struct EndRead {
    sqlite3* db;
    ~EndRead() { exec_quiet(db, "COMMIT"); }
  } end_read{m_read_db};

  VerifyReport rep;
  auto broken = [&](std::uint64_t seq, std::string problem, std::string detail) {
    rep.ok = false;
    rep.broken_seq = seq;
    rep.problem = std::move(problem);
    rep.detail = std::move(detail);
    return rep;
  };
  auto head_r = read_head(m_read_db);
  if (!head_r) return head_r.error();
  if (!*head_r) return broken(0, "head missing", "the chain head record is missing: the history was altered");
  const Head head = **head_r;
  auto anchor = hash_from_hex(head.anchor_hash);
  if (!anchor) return broken(head.anchor_seq, "malformed head", "the chain head's anchor hash is malformed");
  rep.anchor_seq = head.anchor_seq;

  Stmt s(m_read_db, fmt::format("SELECT {} FROM history ORDER BY seq ASC", kRowColumns));
  if (!s.ok()) return make_error(fmt::format("cannot read {}: {}", where, s.error()));
  std::uint64_t expected = head.anchor_seq + 1;
  std::string prev_hex = head.anchor_hash;
  Hash prev = *anchor;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    RawRow raw = read_raw(s.get());
    const auto seq = static_cast<std::uint64_t>(raw.seq);
    if (raw.seq <= 0 || seq != expected) {
      if (raw.seq > 0 && seq > expected)
        return broken(seq, "gap in seq",
                      fmt::format("row {} follows row {}: rows {}..{} are missing", seq, expected - 1, expected,
                                  seq - 1));
      return broken(seq, "gap in seq",
                    fmt::format("row {} comes before the anchor (seq {}) of the chain", raw.seq, head.anchor_seq));
    }
    if (raw.prev_hash != prev_hex)
      return broken(seq, "prev link mismatch",
                    fmt::format("row {} links to {} but the row before it hashes to {}", seq, raw.prev_hash,
                                prev_hex));
    if (!parse_record_kind(raw.kind))
      return broken(seq, "hash mismatch", fmt::format("row {} has an unknown kind '{}'", seq, raw.kind));
    const Hash computed = row_hash(prev, seq, raw.record);
    const std::string computed_hex = to_hex(computed);
    if (computed_hex != raw.hash)
      return broken(seq, "hash mismatch",
                    fmt::format("row {}'s content hashes to {} but it records {}: the row was edited", seq,
                                computed_hex, raw.hash));
    if (rep.rows == 0) rep.first_seq = seq;
    rep.last_seq = seq;
    ++rep.rows;
    prev = computed;
    prev_hex = computed_hex;
    ++expected;
  }
  if (rc != SQLITE_DONE) return make_error(fmt::format("cannot read {}: {}", where, s.error()));
  const std::uint64_t end = expected - 1;  // the last seq seen, or the anchor
  if (end < head.last_seq)
    return broken(end + 1, "tail truncated",
                  fmt::format("the chain head records last seq {} but the rows end at {}: rows {}..{} were removed",
                              head.last_seq, end, end + 1, head.last_seq));
  if (end > head.last_seq)
    return broken(head.last_seq + 1, "rows beyond the head",
                  fmt::format("rows {}..{} were added after the chain head's last seq {}", head.last_seq + 1, end,
                              head.last_seq));
  if (prev_hex != head.last_hash)
    return broken(end, "head hash mismatch",
                  fmt::format("the chain head records hash {} for seq {} but the row hashes to {}", head.last_hash,
                              end, prev_hex));
  rep.ok = true;
  return rep;
}

StoreStats Store::stats() const {
  StoreStats st;
  st.rows_committed = m_rows_committed;
  st.commits = m_commits;
  st.dropped = m_dropped;
  st.pruned_rows = m_pruned;
  st.last_seq = m_stat_last_seq;
  {
    std::lock_guard lk(m_queue_mutex);
    st.queue_depth = m_queue.size();
  }
  std::lock_guard lk(m_error_mutex);
  st.last_error = m_last_error;
  return st;
}

}  // namespace sousveil::store
