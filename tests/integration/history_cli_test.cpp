// SPDX-License-Identifier: Apache-2.0
// `sousveil history` and `sousveil history verify` against a real store file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <sstream>

#include "harness.h"
#include "store/store.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using testing::run_capture;

class HistoryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sv-history-cli-XXXXXX";
    m_dir = ::mkdtemp(tmpl);
    m_db = m_dir / "history.db";
    store::StoreOptions o;
    o.path = m_db;
    o.synchronous_full = false;
    auto s = store::Store::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    const char* categories[] = {"keystrokes", "screen", "screen", "camera"};
    for (int i = 0; i < 4; ++i) {
      store::Record r;
      r.kind = store::RecordKind::Finding;
      r.time_ns = 1'795'946'400'000'000'000LL + i * 1'000'000'000LL;
      r.category = categories[i];
      r.rule = std::string(categories[i]) + "-rule";
      r.severity = "high";
      r.pid = 100 + i;
      r.uid = 1000;
      r.exe = "/usr/bin/watcher" + std::to_string(i);
      r.json = R"({"object":"thing)" + std::to_string(i) + R"("})";
      (*s)->append(r);
    }
    (*s)->flush();
  }
  void TearDown() override { fs::remove_all(m_dir); }
  void tamper(const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(m_db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }

  fs::path m_dir;
  fs::path m_db;
};

TEST_F(HistoryCliTest, VerifySaysTheChainIsOk) {
  auto out = run_capture({SOUSVEIL_CLI, "history", "verify", "--db", m_db.string()});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "chain ok: 4 rows, first seq 1, last seq 4\n");
}

TEST_F(HistoryCliTest, VerifyNamesTheFirstBrokenRowAndExitsOne) {
  tamper("UPDATE history SET rule = 'nothing-to-see' WHERE seq = 2");
  auto out = run_capture({SOUSVEIL_CLI, "history", "verify", "--db", m_db.string()});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.out.find("chain BROKEN at seq 2: hash mismatch"), std::string::npos) << out.out;
}

TEST_F(HistoryCliTest, RowsAreFilteredAndPrintedAsJson) {
  auto out = run_capture({SOUSVEIL_CLI, "history", "--db", m_db.string(), "--category", "screen", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::istringstream lines(out.out);
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["seq"], 3);  // newest first
  EXPECT_EQ(rows[1]["seq"], 2);
  EXPECT_EQ(rows[0]["category"], "screen");
  EXPECT_EQ(rows[0]["record"]["object"], "thing2");

  out = run_capture({SOUSVEIL_CLI, "history", "--db", m_db.string(), "--since", "2026-11-29T10:00:03Z"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("camera"), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("keystrokes"), std::string::npos) << out.out;
}

TEST_F(HistoryCliTest, BadInputIsAClearError) {
  auto out = run_capture({SOUSVEIL_CLI, "history", "--db", m_db.string(), "--since", "last tuesday"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.err.find("--since"), std::string::npos) << out.err;
  out = run_capture({SOUSVEIL_CLI, "history", "verify", "--db", (m_dir / "nope.db").string()});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.err.find("no history at"), std::string::npos) << out.err;
}

}  // namespace
}  // namespace sousveil
