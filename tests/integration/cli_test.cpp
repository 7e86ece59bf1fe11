// SPDX-License-Identifier: Apache-2.0
// The sousveil command as a person runs it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness.h"

namespace sousveil {
namespace {

using testing::run_capture;

const nlohmann::json& sensor(const nlohmann::json& status, const std::string& name) {
  for (const auto& s : status["sensors"])
    if (s["name"] == name) return s;
  static const nlohmann::json none = {{"name", ""}, {"state", "absent"}, {"detail", ""}};
  return none;
}

// A running `sousveil events`, read line by line.
class EventsProcess {
 public:
  explicit EventsProcess(std::vector<std::string> argv) {
    int out[2], err[2];
    EXPECT_EQ(pipe(out), 0);
    EXPECT_EQ(pipe(err), 0);
    m_pid = fork();
    if (m_pid == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    m_out = out[0];
    m_err = err[0];
  }
  ~EventsProcess() {
    stop();
    close(m_out);
    close(m_err);
  }

  // Reads lines from fd until one contains needle; false on timeout.
  bool wait_line(bool from_stderr, const std::function<bool(const std::string&)>& match,
                 std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    int fd = from_stderr ? m_err : m_out;
    std::string& buf = from_stderr ? m_err_buf : m_out_buf;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (match(line)) return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      // Both pipes are drained: a full stdout (a large start-up inventory) would
      // stall the program before it writes the stderr line waited for.
      pollfd p[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};
      if (poll(p, 2, static_cast<int>(left.count())) <= 0) return false;
      for (auto& one : p) {
        if (!(one.revents & (POLLIN | POLLHUP))) continue;
        char chunk[4096];
        ssize_t n = read(one.fd, chunk, sizeof(chunk));
        if (n <= 0) {
          if (one.fd == fd) return false;
          continue;
        }
        (one.fd == m_out ? m_out_buf : m_err_buf).append(chunk, static_cast<std::size_t>(n));
      }
    }
  }

  void hangup() { kill(m_pid, SIGHUP); }

  int stop() {
    if (m_pid <= 0) return m_status;
    kill(m_pid, SIGTERM);
    m_status = testing::wait_child(m_pid);
    m_pid = -1;
    return m_status;
  }

 private:
  pid_t m_pid = -1;
  int m_out = -1;
  int m_err = -1;
  int m_status = -1;
  std::string m_out_buf;
  std::string m_err_buf;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
  }
};

TEST_F(CliTest, EventsPrintsOneJsonLinePerDeviceOpen) {
  EventsProcess events({SOUSVEIL_CLI, "events"});
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("watching") != std::string::npos; }))
      << "sousveil events never said it was watching";
  pid_t head = testing::spawn({"/usr/bin/head", "-c", "100", "/dev/vcs"});
  testing::wait_child(head);

  nlohmann::json found;
  bool ok = events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "not JSON: " << line;
      return false;
    }
    if (j.value("kind", "") == "device_open" && j["process"]["pid"] == head) {
      found = j;
      return true;
    }
    return false;
  });
  ASSERT_TRUE(ok) << "no JSON line for head (pid " << head << ")";
  EXPECT_EQ(found["device"]["class"], "vcs");
  EXPECT_EQ(found["device"]["major"], 7);
  EXPECT_EQ(found["device"]["minor"], 0);
  EXPECT_EQ(found["device"]["path"], "/dev/vcs");
  EXPECT_EQ(found["access"]["mode"], "read");
  EXPECT_EQ(found["result"], "ok");
  EXPECT_EQ(found["source"], "ebpf");
  EXPECT_EQ(found["process"]["exe"], "/usr/bin/head");
  EXPECT_EQ(found["process"]["user"], "root");
  EXPECT_TRUE(found["process"]["cmdline"].is_array());
  EXPECT_TRUE(found["process"]["ancestry"].is_array());
  EXPECT_TRUE(found["time"].get<std::string>().ends_with("Z"));
  int status = events.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
}

TEST_F(CliTest, AProgramThatRenamesItselfToInvalidUtf8IsStillReported) {
  // A watched program controls its own name; it must not be able to stop the
  // monitor with bytes that are not UTF-8.
  EventsProcess events({SOUSVEIL_CLI, "events"});
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("watching") != std::string::npos; }));
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NAME, "\xff\xfe-spy", 0, 0, 0);
    close(open("/dev/vcs", O_RDONLY));
    _exit(0);
  }
  testing::wait_child(child);
  nlohmann::json found;
  ASSERT_TRUE(events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("kind", "") == "device_open" && j["process"]["pid"] == child) found = j;
    return !found.is_null();
  })) << "no event for the renamed process";
  EXPECT_EQ(found["process"]["comm"], "\xEF\xBF\xBD\xEF\xBF\xBD-spy");
  // Still alive and still reporting.
  pid_t head = testing::spawn({"/usr/bin/head", "-c", "1", "/dev/vcs"});
  testing::wait_child(head);
  EXPECT_TRUE(events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    return !j.is_discarded() && j.value("kind", "") == "device_open" && j["process"]["pid"] == head;
  }));
  int status = events.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
}

