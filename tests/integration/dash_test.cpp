// SPDX-License-Identifier: Apache-2.0
// `sousveil dash` end to end: a real agent (sousveild on a temporary socket),
// the dashboard in a real tmux, real programs reading the console.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::run_capture;

// The program the tests run: head, copied under this name.
constexpr const char* kProgram = "svdash-head";

// One private tmux server (-L) per test, so nothing touches the user's.
class Tmux {
 public:
  explicit Tmux(std::string server) : m_server(std::move(server)) {}
  ~Tmux() { quiet({"kill-server"}); }

  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> out = {"/usr/bin/tmux", "-L", m_server, "-f", "/dev/null"};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
  testing::Output tmux(const std::vector<std::string>& args) { return run_capture(argv(args), std::chrono::seconds(10)); }
  // For commands that may start the tmux server: it would hold a capture pipe open forever.
  int quiet(const std::vector<std::string>& args) {
    int status = testing::wait_child(testing::spawn(argv(args)));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool start(int cols, int rows, const std::string& command) {
    return quiet({"new-session", "-d", "-s", "dash", "-x", std::to_string(cols), "-y", std::to_string(rows), "-e",
                  "LANG=C.UTF-8", command}) == 0;
  }
  std::string screen() { return tmux({"capture-pane", "-p", "-t", "dash"}).out; }
  void keys(const std::string& k) { tmux({"send-keys", "-t", "dash", k}); }
  void resize(int cols, int rows) {
    tmux({"resize-window", "-t", "dash", "-x", std::to_string(cols), "-y", std::to_string(rows)});
  }
  // Polls the screen until pred holds; the last screen is kept for messages.
  bool wait_for(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      m_last = screen();
      if (pred(m_last)) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(100ms);
    }
  }
  bool wait_text(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; }, timeout);
  }
  const std::string& last() const { return m_last; }

 private:
  std::string m_server;
  std::string m_last;
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool line_has(const std::string& screen, const std::vector<std::string>& needles) {
  for (const auto& l : lines_of(screen)) {
    bool all = true;
    for (const auto& n : needles) all = all && l.find(n) != std::string::npos;
    if (all) return true;
  }
  return false;
}

class DashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    if (!fs::exists("/usr/bin/tmux")) GTEST_SKIP() << "tmux is not installed (scripts/install-deps installs it)";
    m_dir = fs::temp_directory_path() / ("sv-dash-" + std::to_string(getpid()));
    fs::create_directories(m_dir);
    m_socket = m_dir / "sousveil.sock";
  }
  void TearDown() override {
    stop_loop();
    stop_agent();
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }

  void start_agent() {
    m_agent = testing::spawn({SOUSVEILD, "--socket", m_socket.string(), "--rules", SOUSVEIL_RULES_DIR, "--store",
                              (m_dir / "history.db").string()});
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!fs::exists(m_socket) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(fs::exists(m_socket)) << "sousveild never created " << m_socket;
  }
  void stop_agent() {
    if (m_agent <= 0) return;
    kill(m_agent, SIGTERM);
    testing::wait_child(m_agent);
    m_agent = -1;
  }
  void start_loop() {
    fs::copy_file("/usr/bin/head", m_dir / kProgram, fs::copy_options::overwrite_existing);
    m_loop = testing::spawn(
        {"/bin/sh", "-c", "while :; do " + (m_dir / kProgram).string() + " -c1 /dev/vcs >/dev/null; sleep 0.2; done"});
  }
  void stop_loop() {
    if (m_loop <= 0) return;
    kill(m_loop, SIGTERM);
    testing::wait_child(m_loop);
    m_loop = -1;
  }
  std::string dash_command() const {
    // After the dashboard exits the pane stays, saying how it ended.
    return std::string(SOUSVEIL_CLI) + " dash --socket " + m_socket.string() + "; echo DASH-EXITED rc=$?; sleep 60";
  }

  fs::path m_dir;
  fs::path m_socket;
  pid_t m_agent = -1;
  pid_t m_loop = -1;
};

