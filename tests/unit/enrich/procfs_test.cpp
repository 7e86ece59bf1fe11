// SPDX-License-Identifier: Apache-2.0
#include "enrich/procfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/fake_proc.h"

namespace sousveil {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing_support::FakeProc;
using testing_support::FakeProcess;

// --- parse_proc_stat ----------------------------------------------------------------------------

constexpr const char* kTail = " 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1234567 300 0 0\n";

TEST(ParseProcStat, ReadsTheFieldsItNeeds) {
  auto st = parse_proc_stat(std::string("1234 (bash) S 77 1234 1234 34817 -1") + kTail);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->pid, 1234U);
  EXPECT_EQ(st->comm, "bash");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 77U);
  EXPECT_EQ(st->tty_nr, 34817U);
  EXPECT_EQ(st->start_ticks, 98765U);
}

TEST(ParseProcStat, TakesACommWithSpacesAndParentheses) {
  auto st = parse_proc_stat(std::string("1234 (a) b) c) R 1 1 1 0 -1") + kTail);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->pid, 1234U);
  EXPECT_EQ(st->comm, "a) b) c");
  EXPECT_EQ(st->state, 'R');
  EXPECT_EQ(st->ppid, 1U);
  EXPECT_EQ(st->tty_nr, 0U);
  EXPECT_EQ(st->start_ticks, 98765U);
}

TEST(ParseProcStat, TakesACommThatLooksLikeFields) {
  auto st = parse_proc_stat(std::string("9 (x (y) Z 5 6) S 2 0 0 0 -1") + kTail);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->comm, "x (y) Z 5 6");
  EXPECT_EQ(st->ppid, 2U);
  EXPECT_EQ(st->start_ticks, 98765U);
}

TEST(ParseProcStat, TakesAnEmptyComm) {
  auto st = parse_proc_stat(std::string("9 () S 2 0 0 0 -1") + kTail);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->comm, "");
}

TEST(ParseProcStat, ReadsThisProcess) {
  std::ifstream in("/proc/self/stat");
  std::stringstream ss;
  ss << in.rdbuf();
  auto st = parse_proc_stat(ss.str());
  ASSERT_TRUE(st.ok()) << st.error().message;
  // /proc/self is whoever opened it: this process.
  EXPECT_EQ(st->pid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(st->ppid, static_cast<std::uint32_t>(getppid()));
  EXPECT_EQ(st->state, 'R');
  EXPECT_GT(st->start_ticks, 0U);
}

struct BadStatCase {
  const char* name;
  const char* text;
};

std::ostream& operator<<(std::ostream& os, const BadStatCase& c) { return os << c.name; }

class ParseProcStatRejects : public ::testing::TestWithParam<BadStatCase> {};

TEST_P(ParseProcStatRejects, Garbage) {
  auto st = parse_proc_stat(GetParam().text);
  EXPECT_FALSE(st.ok()) << "parsed pid " << st->pid;
}

const BadStatCase kBadStats[] = {
    {"Empty", ""},
    {"NoParentheses", "1234 bash S 1 1 1 0"},
    {"NoClosingParenthesis", "1234 (bash S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765"},
    {"ClosingBeforeOpening", "1234 )bash( S 1"},
    {"TruncatedAfterComm", "1234 (bash)"},
    {"TruncatedBeforeStartTime", "1234 (bash) S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0"},
    {"PidNotANumber", "12x4 (bash) S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1 2\n"},
    {"NoPid", "(bash) S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1 2\n"},
    {"PpidNotANumber", "1 (bash) S one 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1 2\n"},
    {"TtyNotANumber", "1 (bash) S 1 1 1 tty -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1 2\n"},
    {"StartTimeNotANumber", "1 (bash) S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 9x 1 2\n"},
    {"Binary", "\x01\x02\x03(\xff)\x00"},
};

INSTANTIATE_TEST_SUITE_P(Texts, ParseProcStatRejects, ::testing::ValuesIn(kBadStats),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ParseProcStat, RejectsEveryTruncationOfARealLine) {
  std::string full = std::string("1234 (a) b) S 77 1234 1234 34817 -1") + kTail;
  // Every cut before the first digit of starttime (field 22) lacks a field.
  auto before_start = full.find(" 98765") + 1;
  for (std::size_t n = 0; n <= before_start; ++n)
    EXPECT_FALSE(parse_proc_stat(full.substr(0, n)).ok()) << "'" << full.substr(0, n) << "'";
  auto whole = parse_proc_stat(full.substr(0, before_start + 5));
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->start_ticks, 98765U);
}