// A copy of the shipped rules the test may break and mend.
class RulesDir {
 public:
  RulesDir() : m_dir(std::filesystem::temp_directory_path() / ("sv-rules-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
    for (const auto& e : std::filesystem::directory_iterator(SOUSVEIL_RULES_DIR))
      if (e.path().extension() == ".yaml") std::filesystem::copy_file(e.path(), m_dir / e.path().filename());
  }
  ~RulesDir() { std::filesystem::remove_all(m_dir); }
  const std::filesystem::path& path() const { return m_dir; }
  void write(const std::string& name, const std::string& text) { std::ofstream(m_dir / name) << text; }

 private:
  std::filesystem::path m_dir;
};

bool is_watcher(const nlohmann::json& j, const char* change, pid_t pid) {
  return j.value("kind", "") == "watcher" && j.value("change", "") == change && j["process"]["pid"] == pid;
}

TEST_F(CliTest, EventsCarryFindingsAndWatchersAppearAndEnd) {
  EventsProcess events({SOUSVEIL_CLI, "events"});
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("watching") != std::string::npos; }));
  pid_t head = testing::spawn({"/usr/bin/head", "-c", "100", "/dev/vcs"});
  testing::wait_child(head);
  nlohmann::json event, created, ended;
  ASSERT_TRUE(events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return false;
    if (j.value("kind", "") == "device_open" && j["process"]["pid"] == head) event = j;
    if (is_watcher(j, "new", head)) created = j;
    if (is_watcher(j, "ended", head)) ended = j;
    return !event.is_null() && !created.is_null() && !ended.is_null();
  })) << "missing event, new watcher or ended watcher for head";
  ASSERT_TRUE(event.contains("findings"));
  EXPECT_EQ(event["findings"][0]["rule"], "screen.console-text-read");
  EXPECT_EQ(event["findings"][0]["category"], "screen");
  EXPECT_NE(event["findings"][0]["explanation"].get<std::string>().find("/dev/vcs"), std::string::npos);
  EXPECT_EQ(created["finding"]["rule"], "screen.console-text-read");
  EXPECT_EQ(created["id"], ended["id"]);
  EXPECT_EQ(ended["end_reason"], "process exited");
  EXPECT_EQ(ended["count"], 1);
}

TEST_F(CliTest, HangupReloadsRulesAndAFailedReloadKeepsThoseInForce) {
  RulesDir rules;
  EventsProcess events({SOUSVEIL_CLI, "events", "--rules", rules.path().string()});
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("watching") != std::string::npos; }));

  rules.write("zz-broken.yaml", "- rule: broken.one\n  title: x\n  kinds: [device_open]\n  match: {device.klass: vcs}\n");
  events.hangup();
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) {
    return l.find("rules not loaded") != std::string::npos && l.find("keeping the") != std::string::npos;
  })) << "a broken reload was not reported";
  // The old rules still fire.
  pid_t head = testing::spawn({"/usr/bin/head", "-c", "1", "/dev/vcs"});
  testing::wait_child(head);
  EXPECT_TRUE(events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    return !j.is_discarded() && j["process"]["pid"] == head && j.contains("findings");
  })) << "findings stopped after a failed reload";

  // Mended: a new local rule takes effect.
  std::filesystem::remove(rules.path() / "zz-broken.yaml");
  rules.write("zz-local.yaml",
              "- rule: local.tail-of-vcs\n  title: tail reads the console\n  kinds: [device_open]\n"
              "  match: {device.class: vcs, process.name: tail}\n  severity: low\n  category: screen\n"
              "  explain: \"{process.name} read {device.path}\"\n");
  events.hangup();
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("rules loaded") != std::string::npos; }));
  pid_t tail = testing::spawn({"/usr/bin/tail", "-c", "1", "/dev/vcs"});
  testing::wait_child(tail);
  nlohmann::json found;
  EXPECT_TRUE(events.wait_line(false, [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j["process"]["pid"] != tail || !j.contains("findings")) return false;
    for (const auto& f : j["findings"])
      if (f["rule"] == "local.tail-of-vcs") found = f;
    return !found.is_null();
  })) << "the reloaded rule did not fire";
  EXPECT_EQ(found["explanation"], "tail read /dev/vcs");
}

TEST_F(CliTest, RecordedEventsReplayThroughTheRulesToTheSameFindings) {
  // Record: the JSON lines `sousveil events` prints, while a program reads the console.
  auto recording = std::filesystem::temp_directory_path() / ("sv-recording-" + std::to_string(getpid()) + ".jsonl");
  EventsProcess events({SOUSVEIL_CLI, "events"});
  ASSERT_TRUE(events.wait_line(true, [](const std::string& l) { return l.find("watching") != std::string::npos; }));
  pid_t head = testing::spawn({"/usr/bin/head", "-c", "10", "/dev/vcs"});
  testing::wait_child(head);
  {
    std::ofstream out(recording);
    ASSERT_TRUE(events.wait_line(false, [&](const std::string& line) {
      out << line << "\n";
      auto j = nlohmann::json::parse(line, nullptr, false);
      return !j.is_discarded() && j.value("kind", "") == "device_open" && j["process"]["pid"] == head;
    }));
  }
  events.stop();

  // Replay: the same rule fires on the recorded event, with the same explanation.
  auto r = run_capture({SOUSVEIL_CLI, "rules", "test", "--events", recording.string()});
  std::filesystem::remove(recording);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool found = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j["rule"] == "screen.console-text-read" &&
        j["explanation"].get<std::string>().find("head (/usr/bin/head) opened /dev/vcs") != std::string::npos)
      found = true;
  }
  EXPECT_TRUE(found) << r.out;
  EXPECT_NE(r.err.find("findings"), std::string::npos) << r.err;
}

