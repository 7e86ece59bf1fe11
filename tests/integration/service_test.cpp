// SPDX-License-Identifier: Apache-2.0
// sousveild as systemd runs it: the real binary with NOTIFY_SOCKET and
// WATCHDOG_USEC pointing at a datagram socket the test owns. Readiness only
// after the sensors are up, the watchdog fed from the loop (and not when the
// process is stopped), reload with a bad config keeping the old one, stop.
// Also the unit file through systemd-analyze verify, and journald fields
// through the journal's native socket.
#include <fcntl.h>
#include <atomic>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace sousveil::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A bound unix datagram socket; each datagram is one message.
class DatagramSocket {
 public:
  explicit DatagramSocket(const fs::path& path) : m_path(path) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    fs::remove(path);
    m_ok = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int big = 4 << 20;
    if (m_ok) ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  ~DatagramSocket() {
    if (m_fd >= 0) ::close(m_fd);
    std::error_code ec;
    fs::remove(m_path, ec);
  }
  bool ok() const { return m_ok; }
  std::optional<std::string> receive(milliseconds timeout) {
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    std::string buf(256 * 1024, '\0');
    auto n = ::recv(m_fd, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  // Waits for a message containing `needle`; every message seen is appended to `seen`.
  std::optional<std::string> wait_for(const std::string& needle, milliseconds timeout,
                                      std::vector<std::string>* seen = nullptr) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
      auto m = receive(std::max(left, milliseconds(1)));
      if (!m) continue;
      if (seen) seen->push_back(*m);
      if (m->find(needle) != std::string::npos) return m;
    }
    return std::nullopt;
  }
  // Counts messages containing `needle` during `window`.
  int count(const std::string& needle, milliseconds window) {
    int n = 0;
    auto end = Clock::now() + window;
    while (Clock::now() < end) {
      auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
      auto m = receive(std::max(left, milliseconds(1)));
      if (m && m->find(needle) != std::string::npos) ++n;
    }
    return n;
  }

 private:
  fs::path m_path;
  int m_fd = -1;
  bool m_ok = false;
};

// Reads a datagram socket on its own thread, as journald would: a sender
// never waits on the test.
class Collector {
 public:
  explicit Collector(DatagramSocket& socket)
      : m_thread([this, &socket] {
          while (!m_stop) {
            if (auto m = socket.receive(milliseconds(50))) {
              std::lock_guard lock(m_mutex);
              m_seen.push_back(std::move(*m));
            }
          }
        }) {}
  ~Collector() {
    m_stop = true;
    m_thread.join();
  }
  std::optional<std::string> wait_for(const std::string& needle, milliseconds timeout) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      {
        std::lock_guard lock(m_mutex);
        for (const auto& m : m_seen)
          if (m.find(needle) != std::string::npos) return m;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return std::nullopt;
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

 private:
  std::mutex m_mutex;
  std::vector<std::string> m_seen;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "sv-service-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

struct Daemon {
  pid_t pid = -1;
  ~Daemon() {
    if (pid > 0) {
      ::kill(pid, SIGCONT);
      ::kill(pid, SIGKILL);
      wait_child(pid);
    }
  }
  int stop(int sig = SIGTERM) {
    ::kill(pid, sig);
    int st = wait_child(pid);
    pid = -1;
    return st;
  }
};

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  return spawn(argv, [env] {
    for (const auto& k : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "INVOCATION_ID"})
      ::unsetenv(k);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  });
}

