// SPDX-License-Identifier: Apache-2.0
// The posture scanner inside a real agent (real inotify, real rules and
// tracker), the real machine's posture, and the no-eBPF mode's inotify trigger.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "rules/defaults.h"
#include "sensors/posture/posture_scanner.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

class FixtureRoot {
 public:
  FixtureRoot() {
    std::string tmpl = ::testing::TempDir() + "sousveil-posture-root-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    m_root = tmpl;
    fs::create_directories(m_root / "etc");
  }
  ~FixtureRoot() {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  const fs::path& path() const { return m_root; }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((m_root / rel).parent_path());
    std::ofstream(m_root / rel, std::ios::trunc) << text;
  }

 private:
  fs::path m_root;
};

const PostureInfo* posture_of(const EnrichedEvent& e) { return std::get_if<PostureInfo>(&e.raw.payload); }

AgentOptions posture_only(const fs::path& root) {
  AgentOptions o;
  o.use_bpf = false;
  o.watch_devices = false;
  o.fallback_interval = std::chrono::seconds(60);
  o.posture_root = root;
  o.posture_interval = std::chrono::minutes(10);  // only inotify can be quick
  return o;
}

TEST(PostureAgentTest, LdSoPreloadWrittenAfterStartIsSeenAndItsRemovalEndsTheWatcher) {
  FixtureRoot root;
  AgentHarness agent(posture_only(root.path()));
  ASSERT_TRUE(agent.start().ok());
  auto st = agent.flush_and_status();
  auto sensor = std::find_if(st.sensors.begin(), st.sensors.end(), [](const auto& s) { return s.name == "posture"; });
  ASSERT_NE(sensor, st.sensors.end());
  EXPECT_EQ(sensor->state, SensorState::Running) << sensor->detail;
  EXPECT_NE(sensor->detail.find("watched directories"), std::string::npos) << sensor->detail;

  auto t0 = std::chrono::steady_clock::now();
  root.write("etc/ld.so.preload", "/usr/lib/x86_64-linux-gnu/libspy.so\n");
  auto is_preload = [](PostureState state) {
    return [state](const EnrichedEvent& e) {
      const auto* p = posture_of(e);
      return p && p->check == "ld-so-preload" && p->state == state;
    };
  };
  auto ev = agent.wait_for(is_preload(PostureState::New), std::chrono::seconds(5));
  ASSERT_TRUE(ev) << "no posture event after writing etc/ld.so.preload";
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ld.so.preload written -> posture event in %.1f ms\n", ms);
  const auto* p = posture_of(*ev);
  EXPECT_EQ(ev->raw.source, EventSource::Posture);
  EXPECT_EQ(p->subject, "/etc/ld.so.preload");
  EXPECT_NE(p->detail.find("/usr/lib/x86_64-linux-gnu/libspy.so"), std::string::npos) << p->detail;
  EXPECT_EQ(p->level, PostureLevel::Running);
  EXPECT_EQ(ev->process.pid, 0U) << "a file has no process behind it";

  auto fired = [&](const std::string& rule) {
    for (const auto& f : agent.sink().findings())
      if (f.rule_id == rule) return true;
    return false;
  };
  EXPECT_TRUE(fired("posture.ld-so-preload"));
  auto watcher_of = [&](track::Change change) -> std::optional<track::Watcher> {
    for (const auto& c : agent.sink().watcher_changes())
      if (c.change == change && c.watcher.finding.rule_id == "posture.ld-so-preload") return c.watcher;
    return std::nullopt;
  };
  ASSERT_TRUE(watcher_of(track::Change::New));

  fs::remove(root.path() / "etc/ld.so.preload");
  auto gone = agent.wait_for(is_preload(PostureState::Resolved), std::chrono::seconds(5));
  ASSERT_TRUE(gone) << "no resolved event after removing etc/ld.so.preload";
  EXPECT_EQ(posture_of(*gone)->subject, "/etc/ld.so.preload");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!watcher_of(track::Change::Ended) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto ended = watcher_of(track::Change::Ended);
  ASSERT_TRUE(ended) << "the watcher did not end when the file went away";
  EXPECT_EQ(ended->end_reason, "resolved");
}