TEST_F(DashTest, ShowsAWatcherLiveFollowsItEndsAndSurvivesTheAgentRestarting) {
  start_agent();
  Tmux tmux("sv-dash-" + std::to_string(getpid()));
  ASSERT_TRUE(tmux.start(120, 40, dash_command()));

  // Connected: the health line names the agent and its mode; nobody watches yet.
  ASSERT_TRUE(tmux.wait_text("agent 0.1.0")) << tmux.last();
  // All nine indicators on one row, lit (upper case) or not.
  std::string lower = tmux.last();
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(line_has(lower, {"[keys", "[screen", "[camera", "[mic", "[clip", "[term", "[khook", "[remote", "[rec"}))
      << tmux.last();

  // A real program reads the console text: it appears, named, with its category.
  // (A copy of head under a name of its own: other programs on the machine may read the console too.)
  auto t0 = std::chrono::steady_clock::now();
  start_loop();
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) { return line_has(s, {kProgram, "screen"}); })) << tmux.last();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("dash: a new watcher showed in the dashboard %lld ms after the loop started\n", static_cast<long long>(ms));
  EXPECT_TRUE(line_has(tmux.last(), {kProgram, "root", "screen"})) << tmux.last();

  // Other programs on the machine may be listed too: filter down to head.
  // 120x40 shows the detail pane of the selected watcher without asking.
  tmux.keys("/");
  for (char c : std::string(kProgram)) tmux.keys(std::string(1, c));
  tmux.keys("Enter");
  ASSERT_TRUE(tmux.wait_text(std::string("filter: ") + kProgram)) << tmux.last();
  tmux.keys("Down");
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    return s.find("WHAT IT CAN SEE") != std::string::npos && s.find("/dev/vcs") != std::string::npos &&
           s.find(std::string("/") + kProgram) != std::string::npos;
  })) << tmux.last();
  // Enter closes the pane and opens it again.
  tmux.keys("Enter");
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) { return s.find("WHAT IT CAN SEE") == std::string::npos; }))
      << tmux.last();
  tmux.keys("Enter");
  ASSERT_TRUE(tmux.wait_text("WHAT IT CAN SEE")) << tmux.last();

  // The other views: history from the agent's store, posture, health, blind spots.
  tmux.keys("2");
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    return s.find("history unavailable: ") == std::string::npos && s.find("TIME") != std::string::npos &&
           s.find("KIND") != std::string::npos && s.find(kProgram) != std::string::npos;
  })) << tmux.last();
  tmux.keys("3");
  ASSERT_TRUE(tmux.wait_text("[3 Posture]")) << tmux.last();
  tmux.keys("4");
  ASSERT_TRUE(tmux.wait_text("SENSORS (")) << tmux.last();
  EXPECT_TRUE(line_has(tmux.last(), {"bpf", "running"})) << tmux.last();
  tmux.keys("5");
  ASSERT_TRUE(tmux.wait_text("WHAT CANNOT BE SEEN")) << tmux.last();
  tmux.keys("1");
  ASSERT_TRUE(tmux.wait_text("WHAT IT CAN SEE")) << tmux.last();

  // 80x24: the strip on the first row, health and keys on the last two.
  tmux.resize(80, 24);
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    auto l = lines_of(s);
    return l.size() == 24 && l[23].find("q quit") != std::string::npos;
  })) << tmux.last();
  {
    auto l = lines_of(tmux.last());
    EXPECT_NE(l[0].find("[keys"), std::string::npos) << l[0];
    EXPECT_NE(l[0].find("[rec"), std::string::npos) << l[0];  // all nine fit on one row
    EXPECT_NE(l[1].find("Watchers"), std::string::npos) << l[1];
    EXPECT_NE(l[2].find("PROGRAM"), std::string::npos) << l[2];
    EXPECT_NE(l[22].find("agent 0.1.0"), std::string::npos) << l[22];
    for (const auto& line : l) EXPECT_LE(line.size(), 80u * 3) << line;  // never wider than the window
  }
  // 200x60: the detail pane sits beside the list.
  tmux.resize(200, 60);
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) { return lines_of(s).size() == 60; })) << tmux.last();
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    return line_has(s, {"PROGRAM", "\u2502"}) && s.find("WHAT YOU CAN DO") != std::string::npos;
  })) << tmux.last();

  // The loop stops: its watchers end (no active row is left; "●" marks the active ones).
  stop_loop();
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    return !line_has(s, {"\u25CF " + std::string(kProgram)}) && line_has(s, {kProgram, "ended"});
  }, 15s)) << tmux.last();

  // The agent goes away: the dashboard says so and keeps trying.
  stop_agent();
  ASSERT_TRUE(tmux.wait_text("agent not running")) << tmux.last();
  EXPECT_EQ(tmux.last().find("DASH-EXITED"), std::string::npos) << tmux.last();
  // It comes back: the dashboard reconnects and re-reads the lists.
  start_agent();
  ASSERT_TRUE(tmux.wait_for([](const std::string& s) {
    return s.find("agent not running") == std::string::npos && s.find("agent 0.1.0") != std::string::npos;
  }, 15s)) << tmux.last();

  // q quits and the terminal is given back (the shell's echo runs).
  tmux.keys("q");
  ASSERT_TRUE(tmux.wait_text("DASH-EXITED rc=0")) << tmux.last();
}

TEST_F(DashTest, OnceAndJsonPrintASnapshot) {
  start_agent();
  start_loop();
  // The agent needs a moment to see it; poll --json until the watcher is listed.
  nlohmann::json snap;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    auto r = run_capture({SOUSVEIL_CLI, "dash", "--socket", m_socket.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    snap = nlohmann::json::parse(r.out);
    for (const auto& w : snap["watchers"])
      if (w["process"]["exe"] == (m_dir / kProgram).string()) seen = true;
    if (!seen) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(seen) << snap.dump(2);
  EXPECT_EQ(snap["indicators"].size(), 9u);
  EXPECT_EQ(snap["health"]["connected"], true);
  EXPECT_FALSE(snap["health"]["mode"].get<std::string>().empty());

  auto text = run_capture({SOUSVEIL_CLI, "dash", "--socket", m_socket.string(), "--once"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("WATCHERS:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("HEALTH: agent"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("WHAT CANNOT BE SEEN:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(kProgram), std::string::npos) << text.out;
  stop_loop();

  // No agent: a clear error naming the socket, exit 1.
  stop_agent();
  auto none =
      run_capture({SOUSVEIL_CLI, "dash", "--socket", (m_dir / "nobody.sock").string(), "--once", "--no-agent"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("agent not running"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace sousveil