// --- unit_from_cgroup ---------------------------------------------------------------------------

struct CgroupCase {
  const char* name;
  const char* text;
  const char* unit;
};

std::ostream& operator<<(std::ostream& os, const CgroupCase& c) { return os << c.name; }

class UnitFromCgroup : public ::testing::TestWithParam<CgroupCase> {};

TEST_P(UnitFromCgroup, FindsTheInnermostUnit) {
  EXPECT_EQ(unit_from_cgroup(GetParam().text), GetParam().unit);
}

const CgroupCase kCgroups[] = {
    {"V2SessionScope", "0::/user.slice/user-1000.slice/session-2.scope\n", "session-2.scope"},
    {"V2Service", "0::/system.slice/sshd.service\n", "sshd.service"},
    {"V2NestedUserManager",
     "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope\n", "foo.scope"},
    {"V2UserManagerItself", "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n",
     "init.scope"},
    {"V2ServiceWithSubgroup", "0::/system.slice/docker.service/payload\n", "docker.service"},
    {"V2WithoutTrailingNewline", "0::/system.slice/cron.service", "cron.service"},
    {"V2Root", "0::/\n", ""},
    {"V2SlicesOnly", "0::/user.slice/user-1000.slice\n", ""},
    {"V1MultiLine",
     "12:pids:/user.slice/user-1000.slice/session-3.scope\n"
     "11:memory:/user.slice/user-1000.slice/session-3.scope\n"
     "4:cpu,cpuacct:/user.slice\n"
     "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n",
     "session-3.scope"},
    {"V1Service",
     "10:devices:/system.slice/cups.service\n"
     "1:name=systemd:/system.slice/cups.service\n",
     "cups.service"},
    {"HybridV2LineDecides",
     "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n"
     "0::/user.slice/user-1000.slice/session-3.scope\n",
     "session-3.scope"},
    {"Container", "0::/docker/0123456789abcdef\n", ""},
    {"Empty", "", ""},
    {"Garbage", "not a cgroup file\n\n:\n", ""},
    {"SuffixAlone", "0::/.scope/.service\n", ""},
};

INSTANTIATE_TEST_SUITE_P(Texts, UnitFromCgroup, ::testing::ValuesIn(kCgroups),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// --- split_nul, uids_from_status, ticks ---------------------------------------------------------

TEST(SplitNul, SplitsWithATrailingNul) {
  using namespace std::string_view_literals;
  EXPECT_THAT(split_nul("evtest\0--grab\0/dev/input/event3\0"sv),
              ElementsAre("evtest", "--grab", "/dev/input/event3"));
}

TEST(SplitNul, ToleratesAMissingTrailingNul) {
  using namespace std::string_view_literals;
  EXPECT_THAT(split_nul("sh\0-c\0echo hi"sv), ElementsAre("sh", "-c", "echo hi"));
}

TEST(SplitNul, KeepsEmptyArguments) {
  using namespace std::string_view_literals;
  EXPECT_THAT(split_nul("a\0\0b\0"sv), ElementsAre("a", "", "b"));
}

TEST(SplitNul, GivesNothingForNothing) { EXPECT_THAT(split_nul(""), IsEmpty()); }

TEST(SplitNul, OneArgumentWithoutNul) { EXPECT_THAT(split_nul("single"), ElementsAre("single")); }

TEST(UidsFromStatus, ReadsRealAndEffective) {
  auto ids = uids_from_status(
      "Name:\tsudo\nState:\tS\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n");
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->first, 1000U);
  EXPECT_EQ(ids->second, 0U);
}

TEST(UidsFromStatus, NoUidLineIsNoAnswer) {
  EXPECT_FALSE(uids_from_status("Name:\tx\nGid:\t0\t0\t0\t0\n").has_value());
  EXPECT_FALSE(uids_from_status("").has_value());
}

