// SPDX-License-Identifier: Apache-2.0
// Desktop notifications against a real notification server: dunst on a
// private dbus-daemon session bus under Xvfb. A dunst rule runs a script for
// every notification, writing what dunst received (summary, urgency, body)
// to a file the test reads back.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "notify/notifier.h"
#include "notify/session_bus.h"

namespace sousveil::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Received {
  std::string summary;
  std::string urgency;
  std::string body;  // lines joined with '|'
};

nlohmann::json given_watcher(const std::string& comm, const std::string& severity = "high",
                             const std::string& product = "") {
  return {{"change", "new"},
          {"id", 1},
          {"state", "active"},
          {"rule", "input.keyboard-read"},
          {"title", "Reads a keyboard"},
          {"category", "keystrokes"},
          {"severity", severity},
          {"explanation", "reads every key typed on <AT keyboard>"},
          {"product", product},
          {"process", {{"pid", 4242}, {"comm", comm}, {"exe", "/usr/bin/" + comm}, {"user", "alice"}}},
          {"evidence", {"/dev/input/event3"}},
          {"attempt", false}};
}

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"/usr/bin/Xvfb", "/usr/bin/dbus-daemon", "/usr/bin/dunst"})
      if (::access(tool, X_OK) != 0) GTEST_SKIP() << tool << " is not installed (xvfb, dbus, dunst)";
    std::string tmpl = (fs::temp_directory_path() / "sv-notify-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
    start_xvfb();
    ASSERT_GE(m_display, 0) << "Xvfb did not start";
    m_bus = "unix:path=" + (m_dir / "bus").string();
    m_dbus = spawn({"/usr/bin/dbus-daemon", "--session", "--nofork", "--address=" + m_bus});
    ASSERT_TRUE(wait_path(m_dir / "bus")) << "dbus-daemon did not start";
    std::ofstream(m_dir / "record.sh") << "#!/bin/sh\nprintf '%s\\t%s\\t%s\\n' \"$DUNST_SUMMARY\" \"$DUNST_URGENCY\" "
                                          "\"$(printf %s \"$DUNST_BODY\" | tr '\\n' '|')\" >> "
                                       << (m_dir / "received").string() << "\n";
    fs::permissions(m_dir / "record.sh", fs::perms::owner_all);
    std::ofstream(m_dir / "dunstrc") << "[global]\n    markup = full\n[record]\n    summary = \"*\"\n    script = "
                                     << (m_dir / "record.sh").string() << "\n";
    ::setenv("DBUS_SESSION_BUS_ADDRESS", m_bus.c_str(), 1);
    ::setenv("DISPLAY", (":" + std::to_string(m_display)).c_str(), 1);
    m_dunst = spawn({"/usr/bin/dunst", "-conf", (m_dir / "dunstrc").string()});
    // Ready when it answers as the notification server.
    for (int i = 0; i < 200; ++i) {
      auto server = notify::SessionBusServer::connect();
      if (server && (*server)->server_information()) {
        m_server = std::move(server).value();
        break;
      }
      std::this_thread::sleep_for(25ms);
    }
    ASSERT_TRUE(m_server) << "dunst did not take org.freedesktop.Notifications";
    auto info = m_server->server_information();
    ASSERT_TRUE(info);
    EXPECT_NE(info->find("dunst"), std::string::npos) << *info;
  }

  void TearDown() override {
    m_server.reset();
    for (pid_t* p : {&m_dunst, &m_dbus, &m_xvfb})
      if (*p > 0) {
        ::kill(*p, SIGTERM);
        wait_child(*p);
        *p = -1;
      }
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  }

  void start_xvfb() {
    for (int n = 160 + getpid() % 100, tries = 0; tries < 20 && m_display < 0; ++n, ++tries) {
      auto socket = "/tmp/.X11-unix/X" + std::to_string(n);
      if (fs::exists("/tmp/.X" + std::to_string(n) + "-lock") || fs::exists(socket)) continue;
      pid_t pid = spawn({"/usr/bin/Xvfb", ":" + std::to_string(n), "-nolisten", "tcp", "-screen", "0", "640x480x24"});
      if (wait_path(socket, pid)) {
        m_display = n;
        m_xvfb = pid;
      } else {
        ::kill(pid, SIGKILL);
        wait_child(pid);
      }
    }
  }

  static bool wait_path(const fs::path& p, pid_t pid = -1) {
    for (int i = 0; i < 500; ++i) {
      if (fs::exists(p)) return true;
      if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // What dunst received, once at least `n` notifications are in.
  std::vector<Received> received(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::vector<Received> out;
    auto end = std::chrono::steady_clock::now() + timeout;
    do {
      out.clear();
      std::ifstream in(m_dir / "received");
      std::string line;
      while (std::getline(in, line)) {
        std::istringstream fields(line);
        Received r;
        std::getline(fields, r.summary, '\t');
        std::getline(fields, r.urgency, '\t');
        std::getline(fields, r.body);
        out.push_back(r);
      }
      if (out.size() >= n) return out;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < end);
    return out;
  }

  fs::path m_dir;
  int m_display = -1;
  std::string m_bus;
  pid_t m_xvfb = -1, m_dbus = -1, m_dunst = -1;
  std::unique_ptr<notify::SessionBusServer> m_server;
};

TEST_F(NotifyTest, NewWatcherReachesDunstWithProgramProductAndUrgency) {
  notify::Notifier n(*m_server, {});
  auto t = notify::Notifier::Clock::now();
  ASSERT_TRUE(n.on_watcher(given_watcher("logkeys", "high", "teramind"), t));
  ASSERT_TRUE(n.on_watcher(given_watcher("arecord", "medium"), t));
  auto low = given_watcher("xinput", "low");
  low["category"] = "screen";
  ASSERT_TRUE(n.on_watcher(low, t));
  n.flush(t);
  EXPECT_EQ(n.failed(), 0U);
  auto got = received(3);
  ASSERT_EQ(got.size(), 3U);
  // dunst runs its scripts concurrently: put them back in the order sent.
  auto rank = [](const Received& r) { return r.summary.starts_with("logkeys") ? 0 : r.summary.starts_with("arecord") ? 1 : 2; };
  std::sort(got.begin(), got.end(), [&](const Received& a, const Received& b) { return rank(a) < rank(b); });
  EXPECT_EQ(got[0].summary, "logkeys (teramind) can capture your keystrokes");
  EXPECT_EQ(got[0].urgency, "CRITICAL");
  EXPECT_NE(got[0].body.find("Program: /usr/bin/logkeys (pid 4242, user alice)"), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find("Product: teramind"), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find("&lt;AT keyboard&gt;"), std::string::npos) << "markup not escaped: " << got[0].body;
  EXPECT_EQ(got[1].urgency, "NORMAL");
  EXPECT_EQ(got[2].urgency, "LOW");
  EXPECT_EQ(got[2].summary, "xinput can capture your screen");
}

TEST_F(NotifyTest, StormOfFiftyIsOneSummaryNotification) {
  notify::Notifier n(*m_server, {});
  auto t = notify::Notifier::Clock::now();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(n.on_watcher(given_watcher("spy" + std::to_string(i), i == 7 ? "critical" : "low"), t));
  n.tick(t + 1s);
  auto got = received(1);
  std::this_thread::sleep_for(300ms);  // anything more would have arrived by now
  got = received(1, 0ms);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].summary, "50 new watchers: spy0, spy1, spy2, ...");
  EXPECT_EQ(got[0].urgency, "CRITICAL") << "the most severe sets the urgency";
  EXPECT_NE(got[0].body.find("and 42 more"), std::string::npos) << got[0].body;
}