TEST(Service, ReadyAfterSensorsWatchdogFedFromTheLoopAndStoppedWhenStopped) {
  if (auto why = missing_privilege(); !why.empty()) GTEST_SKIP() << why;
  auto dir = temp_dir();
  const std::string api = "api:\n  socket: " + (dir / "agent.sock").string() + "\nstore:\n  path: " +
                          (dir / "history.db").string() + "\n";
  write_file(dir / "sousveil.conf", api + "log:\n  level: info\nhousekeeping:\n  interval: 1s\n");
  DatagramSocket notify(dir / "notify.sock");
  ASSERT_TRUE(notify.ok());

  auto started = Clock::now();
  Daemon d;
  d.pid = spawn_daemon({SOUSVEILD, "--config", (dir / "sousveil.conf").string()},
                       {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}, {"WATCHDOG_USEC", "400000"}});
  std::vector<std::string> before;
  auto ready = notify.wait_for("READY=1", std::chrono::seconds(30), &before);
  ASSERT_TRUE(ready) << "no READY=1 within 30 s";
  auto to_ready = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  std::printf("[ figures ] sousveild start to READY=1: %lld ms\n", static_cast<long long>(to_ready.count()));
  // Ready means the kernel sensor is attached: the status line sent with it says so.
  EXPECT_NE(ready->find("STATUS=watching (ebpf)"), std::string::npos) << *ready;
  EXPECT_NE(ready->find("sensors up"), std::string::npos) << *ready;
  for (const auto& m : before) EXPECT_EQ(m.find("WATCHDOG=1"), std::string::npos) << "fed before ready: " << m;
  // The socket API is served where the config says.
  EXPECT_TRUE(fs::is_socket(dir / "agent.sock")) << "api.socket from the config not served";

  // 400 ms watchdog: fed every 200 ms, so about 7 in 1.5 s.
  int fed = notify.count("WATCHDOG=1", milliseconds(1500));
  EXPECT_GE(fed, 5) << "watchdog not fed at half the interval";
  EXPECT_LE(fed, 10);

  // A stopped loop feeds nothing: systemd would restart it.
  ASSERT_EQ(::kill(d.pid, SIGSTOP), 0);
  notify.count("WATCHDOG=1", milliseconds(100));  // what was already queued
  EXPECT_EQ(notify.count("WATCHDOG=1", milliseconds(1200)), 0) << "a stopped agent must not feed the watchdog";
  ASSERT_EQ(::kill(d.pid, SIGCONT), 0);
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", milliseconds(2000))) << "feeding did not resume after SIGCONT";

  // Reload with a bad config: RELOADING=1, then READY=1 again with the old
  // config in force and the error in STATUS.
  write_file(dir / "sousveil.conf", "log:\n  level: loud\n");  // line 2, column 10
  ASSERT_EQ(::kill(d.pid, SIGHUP), 0);
  EXPECT_TRUE(notify.wait_for("RELOADING=1", std::chrono::seconds(5)));
  auto again = notify.wait_for("READY=1", std::chrono::seconds(10));
  ASSERT_TRUE(again);
  EXPECT_NE(again->find("CONFIG RELOAD FAILED (old config in force)"), std::string::npos) << *again;
  EXPECT_NE(again->find("log.level: 'loud'"), std::string::npos) << *again;
  EXPECT_NE(again->find("sousveil.conf:2:10"), std::string::npos) << *again;
  // Still alive and fed.
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", milliseconds(2000)));

  // A good config again clears the error.
  write_file(dir / "sousveil.conf", api + "log:\n  level: warn\n");
  ASSERT_EQ(::kill(d.pid, SIGHUP), 0);
  auto fixed = notify.wait_for("READY=1", std::chrono::seconds(10));
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->find("CONFIG RELOAD FAILED"), std::string::npos) << *fixed;

  ::kill(d.pid, SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", std::chrono::seconds(10)));
  int st = wait_child(d.pid);
  d.pid = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
  fs::remove_all(dir);
}

