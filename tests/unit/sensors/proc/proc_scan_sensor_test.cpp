// SPDX-License-Identifier: Apache-2.0
#include "sensors/proc/proc_scan_sensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "support/fake_proc.h"

namespace sousveil {
namespace {

using ::testing::IsEmpty;
using testing_support::encode_tty_nr;
using testing_support::FakeProc;
using testing_support::FakeProcess;
using testing_support::is_char_device;

constexpr std::uint32_t kSelf = 555;
constexpr std::uint64_t kNow = 42'000'000'000ULL;

// A terminal device node this machine has, for the own-terminal cases.
struct Terminal {
  const char* path;
  std::uint32_t major;
  std::uint32_t minor;
};

std::optional<Terminal> a_terminal() {
  for (Terminal t : {Terminal{"/dev/tty0", 4, 0}, Terminal{"/dev/console", 5, 1}})
    if (is_char_device(t.path, t.major, t.minor)) return t;
  return std::nullopt;
}

class ProcScan : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_char_device("/dev/vcs1", 7, 1))
      GTEST_SKIP() << "/dev/vcs1 is not the character device 7:1 here";
  }

  void given_process(std::uint32_t pid, std::string comm, std::uint32_t tty_nr = 0) {
    FakeProcess p;
    p.pid = pid;
    p.ppid = 1;
    p.comm = std::move(comm);
    p.tty_nr = tty_nr;
    p.start_ticks = 1000 + pid;
    p.uid = 1000;
    p.euid = 1000;
    m_proc.given_process(p);
  }

  FakeProc m_proc;
  ProcFs m_procfs{m_proc.root()};
  DeviceClassTable m_table = DeviceClassTable::standard(std::nullopt);
  ProcScanSensor m_sensor{m_procfs, m_table, kSelf};
};

TEST_F(ProcScan, ReportsAHeldVirtualConsole) {
  given_process(4321, "screenreader");
  m_proc.given_fd(4321, 3, "/dev/vcs1", "0100000");
  m_proc.given_fd(4321, 4, "/dev/null", "0100002");

  auto events = m_sensor.scan(kNow);

  ASSERT_EQ(events.size(), 1U);
  const auto& ev = events[0];
  EXPECT_EQ(ev.kind, EventKind::DeviceHeld);
  EXPECT_EQ(ev.source, EventSource::ProcScan);
  EXPECT_EQ(ev.ts_boot_ns, kNow);
  EXPECT_EQ(ev.process.pid, 4321U);
  EXPECT_EQ(ev.process.tid, 4321U);
  EXPECT_EQ(ev.process.ppid, 1U);
  EXPECT_EQ(ev.process.comm, "screenreader");
  EXPECT_EQ(ev.process.start_boot_ns, ticks_to_boot_ns(1000 + 4321));
  EXPECT_EQ(ev.process.uid, 1000U);
  EXPECT_EQ(ev.process.euid, 1000U);
  const auto& d = ev.device();
  EXPECT_EQ(d.device_class, DeviceClass::Vcs);
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 1U);
  EXPECT_EQ(d.fd, 3);
  EXPECT_EQ(d.flags, 0100000U);
  EXPECT_EQ(d.path, "/dev/vcs1");
  EXPECT_EQ(d.name, "vcs1");
  EXPECT_EQ(d.err, 0);
}

TEST_F(ProcScan, ReportsAHoldingOnlyOnce) {
  given_process(4321, "screenreader");
  m_proc.given_fd(4321, 3, "/dev/vcs1");
  ASSERT_EQ(m_sensor.scan(kNow).size(), 1U);
  EXPECT_THAT(m_sensor.scan(kNow + 1), IsEmpty());
  EXPECT_THAT(m_sensor.scan(kNow + 2), IsEmpty());
}

TEST_F(ProcScan, ReportsAHoldingAgainAfterItWasClosed) {
  given_process(4321, "screenreader");
  m_proc.given_fd(4321, 3, "/dev/vcs1");
  ASSERT_EQ(m_sensor.scan(kNow).size(), 1U);

  m_proc.remove_fd(4321, 3);
  EXPECT_THAT(m_sensor.scan(kNow + 1), IsEmpty());

  m_proc.given_fd(4321, 3, "/dev/vcs1");
  auto again = m_sensor.scan(kNow + 2);
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].device().fd, 3);
  EXPECT_EQ(again[0].ts_boot_ns, kNow + 2);
}

TEST_F(ProcScan, ASecondFdOnTheSameDeviceIsANewHolding) {
  given_process(4321, "screenreader");
  m_proc.given_fd(4321, 3, "/dev/vcs1");
  ASSERT_EQ(m_sensor.scan(kNow).size(), 1U);
  m_proc.given_fd(4321, 8, "/dev/vcs1");
  auto events = m_sensor.scan(kNow + 1);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].device().fd, 8);
}