// `sousveil notify` as a process: the test plays the agent's socket (the
// protocol's subscribe reply, then watcher pushes), dunst is real.
TEST_F(NotifyTest, SousveilNotifySubscribesAndPosts) {
  auto socket_path = m_dir / "agent.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  std::ofstream(m_dir / "sousveil.conf") << "notify:\n  min_severity: medium\n";
  pid_t cli = spawn({SOUSVEIL_CLI, "notify", "--socket", socket_path.string(), "--config",
                     (m_dir / "sousveil.conf").string()});
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  std::string request;
  char c;
  while (::read(conn, &c, 1) == 1 && c != '\n') request += c;
  auto req = nlohmann::json::parse(request);
  EXPECT_EQ(req["method"], "subscribe");
  EXPECT_EQ(req["params"]["topics"], nlohmann::json::array({"watcher"}));
  std::string out = nlohmann::json({{"v", 1}, {"id", req["id"]}, {"ok", true},
                                    {"result", {{"topics", {"watcher"}}}}}).dump() + "\n";
  auto low = given_watcher("quiet", "low");
  out += nlohmann::json({{"v", 1}, {"event", "watcher"}, {"data", low}}).dump() + "\n";
  out += nlohmann::json({{"v", 1}, {"event", "watcher"}, {"data", given_watcher("ffmpeg", "high", "hubstaff")}}).dump() + "\n";
  ASSERT_EQ(::write(conn, out.data(), out.size()), static_cast<ssize_t>(out.size()));
  auto got = received(1);
  ::kill(cli, SIGTERM);
  int st = wait_child(cli);
  ::close(conn);
  ::close(listener);
  ASSERT_EQ(got.size(), 1U) << "below min_severity must not notify";
  EXPECT_EQ(got[0].summary, "ffmpeg (hubstaff) can capture your keystrokes");
  EXPECT_EQ(got[0].urgency, "CRITICAL");
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

}  // namespace
}  // namespace sousveil::testing