TEST(Service, BadConfigAtStartExitsTwoAndSaysWhere) {
  auto dir = temp_dir();
  write_file(dir / "sousveil.conf", "api:\n  client_queue: many\n");
  DatagramSocket notify(dir / "notify.sock");
  ASSERT_TRUE(notify.ok());
  auto out = run_capture({"/usr/bin/env", "NOTIFY_SOCKET=" + (dir / "notify.sock").string(), SOUSVEILD, "--config",
                          (dir / "sousveil.conf").string()});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.err.find("sousveil.conf:2:17: api.client_queue: expected a whole number, not 'many'"),
            std::string::npos)
      << out.err;
  auto status = notify.receive(milliseconds(1000));
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("STATUS=bad configuration:"), std::string::npos) << *status;
  EXPECT_EQ(status->find("READY=1"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Service, ConfigCheckCommand) {
  auto ok = run_capture({SOUSVEIL_CLI, "config", "check", std::string(SOUSVEIL_SOURCE_DIR) + "/scripts/systemd/sousveil.conf"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(": ok"), std::string::npos);
  auto dir = temp_dir();
  write_file(dir / "bad.conf", "store:\n  max_bytes: lots\n");
  auto bad = run_capture({SOUSVEIL_CLI, "config", "check", (dir / "bad.conf").string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.conf:2:14: store.max_bytes: expected a size"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

// The unit, with its /usr/local paths pointed at this build, as systemd reads it.
TEST(Service, UnitFilesVerify) {
  if (::access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "systemd-analyze is not installed";
  auto dir = temp_dir();
  const std::string bin = fs::path(SOUSVEILD).parent_path().string();
  for (const char* unit : {"sousveild.service", "sousveil-notify.service"}) {
    std::ifstream in(std::string(SOUSVEIL_SOURCE_DIR) + "/scripts/systemd/" + unit);
    ASSERT_TRUE(in) << unit;
    std::stringstream text;
    text << in.rdbuf();
    write_file(dir / unit, std::regex_replace(text.str(), std::regex("/usr/local/bin"), bin));
  }
  auto out = run_capture({"/usr/bin/systemd-analyze", "verify", "--man=no", (dir / "sousveild.service").string()});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_EQ(out.err, "") << "systemd-analyze has warnings: " << out.err;
  // A user manager needs a runtime directory, as a logged-in user has.
  fs::create_directories(dir / "runtime");
  auto user = run_capture(
      {"/usr/bin/env", "XDG_RUNTIME_DIR=" + (dir / "runtime").string(), "/usr/bin/systemd-analyze", "--user", "verify", "--man=no", (dir / "sousveil-notify.service").string()});
  EXPECT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_EQ(user.err, "") << "systemd-analyze has warnings: " << user.err;
  fs::remove_all(dir);
}

// Under systemd the log and each finding go to journald with fields. The
// journal's native socket is a datagram socket: the test plays journald.
TEST(Service, JournalEntriesCarryRuleSeverityPidExe) {
  if (auto why = missing_privilege(); !why.empty()) GTEST_SKIP() << why;
  const fs::path journal_socket = "/run/systemd/journal/socket";
  if (fs::exists(journal_socket)) GTEST_SKIP() << "a real journald listens at " << journal_socket;
  fs::create_directories(journal_socket.parent_path());
  DatagramSocket journal_socket_bound(journal_socket);
  ASSERT_TRUE(journal_socket_bound.ok());
  Collector journal(journal_socket_bound);
  auto dir = temp_dir();
  DatagramSocket notify(dir / "notify.sock");
  write_file(dir / "sousveil.conf", "log:\n  level: info\napi:\n  socket: " + (dir / "agent.sock").string() +
                                        "\nstore:\n  path: " + (dir / "history.db").string() + "\n");
  Daemon d;
  d.pid = spawn_daemon({SOUSVEILD, "--config", (dir / "sousveil.conf").string()},
                       {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}, {"INVOCATION_ID", "0123456789abcdef"}});
  ASSERT_TRUE(notify.wait_for("READY=1", std::chrono::seconds(30)));
  auto sensor = journal.wait_for("SOUSVEIL_SENSOR=ebpf", std::chrono::seconds(5));
  auto seen = journal.seen();
  EXPECT_TRUE(sensor) << "no sensor entry among " << seen.size() << " journal entries";
  bool log_line = false;
  for (const auto& m : seen) log_line |= m.find("SYSLOG_IDENTIFIER=sousveild") != std::string::npos &&
                                         m.find("PRIORITY=") != std::string::npos;
  EXPECT_TRUE(log_line) << "log lines do not reach the journal with their priority";

  pid_t prog = spawn({SOUSVEIL_TIOCSTI});
  auto finding = journal.wait_for("SOUSVEIL_RULE=terminal.tiocsti-injection", std::chrono::seconds(10));
  wait_child(prog);
  ASSERT_TRUE(finding) << "no finding entry in the journal";
  EXPECT_NE(finding->find("SOUSVEIL_PID=" + std::to_string(prog)), std::string::npos) << *finding;
  EXPECT_NE(finding->find("SOUSVEIL_EXE=" + fs::canonical(SOUSVEIL_TIOCSTI).string()), std::string::npos) << *finding;
  EXPECT_NE(finding->find("SOUSVEIL_SEVERITY="), std::string::npos);
  EXPECT_NE(finding->find("MESSAGE_ID=5e1d0c3a6b2f4f0e9a7d2c4b8e6f1a01"), std::string::npos);
  auto watcher = journal.wait_for("SOUSVEIL_CHANGE=new", std::chrono::seconds(5));
  ASSERT_TRUE(watcher) << "no new-watcher entry in the journal";
  EXPECT_NE(watcher->find("SOUSVEIL_WATCHER_ID="), std::string::npos);
  EXPECT_EQ(d.stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sousveil::testing