TEST(PostureAgentTest, ADirectoryCreatedAfterStartIsWatchedToo) {
  FixtureRoot root;
  AgentHarness agent(posture_only(root.path()));
  ASSERT_TRUE(agent.start().ok());
  // sudoers.d does not exist at start: creating it triggers a rescan that
  // watches it; a file written into it later is seen through that watch.
  fs::create_directories(root.path() / "etc/sudoers.d");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  root.write("etc/sudoers.d/audit", "Defaults log_output\n");
  auto ev = agent.wait_for(
      [](const EnrichedEvent& e) {
        const auto* p = posture_of(e);
        return p && p->check == "sudo-io-log";
      },
      std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  EXPECT_EQ(posture_of(*ev)->subject, "/etc/sudoers.d/audit");
}

TEST(PostureRealMachine, ScanOfThisMachineRunsWithoutErrors) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to read every process's environment";
  auto cat = catalog::load_catalog({rules::shipped_rules_dir() / "products"});
  ASSERT_TRUE(cat.ok());
  posture::ScannerOptions o;
  o.root = "/";
  o.self_pid = static_cast<std::uint32_t>(getpid());
  posture::Scanner scanner(o, cat.catalog);
  auto t0 = std::chrono::steady_clock::now();
  auto r = scanner.scan();
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("posture of this machine: %zu findings, %llu files, %llu processes, %.1f ms\n", r.findings.size(),
              static_cast<unsigned long long>(r.files_read), static_cast<unsigned long long>(r.processes_read), ms);
  for (const auto& f : r.findings) std::printf("  %s %s: %s\n", f.check.c_str(), f.subject.c_str(), f.detail.c_str());
  for (const auto& e : r.errors) {
    std::printf("  could not read %s\n", e.text().c_str());
    // Every file reads and parses. Only a process's environment may be
    // refused even to root (a sandbox's init here), and that is named.
    EXPECT_EQ(e.path, "/proc/*/environ") << e.text();
    EXPECT_NE(e.message.find("first: pid "), std::string::npos) << e.text();
  }
  EXPECT_GT(r.files_read, 5U) << "passwd, pam.d, dpkg status... were read";
  EXPECT_GT(r.processes_read, 1U);
  EXPECT_FALSE(scanner.watch_paths().empty());
}

TEST(PostureCli, ScanPrintsFindingsOfARootAsJson) {
  FixtureRoot root;
  root.write("etc/pam.d/sshd", "session required pam_tty_audit.so enable=* log_passwd\n");
  root.write("etc/opt/chrome/policies/managed/bad.json", "{not json");
  auto r = testing::run_capture({SOUSVEIL_CLI, "scan", "--root", root.path().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line = r.out.substr(0, r.out.find('\n'));
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["kind"], "posture");
  EXPECT_EQ(j["posture"]["check"], "pam-tty-audit");
  EXPECT_EQ(j["posture"]["subject"], "/etc/pam.d/sshd");
  EXPECT_EQ(j["posture"]["level"], "installed");
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_EQ(j["findings"][0]["rule"], "session-recording.pam-tty-audit-passwords");
  EXPECT_NE(r.err.find("/etc/opt/chrome/policies/managed/bad.json: not valid JSON"), std::string::npos) << r.err;
}

TEST(FallbackInotifyTest, AnOpenOfVcsIsReportedAtOnceWithItsHolder) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to open /dev/vcs and read other processes' fds";
  if (!fs::exists("/dev/vcs")) GTEST_SKIP() << "no /dev/vcs on this machine";
  AgentOptions options;
  options.use_bpf = false;
  options.use_user_sensors = false;
  // The periodic scan cannot be what finds it within the test's wait.
  options.fallback_interval = std::chrono::seconds(30);
  AgentHarness agent(options);
  ASSERT_TRUE(agent.start().ok());
  auto st = agent.flush_and_status();
  auto watch = std::find_if(st.sensors.begin(), st.sensors.end(), [](const auto& s) { return s.name == "device-watch"; });
  ASSERT_NE(watch, st.sensors.end());
  ASSERT_EQ(watch->state, SensorState::Running) << watch->detail;
  EXPECT_EQ(st.mode, "fallback");

  auto t0 = std::chrono::steady_clock::now();
  pid_t holder = spawn({"/usr/bin/sleep", "30"}, [] { testing::hold_open_at("/dev/vcs", 9); });
  auto ev = agent.wait_for(
      [holder](const EnrichedEvent& e) {
        return e.raw.kind == EventKind::DeviceHeld && e.process.pid == static_cast<std::uint32_t>(holder);
      },
      std::chrono::seconds(3));
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  kill(holder, SIGKILL);
  wait_child(holder);
  ASSERT_TRUE(ev) << "no event for pid " << holder << " within 3 s (the periodic scan runs every 30 s)";
  std::printf("open of /dev/vcs -> device_held via inotify in %.1f ms\n", ms);
  EXPECT_EQ(ev->raw.source, EventSource::Inotify);
  EXPECT_EQ(ev->raw.device().device_class, DeviceClass::Vcs);
  EXPECT_EQ(ev->raw.device().fd, 9);
  EXPECT_EQ(ev->process.exe, "/usr/bin/sleep");
}

}  // namespace
}  // namespace sousveil
