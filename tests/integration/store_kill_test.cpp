// SPDX-License-Identifier: Apache-2.0
// kill -9 a real writer mid-burst, again and again: the history must reopen,
// verify, hold every row the writer called durable, and go on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "store/store.h"

namespace sousveil::store {
namespace {

namespace fs = std::filesystem;

struct Writer {
  pid_t pid = -1;
  int out = -1;
};

Writer start_writer(const fs::path& db, int round) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    std::string r = std::to_string(round);
    ::execl(SOUSVEIL_STORE_WRITER, SOUSVEIL_STORE_WRITER, db.c_str(), r.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads "durable SEQ N" lines until `want` arrived (or the deadline); returns seq -> n.
std::map<std::uint64_t, std::uint64_t> read_durable(int fd, std::size_t want, std::chrono::seconds timeout) {
  std::map<std::uint64_t, std::uint64_t> out;
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::istringstream line(buf.substr(0, nl));
      buf.erase(0, nl + 1);
      std::string word;
      std::uint64_t seq = 0, num = 0;
      if (line >> word >> seq >> num && word == "durable") out[seq] = num;
    }
  }
  return out;
}

std::string row_json(const fs::path& db, std::uint64_t seq) {
  sqlite3* h = nullptr;
  std::string out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT json FROM history WHERE seq = ?1", -1, &s, nullptr) == SQLITE_OK) {
      sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(seq));
      if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return out;
}

TEST(StoreKillTest, KillNineMidBurstNeverBreaksTheChainOrLosesADurableRow) {
  char tmpl[] = "/tmp/sv-store-kill-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  const fs::path db = dir / "history" / "history.db";
  // How many durable rows to wait for before each kill: at once, early, mid-batch, after many commits.
  const std::size_t kills_after[] = {1, 37, 700, 5000, 213};
  std::uint64_t last_seq = 0;
  int round = 0;
  for (std::size_t want : kills_after) {
    ++round;
    Writer w = start_writer(db, round);
    ASSERT_GT(w.pid, 0);
    auto durable = read_durable(w.out, want, std::chrono::seconds(20));
    ::kill(w.pid, SIGKILL);
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    // What was already in the pipe when it died was durable too.
    auto rest = read_durable(w.out, SIZE_MAX, std::chrono::seconds(0));
    durable.insert(rest.begin(), rest.end());
    ::close(w.out);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer ended by itself: " << status;
    ASSERT_GE(durable.size(), want) << "round " << round;

    StoreOptions o;
    o.path = db;
    o.writer = false;
    auto reader = Store::open(o);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    auto rep = (*reader)->verify();
    ASSERT_TRUE(rep.ok()) << rep.error().message;
    ASSERT_TRUE(rep->ok) << "round " << round << ": seq " << rep->broken_seq << " " << rep->problem << ": "
                         << rep->detail;
    // The new writer continued the chain from where the killed one stopped.
    EXPECT_EQ(rep->first_seq, 1U);
    EXPECT_GT(rep->last_seq, last_seq);
    last_seq = rep->last_seq;
    for (const auto& [seq, n] : durable) {
      ASSERT_LE(seq, rep->last_seq) << "durable row " << seq << " is missing after round " << round;
      std::string json = row_json(db, seq);
      ASSERT_NE(json.find("\"round\":" + std::to_string(round) + ",\"n\":" + std::to_string(n) + ","),
                std::string::npos)
          << "row " << seq << " holds " << json;
    }
  }
  // A writer after the last kill goes on from the last committed row.
  StoreOptions o;
  o.path = db;
  auto writer = Store::open(o);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  Record r;
  r.kind = RecordKind::Agent;
  r.time_ns = 1;
  r.json = "{}";
  auto seq = (*writer)->append_waitable(r).get();
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, last_seq + 1);
  auto rep = (*writer)->verify();
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok) << rep->detail;
  writer->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sousveil::store
