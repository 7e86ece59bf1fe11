// SPDX-License-Identifier: Apache-2.0
// The real agent keeps its history: sousveild writes the store, serves it over
// the socket API's history method, and leaves a chain that verifies.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "api/client.h"
#include "harness.h"
#include "store/store.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using testing::run_capture;

TEST(StoreAgentTest, SousveildStoresServesAndVerifiesItsHistory) {
  if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
  char tmpl[] = "/tmp/sv-store-agent-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  const fs::path db = dir / "history" / "history.db";
  const fs::path sock = dir / "sousveil.sock";
  pid_t pid = testing::spawn({SOUSVEILD, "--no-bpf", "--store", db.string(), "--socket", sock.string(),
                              "--socket-group", "root"});
  ASSERT_GT(pid, 0);

  // The agent is up once its socket answers and its start is in the history.
  nlohmann::json rows;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    auto client = api::Client::connect(sock);
    if (client) {
      auto r = client->request("history", {{"kind", "agent"}});
      if (r && !(*r)["rows"].empty()) {
        rows = (*r)["rows"];
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(rows.empty()) << "sousveild never served its history";
  EXPECT_EQ(rows[0]["kind"], "agent");
  EXPECT_EQ(rows[0]["record"]["event"], "started");
  EXPECT_EQ(rows[0]["process"]["pid"], pid);

  // Another writer on the same store is refused, naming the agent that holds it.
  {
    store::StoreOptions o;
    o.path = db;
    auto second = store::Store::open(o);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("pid " + std::to_string(pid)), std::string::npos)
        << second.error().message;
  }

  {
    auto client = api::Client::connect(sock);
    ASSERT_TRUE(client.ok()) << client.error().message;
    auto bad = client->request("history", {{"kind", "nonsense"}});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("params.kind"), std::string::npos) << bad.error().message;
    auto all = client->request("history", {{"limit", 1}});
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ((*all)["rows"].size(), 1U);
  }

  ::kill(pid, SIGTERM);
  int status = testing::wait_child(pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;

  auto verify = run_capture({SOUSVEIL_CLI, "history", "verify", "--db", db.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out.rfind("chain ok: ", 0), 0U) << verify.out;
  auto stopped = run_capture({SOUSVEIL_CLI, "history", "--db", db.string(), "--kind", "agent", "--json"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("\"event\":\"stopped\""), std::string::npos) << stopped.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sousveil