TEST(UidsFromStatus, GarbageAfterUidIsNoAnswer) {
  EXPECT_FALSE(uids_from_status("Name:\tx\nUid:\tabc\n").has_value());
  EXPECT_FALSE(uids_from_status("Name:\tx\nUid:\t5").has_value());
}

TEST(UidsFromStatus, DoesNotMistakeAnotherLineForUid) {
  EXPECT_FALSE(uids_from_status("Name:\tx\nNoUid:\t5\t5\n").has_value());
}

TEST(BootTicks, RoundTripsWholeTicks) {
  for (std::uint64_t ticks : {0ULL, 1ULL, 99ULL, 123456ULL, 1ULL << 40}) {
    EXPECT_EQ(boot_ns_to_ticks(ticks_to_boot_ns(ticks)), ticks);
  }
}

TEST(BootTicks, UsesTheClockTickRate) {
  const auto hz = static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK));
  ASSERT_GT(hz, 0U);
  EXPECT_EQ(ticks_to_boot_ns(hz), 1'000'000'000ULL);
  EXPECT_EQ(boot_ns_to_ticks(5'000'000'000ULL), 5 * hz);
}

TEST(BootTicks, TruncatesPartialTicksLikeTheKernel) {
  const auto one_tick = ticks_to_boot_ns(1);
  EXPECT_EQ(boot_ns_to_ticks(7 * one_tick + one_tick - 1), 7U);
  EXPECT_EQ(boot_ns_to_ticks(one_tick - 1), 0U);
}

// --- ProcFs over a fake tree ---------------------------------------------------------------------

class ProcFsTree : public ::testing::Test {
 protected:
  FakeProc m_proc;
  ProcFs m_procfs{m_proc.root()};
};

TEST_F(ProcFsTree, ListsOnlyNumericEntries) {
  m_proc.given_process({.pid = 1, .ppid = 0, .comm = "init"});
  m_proc.given_process({.pid = 4321, .comm = "evtest"});
  std::filesystem::create_directories(m_proc.root() / "sys");
  std::filesystem::create_directories(m_proc.root() / "12ab");
  FakeProc::write(m_proc.root() / "devices", "Character devices:\n");
  EXPECT_THAT(m_procfs.pids(), UnorderedElementsAre(1U, 4321U));
}

TEST_F(ProcFsTree, ListsNothingUnderAMissingRoot) {
  ProcFs gone(m_proc.root() / "missing");
  EXPECT_THAT(gone.pids(), IsEmpty());
  EXPECT_FALSE(gone.stat(1).ok());
}

TEST_F(ProcFsTree, ReadsAProcess) {
  m_proc.given_process({.pid = 4321,
                        .ppid = 77,
                        .comm = "my prog)",
                        .tty_nr = testing_support::encode_tty_nr(136, 3),
                        .start_ticks = 5555,
                        .exe = "/opt/bin/my prog",
                        .cmdline = {"my prog", "--watch", ""},
                        .uid = 1000,
                        .euid = 0,
                        .cgroup = "0::/user.slice/user-1000.slice/session-4.scope\n"});
  auto st = m_procfs.stat(4321);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->pid, 4321U);
  EXPECT_EQ(st->ppid, 77U);
  EXPECT_EQ(st->comm, "my prog)");
  EXPECT_EQ(st->tty_nr, testing_support::encode_tty_nr(136, 3));
  EXPECT_EQ(st->start_ticks, 5555U);
  EXPECT_EQ(m_procfs.exe(4321), "/opt/bin/my prog");
  EXPECT_THAT(m_procfs.cmdline(4321), ElementsAre("my prog", "--watch", ""));
  auto ids = m_procfs.uids(4321);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->first, 1000U);
  EXPECT_EQ(ids->second, 0U);
  EXPECT_EQ(m_procfs.unit(4321), "session-4.scope");
}

TEST_F(ProcFsTree, AGoneProcessGivesNothing) {
  auto st = m_procfs.stat(999);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("999"));
  EXPECT_FALSE(m_procfs.exe(999).has_value());
  EXPECT_THAT(m_procfs.cmdline(999), IsEmpty());
  EXPECT_FALSE(m_procfs.uids(999).has_value());
  EXPECT_EQ(m_procfs.unit(999), "");
  EXPECT_THAT(m_procfs.char_device_fds(999), IsEmpty());
}