TEST_F(ProcScan, AReusedPidIsANewHolding) {
  given_process(4321, "first");
  m_proc.given_fd(4321, 3, "/dev/vcs1");
  ASSERT_EQ(m_sensor.scan(kNow).size(), 1U);

  m_proc.remove_process(4321);
  FakeProcess p;
  p.pid = 4321;
  p.comm = "second";
  p.start_ticks = 999'999;
  m_proc.given_process(p);
  m_proc.given_fd(4321, 3, "/dev/vcs1");

  auto events = m_sensor.scan(kNow + 1);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].process.comm, "second");
  EXPECT_EQ(events[0].process.start_boot_ns, ticks_to_boot_ns(999'999));
}

TEST_F(ProcScan, SkipsItsOwnProcess) {
  given_process(kSelf, "sousveil");
  m_proc.given_fd(kSelf, 3, "/dev/vcs1");
  given_process(4321, "screenreader");
  m_proc.given_fd(4321, 3, "/dev/vcs1");

  auto events = m_sensor.scan(kNow);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].process.pid, 4321U);
  EXPECT_EQ(m_sensor.stats().processes_seen, 1U);
}

TEST_F(ProcScan, IgnoresDevicesThatAreNotSensitive) {
  given_process(4321, "cat");
  m_proc.given_fd(4321, 0, "/dev/null");
  FakeProc::write(m_proc.root() / "file", "x");
  m_proc.given_fd(4321, 1, m_proc.root() / "file");
  EXPECT_THAT(m_sensor.scan(kNow), IsEmpty());
}

TEST_F(ProcScan, DoesNotReportTheProcesssOwnTerminal) {
  auto tty = a_terminal();
  if (!tty) GTEST_SKIP() << "neither /dev/tty0 (4:0) nor /dev/console (5:1) is here";
  given_process(4321, "getty", encode_tty_nr(tty->major, tty->minor));
  m_proc.given_fd(4321, 0, tty->path);
  m_proc.given_fd(4321, 1, tty->path);
  EXPECT_THAT(m_sensor.scan(kNow), IsEmpty());
}

TEST_F(ProcScan, ReportsSomeoneElsesTerminal) {
  auto tty = a_terminal();
  if (!tty) GTEST_SKIP() << "neither /dev/tty0 (4:0) nor /dev/console (5:1) is here";
  // Its own terminal is a pty; the virtual terminal it holds is another's.
  given_process(4321, "snoop", encode_tty_nr(136, 2));
  m_proc.given_fd(4321, 5, tty->path);
  given_process(4322, "daemon", 0);  // no controlling terminal at all
  m_proc.given_fd(4322, 5, tty->path);

  auto events = m_sensor.scan(kNow);
  ASSERT_EQ(events.size(), 2U);
  for (const auto& ev : events) {
    EXPECT_EQ(ev.device().device_class, DeviceClass::Tty);
    EXPECT_EQ(ev.device().major, tty->major);
    EXPECT_EQ(ev.device().minor, tty->minor);
  }
}

TEST_F(ProcScan, CountsScansAndUnreadableProcesses) {
  given_process(4321, "screenreader");
  given_process(4322, "hidden");
  std::filesystem::remove_all(m_proc.dir(4322) / "fd");         // as for another user's process
  std::filesystem::create_directories(m_proc.root() / "4323");  // gone: no stat
  (void)m_sensor.scan(kNow);
  (void)m_sensor.scan(kNow + 1);
  EXPECT_EQ(m_sensor.stats().scans, 2U);
  EXPECT_EQ(m_sensor.stats().processes_seen, 2U);
  EXPECT_EQ(m_sensor.stats().unreadable, 1U);
}

struct TtyNrCase {
  const char* name;
  std::uint32_t tty_nr;
  std::uint32_t major;
  std::uint32_t minor;
};

std::ostream& operator<<(std::ostream& os, const TtyNrCase& c) { return os << c.name; }

class DecodeTtyNr : public ::testing::TestWithParam<TtyNrCase> {};

TEST_P(DecodeTtyNr, GivesMajorAndMinor) {
  const auto& c = GetParam();
  auto [major_nr, minor_nr] = decode_tty_nr(c.tty_nr);
  EXPECT_EQ(major_nr, c.major);
  EXPECT_EQ(minor_nr, c.minor);
  EXPECT_EQ(encode_tty_nr(major_nr, minor_nr), c.tty_nr);
}

const TtyNrCase kTtyNrs[] = {
    {"None", 0, 0, 0},
    {"Tty0", 1024, 4, 0},
    {"Tty1", 1025, 4, 1},
    {"Console", 1281, 5, 1},
    {"Pts0", 34816, 136, 0},
    {"Pts255", 35071, 136, 255},
    {"Pts256NeedsTheHighMinorBits", encode_tty_nr(136, 256), 136, 256},
    {"Pts300", encode_tty_nr(136, 300), 136, 300},
    {"Pts143Major", encode_tty_nr(143, 4095), 143, 4095},
    {"LargestMinor", encode_tty_nr(4095, 0xfffff), 4095, 0xfffff},
};

INSTANTIATE_TEST_SUITE_P(Encodings, DecodeTtyNr, ::testing::ValuesIn(kTtyNrs),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace sousveil
