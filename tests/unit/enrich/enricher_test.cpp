// SPDX-License-Identifier: Apache-2.0
#include "enrich/enricher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fake_proc.h"

namespace sousveil {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing_support::FakeProc;
using testing_support::FakeProcess;

constexpr std::uint64_t kSecond = 1'000'000'000ULL;

class EnricherTest : public ::testing::Test {
 protected:
  // A process running now, as /proc shows it.
  void given_running(std::uint32_t pid, std::uint32_t ppid, std::string comm, std::string exe,
                     std::string cgroup = "0::/system.slice/fake.service\n") {
    FakeProcess p;
    p.pid = pid;
    p.ppid = ppid;
    p.comm = std::move(comm);
    p.start_ticks = start_of(pid);
    p.exe = exe;
    p.cmdline = {exe, "--arg"};
    p.cgroup = std::move(cgroup);
    m_proc.given_process(p);
  }

  static std::uint64_t start_of(std::uint32_t pid) { return 100 + pid; }

  // An event of pid as the kernel would report it.
  static RawEvent device_event_of(std::uint32_t pid, std::uint32_t ppid, std::uint32_t uid = 0) {
    RawEvent e;
    e.kind = EventKind::DeviceOpen;
    e.ts_boot_ns = 50 * kSecond;
    e.process.pid = pid;
    e.process.tid = pid;
    e.process.ppid = ppid;
    e.process.uid = uid;
    e.process.euid = uid;
    e.process.start_boot_ns = ticks_to_boot_ns(start_of(pid));
    e.process.comm = "comm" + std::to_string(pid);
    e.payload = DeviceAccess{};
    return e;
  }

  static RawEvent exec_event_of(std::uint32_t pid, std::uint32_t ppid, std::string filename,
                                std::vector<std::string> args) {
    auto e = device_event_of(pid, ppid);
    e.kind = EventKind::ProcessExec;
    e.payload = ExecInfo{std::move(filename), std::move(args)};
    return e;
  }

  static RawEvent fork_event_of(std::uint32_t pid, std::uint32_t ppid) {
    auto e = device_event_of(pid, ppid);
    e.kind = EventKind::ProcessFork;
    e.payload = ForkInfo{ppid};
    return e;
  }

  static RawEvent exit_event_of(std::uint32_t pid, std::uint64_t at_ns) {
    auto e = device_event_of(pid, 0);
    e.kind = EventKind::ProcessExit;
    e.ts_boot_ns = at_ns;
    e.payload = ExitInfo{0};
    return e;
  }