TEST(CliRulesTest, CheckReportsFileLineAndColumnAndExitsNonZero) {
  auto dir = std::filesystem::temp_directory_path() / ("sv-badrule-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "- rule: x.y\n  title: t\n  kinds: [device_open]\n"
                                     "  match: {device.klass: vcs}\n";
  auto r = run_capture({SOUSVEIL_CLI, "rules", "check", dir.string()});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:4:11: unknown field 'device.klass'; did you mean 'device.class'?"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("^"), std::string::npos) << "no caret under the column: " << r.err;
}

TEST(CliRulesTest, ShippedRulesCheckCleanWithTheirExamples) {
  auto r = run_capture({SOUSVEIL_CLI, "rules", "check", SOUSVEIL_RULES_DIR});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("examples pass"), std::string::npos) << r.out;
}

TEST_F(CliTest, StatusJsonShowsSensorsAndLossCountersPerCategory) {
  auto r = run_capture({SOUSVEIL_CLI, "status", "--json", "--duration", "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "ebpf");
  EXPECT_EQ(sensor(j, "ebpf")["state"], "running");
  EXPECT_EQ(sensor(j, "rules")["state"], "running") << sensor(j, "rules")["detail"];
  EXPECT_GT(j["rules"]["loaded"].get<int>(), 0);
  for (const char* category : {"device", "process", "snapshot"}) {
    ASSERT_TRUE(j["events"].contains(category)) << category;
    EXPECT_TRUE(j["events"][category]["lost"].is_number_unsigned()) << category;
    EXPECT_TRUE(j["events"][category]["seen"].is_number_unsigned()) << category;
  }
  EXPECT_EQ(j["events"]["lost_total"], 0);
  EXPECT_GT(j["kernel_filter"]["opens_seen"].get<std::uint64_t>(), 0U);
}

TEST_F(CliTest, StatusTextNamesTheLossColumn) {
  auto r = run_capture({SOUSVEIL_CLI, "status", "--duration", "0.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lost"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ebpf"), std::string::npos) << r.out;
}

TEST(CliBadInputTest, UnknownFlagIsOneSentenceAndExitTwo) {
  auto r = run_capture({SOUSVEIL_CLI, "events", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliBadInputTest, NoCommandAndUnknownCommandExitTwo) {
  EXPECT_EQ(run_capture({SOUSVEIL_CLI}).exit_code, 2);
  auto r = run_capture({SOUSVEIL_CLI, "watch-everything"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("watch-everything"), std::string::npos);
}

TEST(CliBadInputTest, DaemonRejectsUnknownFlag) {
  auto r = run_capture({SOUSVEILD, "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
}

TEST(CliPrivilegeTest, WithoutRootItSaysWhyAndFallsBack) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
  // The build tree may sit where another user cannot reach it (a clone under
  // /root): run a copy of the binary and the rules from a directory anyone can read.
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("sv-nobody-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(SOUSVEIL_CLI, dir / "sousveil");
  fs::copy(SOUSVEIL_RULES_DIR, dir / "rules", fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dir))
    fs::permissions(e.path(), e.is_directory() || e.path().filename() == "sousveil" ? fs::perms(0755) : fs::perms(0644));
  fs::permissions(dir, fs::perms(0755));
  const std::string cli = (dir / "sousveil").string();
  const std::string rules_env = "SOUSVEIL_RULES_DIR=" + (dir / "rules").string();
  int out[2], err[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(err), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
    char* const env[] = {const_cast<char*>(rules_env.c_str()), nullptr};
    execle(cli.c_str(), cli.c_str(), "status", "--json", "--duration", "0.3", nullptr, env);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::string o, e;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) o.append(buf, static_cast<std::size_t>(n));
  while ((n = read(err[0], buf, sizeof buf)) > 0) e.append(buf, static_cast<std::size_t>(n));
  close(out[0]);
  close(err[0]);
  int status = testing::wait_child(pid);
  fs::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << e;
  auto j = nlohmann::json::parse(o);
  EXPECT_EQ(j["mode"], "fallback");
  EXPECT_EQ(j["fidelity"], "low");
  EXPECT_EQ(sensor(j, "ebpf")["state"], "failed");
  EXPECT_NE(sensor(j, "ebpf")["detail"].get<std::string>().find("root"), std::string::npos);
  // One summary line on stderr, no library noise.
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  EXPECT_NE(e.find("falling back"), std::string::npos) << e;
}

}  // namespace
}  // namespace sousveil