TEST_F(ProcFsTree, AKernelThreadHasNoExeAndNoCmdline) {
  m_proc.given_process(
      {.pid = 2, .ppid = 0, .comm = "kthreadd", .exe = std::nullopt, .cmdline = {}});
  EXPECT_TRUE(m_procfs.stat(2).ok());
  EXPECT_FALSE(m_procfs.exe(2).has_value());
  EXPECT_THAT(m_procfs.cmdline(2), IsEmpty());
}

TEST_F(ProcFsTree, ReadsFilesRelativeToTheRoot) {
  FakeProc::write(m_proc.root() / "devices", "Character devices:\n 13 input\n");
  EXPECT_EQ(m_procfs.read_file("devices"), "Character devices:\n 13 input\n");
  EXPECT_FALSE(m_procfs.read_file("nothing-here").has_value());
}

TEST_F(ProcFsTree, ListsCharacterDeviceFds) {
  if (!testing_support::is_char_device("/dev/vcs1", 7, 1))
    GTEST_SKIP() << "/dev/vcs1 is not the character device 7:1 here";
  m_proc.given_process({.pid = 4321});
  m_proc.given_fd(4321, 3, "/dev/vcs1", "0100002");
  m_proc.given_fd(4321, 4, "/dev/null");
  FakeProc::write(m_proc.root() / "regular", "x");
  m_proc.given_fd(4321, 5, m_proc.root() / "regular", "0100000");  // not a device
  m_proc.given_fd(4321, 6, m_proc.root() / "dangling");            // target gone
  m_proc.given_fd(4321, 7, m_proc.root());                         // a directory

  auto fds = m_procfs.char_device_fds(4321);
  std::sort(fds.begin(), fds.end(), [](const FdEntry& a, const FdEntry& b) { return a.fd < b.fd; });
  ASSERT_EQ(fds.size(), 2U);

  EXPECT_EQ(fds[0].fd, 3);
  EXPECT_TRUE(fds[0].is_char_device);
  EXPECT_EQ(fds[0].target, "/dev/vcs1");
  EXPECT_EQ(fds[0].major, 7U);
  EXPECT_EQ(fds[0].minor, 1U);
  EXPECT_EQ(fds[0].flags, 0100002U);  // O_LARGEFILE | O_RDWR, from octal

  EXPECT_EQ(fds[1].fd, 4);
  EXPECT_TRUE(fds[1].is_char_device);
  EXPECT_EQ(fds[1].target, "/dev/null");
  EXPECT_EQ(fds[1].major, 1U);
  EXPECT_EQ(fds[1].minor, 3U);
  EXPECT_EQ(fds[1].flags, 0U);  // no fdinfo
}

TEST_F(ProcFsTree, IgnoresFdEntriesThatAreNotNumbers) {
  m_proc.given_process({.pid = 4321});
  std::filesystem::create_symlink("/dev/null", m_proc.dir(4321) / "fd" / "x1");
  EXPECT_THAT(m_procfs.char_device_fds(4321), IsEmpty());
}

TEST_F(ProcFsTree, ToleratesUnreadableFdinfoFlags) {
  m_proc.given_process({.pid = 4321});
  m_proc.given_fd(4321, 4, "/dev/null", "09zz");
  auto fds = m_procfs.char_device_fds(4321);
  ASSERT_EQ(fds.size(), 1U);
  EXPECT_EQ(fds[0].fd, 4);
}

TEST(ProcFsReal, ReadsThisProcessFromProc) {
  ProcFs procfs;
  auto self = static_cast<std::uint32_t>(getpid());
  auto st = procfs.stat(self);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->pid, self);
  auto exe = procfs.exe(self);
  ASSERT_TRUE(exe.has_value());
  EXPECT_THAT(*exe, ::testing::EndsWith("unit_tests"));
  EXPECT_THAT(procfs.cmdline(self), ::testing::Not(IsEmpty()));
  auto ids = procfs.uids(self);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->first, static_cast<std::uint32_t>(getuid()));
  EXPECT_EQ(ids->second, static_cast<std::uint32_t>(geteuid()));
}

}  // namespace
}  // namespace sousveil