  FakeProc m_proc;
  ProcFs m_procfs{m_proc.root()};
  ProcessTable m_table;
  Enricher m_enricher{m_procfs, m_table};
};

TEST_F(EnricherTest, IdentifiesALiveProcessFromProc) {
  given_running(1, 0, "systemd", "/usr/lib/systemd/systemd", "0::/init.scope\n");
  given_running(200, 1, "sshd", "/usr/sbin/sshd", "0::/system.slice/sshd.service\n");
  given_running(300, 200, "evtest", "/usr/bin/evtest",
                "0::/user.slice/user-0.slice/session-9.scope\n");

  auto info = m_enricher.identify(device_event_of(300, 200));

  EXPECT_EQ(info.pid, 300U);
  EXPECT_EQ(info.ppid, 200U);
  EXPECT_EQ(info.comm, "comm300");  // what the kernel said at the time
  EXPECT_EQ(info.start_ticks, start_of(300));
  EXPECT_EQ(info.exe, "/usr/bin/evtest");
  EXPECT_THAT(info.cmdline, ElementsAre("/usr/bin/evtest", "--arg"));
  EXPECT_EQ(info.unit, "session-9.scope");
  EXPECT_EQ(info.uid, 0U);
  EXPECT_EQ(info.user, "root");
  EXPECT_FALSE(info.exited);
  ASSERT_EQ(info.ancestry.size(), 2U);
  EXPECT_EQ(info.ancestry[0].pid, 200U);
  EXPECT_EQ(info.ancestry[0].comm, "sshd");
  EXPECT_EQ(info.ancestry[0].exe, "/usr/sbin/sshd");
  EXPECT_EQ(info.ancestry[1].pid, 1U);
  EXPECT_EQ(info.ancestry[1].exe, "/usr/lib/systemd/systemd");
  EXPECT_EQ(m_enricher.stats().proc_gone, 0U);
}

TEST_F(EnricherTest, TakesThePpidFromProcWhenTheEventHasNone) {
  given_running(1, 0, "systemd", "/usr/lib/systemd/systemd");
  given_running(300, 1, "evtest", "/usr/bin/evtest");
  auto info = m_enricher.identify(device_event_of(300, 0));
  EXPECT_EQ(info.ppid, 1U);
  ASSERT_EQ(info.ancestry.size(), 1U);
  EXPECT_EQ(info.ancestry[0].pid, 1U);
}

TEST_F(EnricherTest, AncestryStopsAtAParentThatIsGone) {
  given_running(300, 250, "orphan", "/usr/bin/orphan");
  auto info = m_enricher.identify(device_event_of(300, 250));
  EXPECT_EQ(info.exe, "/usr/bin/orphan");
  EXPECT_THAT(info.ancestry, IsEmpty());
}

TEST_F(EnricherTest, AncestryIsBounded) {
  // A chain deeper than kMaxAncestry, and a loop for good measure.
  for (std::uint32_t pid = 10; pid < 30; ++pid) given_running(pid, pid + 1, "p", "/p");
  given_running(30, 10, "p", "/p");
  auto info = m_enricher.identify(device_event_of(10, 11));
  EXPECT_EQ(info.ancestry.size(), static_cast<std::size_t>(Enricher::kMaxAncestry));
}

TEST_F(EnricherTest, AShortLivedChildRunsInItsParentsUnit) {
  given_running(200, 0, "sshd", "/usr/sbin/sshd", "0::/system.slice/sshd.service\n");
  m_enricher.observe(exec_event_of(300, 200, "/usr/bin/cat", {"cat"}));
  auto info = m_enricher.identify(device_event_of(300, 200));
  EXPECT_EQ(info.unit, "sshd.service");
}

TEST_F(EnricherTest, NamesTheUserOfTheEvent) {
  given_running(300, 0, "x", "/x");
  EXPECT_EQ(m_enricher.identify(device_event_of(300, 0, 0)).user, "root");
  // A uid nobody has: no name, the number stays in uid.
  auto info = m_enricher.identify(device_event_of(300, 0, 3'999'999));
  EXPECT_EQ(info.user, "");
  EXPECT_EQ(info.uid, 3'999'999U);
}

TEST_F(EnricherTest, AProcessGoneFromProcIsKnownByItsExec) {
  m_enricher.observe(exec_event_of(300, 200, "/usr/bin/evtest", {"evtest", "/dev/input/event3"}));

  auto info = m_enricher.identify(device_event_of(300, 200));

  EXPECT_EQ(info.exe, "/usr/bin/evtest");
  EXPECT_THAT(info.cmdline, ElementsAre("evtest", "/dev/input/event3"));
  EXPECT_EQ(m_enricher.stats().proc_gone, 0U);  // the table knew it
}

TEST_F(EnricherTest, AProcessGoneFromProcIsMarkedExited) {
  // Known from exec alone, gone from /proc: exited, before its exit event.
  m_enricher.observe(exec_event_of(300, 200, "/usr/bin/evtest", {"evtest"}));
  auto info = m_enricher.identify(device_event_of(300, 200));
  EXPECT_TRUE(info.exited);
}

TEST_F(EnricherTest, AProcessWhoseExitWasSeenIsExited) {
  m_enricher.observe(exec_event_of(300, 200, "/usr/bin/evtest", {"evtest"}));
  m_enricher.observe(exit_event_of(300, 51 * kSecond));

  auto info = m_enricher.identify(device_event_of(300, 200));

  EXPECT_TRUE(info.exited);
  EXPECT_EQ(info.exe, "/usr/bin/evtest");
  const auto* rec = m_table.find({300, start_of(300)});
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->exited_at_ns, 51 * kSecond);
}

TEST_F(EnricherTest, AProcessNeverSeenAndGoneIsExited) {
  auto info = m_enricher.identify(device_event_of(300, 0));
  EXPECT_TRUE(info.exited);
  EXPECT_EQ(info.exe, "");
  EXPECT_EQ(info.comm, "comm300");
  EXPECT_EQ(m_enricher.stats().proc_gone, 1U);
}

TEST_F(EnricherTest, AProcessReadFromProcThatExitsIsNotExited) {
  // exited says the identity came from events only; this one was read.
  given_running(300, 0, "evtest", "/usr/bin/evtest");
  (void)m_enricher.identify(device_event_of(300, 0));
  m_proc.remove_process(300);
  m_enricher.observe(exit_event_of(300, 60 * kSecond));
  auto info = m_enricher.identify(device_event_of(300, 0));
  EXPECT_FALSE(info.exited);
  EXPECT_EQ(info.exe, "/usr/bin/evtest");
  EXPECT_TRUE(m_table.find({300, start_of(300)})->exited);
}

TEST_F(EnricherTest, ExecOverridesTheProgramOfALiveProcessUntilRead) {
  given_running(300, 0, "bash", "/usr/bin/bash");
  (void)m_enricher.identify(device_event_of(300, 0));
  // It execs; /proc (rewritten) shows the new program.
  m_proc.remove_process(300);
  given_running(300, 0, "python3", "/usr/bin/python3");
  m_enricher.observe(exec_event_of(300, 0, "/usr/bin/python3", {"python3", "x.py"}));
  auto info = m_enricher.identify(device_event_of(300, 0));
  EXPECT_EQ(info.exe, "/usr/bin/python3");
  EXPECT_THAT(info.cmdline, ElementsAre("/usr/bin/python3", "--arg"));  // read again from /proc
}

TEST_F(EnricherTest, AForkedChildGoneFromProcRunsItsParentsProgram) {
  given_running(200, 1, "bash", "/usr/bin/bash");
  (void)m_enricher.identify(device_event_of(200, 1));
  m_enricher.observe(fork_event_of(300, 200));
  auto info = m_enricher.identify(device_event_of(300, 200));
  EXPECT_EQ(info.exe, "/usr/bin/bash");
  EXPECT_FALSE(info.ancestry.empty());
  EXPECT_EQ(info.ancestry[0].pid, 200U);
}

TEST_F(EnricherTest, APidReusedInProcIsNotTakenForTheProcessOfTheEvent) {
  FakeProcess other;
  other.pid = 300;
  other.start_ticks = start_of(300) + 5000;  // a later process with the same pid
  other.exe = "/usr/bin/other";
  m_proc.given_process(other);
  auto info = m_enricher.identify(device_event_of(300, 0));
  EXPECT_NE(info.exe, "/usr/bin/other");
  EXPECT_TRUE(info.exited);
}

TEST_F(EnricherTest, SeedsTheTableFromProc) {
  given_running(1, 0, "systemd", "/usr/lib/systemd/systemd");
  given_running(200, 1, "sshd", "/usr/sbin/sshd");
  m_enricher.seed();
  EXPECT_EQ(m_enricher.stats().seeded, 2U);
  EXPECT_EQ(m_table.size(), 2U);
  const auto* sshd = m_table.find({200, start_of(200)});
  ASSERT_NE(sshd, nullptr);
  EXPECT_EQ(sshd->exe, "/usr/sbin/sshd");
  EXPECT_TRUE(sshd->from_proc);
}

TEST_F(EnricherTest, ObserveKeysProcessesByPidAndStart) {
  m_enricher.observe(exec_event_of(300, 1, "/usr/bin/a", {"a"}));
  EXPECT_NE(m_table.find({300, start_of(300)}), nullptr);
  m_enricher.observe(fork_event_of(301, 300));
  const auto* child = m_table.find({301, start_of(301)});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe, "/usr/bin/a");
  EXPECT_EQ(child->ppid, 300U);
}

}  // namespace
}  // namespace sousveil
