// SPDX-License-Identifier: Apache-2.0
// The real agent with the real kernel sensor against real programs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "harness.h"

namespace sousveil {
namespace {

using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

class DeviceOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    if (!std::filesystem::exists("/dev/vcs")) GTEST_SKIP() << "no /dev/vcs on this machine";
  }

  std::unique_ptr<AgentHarness> start_agent(AgentOptions options = {}) {
    auto agent = std::make_unique<AgentHarness>(std::move(options));
    auto r = agent->start();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    auto st = agent->flush_and_status();
    EXPECT_EQ(st.mode, "ebpf") << "the eBPF sensor did not load";
    return agent;
  }
};

auto device_event_of(pid_t pid, EventKind kind) {
  return [pid, kind](const EnrichedEvent& e) {
    return e.raw.kind == kind && e.process.pid == static_cast<std::uint32_t>(pid);
  };
}

TEST_F(DeviceOpenTest, HeadOfVcsIsReportedWithItsProcess) {
  auto agent = start_agent();
  pid_t pid = spawn({"/usr/bin/head", "-c", "100", "/dev/vcs"});
  EXPECT_EQ(WEXITSTATUS(wait_child(pid)), 0);

  auto ev = agent->wait_for(device_event_of(pid, EventKind::DeviceOpen));
  ASSERT_TRUE(ev) << "no device_open event for head (pid " << pid << ")";
  const auto& d = ev->raw.device();
  EXPECT_EQ(d.device_class, DeviceClass::Vcs);
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 0U);
  EXPECT_EQ(d.path, "/dev/vcs");
  EXPECT_EQ(d.err, 0);
  EXPECT_EQ(d.flags & O_ACCMODE, static_cast<std::uint32_t>(O_RDONLY));
  EXPECT_EQ(ev->raw.source, EventSource::Ebpf);
  EXPECT_EQ(ev->process.exe, "/usr/bin/head");
  EXPECT_EQ(ev->process.comm, "head");
  EXPECT_EQ(ev->process.uid, 0U);
  EXPECT_EQ(ev->process.user, "root");
  ASSERT_FALSE(ev->process.cmdline.empty());
  EXPECT_EQ(ev->process.cmdline.back(), "/dev/vcs");
  ASSERT_FALSE(ev->process.ancestry.empty());
  EXPECT_EQ(ev->process.ancestry.front().pid, static_cast<std::uint32_t>(getpid()));
}

TEST_F(DeviceOpenTest, SnapshotFindsAHolderThatStartedFirst) {
  // A "keylogger" that opened the console before the agent started.
  pid_t holder = spawn({"/usr/bin/sleep", "30"}, [] { testing::hold_open_at("/dev/vcs", 7); });
  // Let it exec before the agent looks.
  for (int i = 0; i < 100; ++i) {
    std::error_code ec;
    if (std::filesystem::read_symlink("/proc/" + std::to_string(holder) + "/exe", ec) == "/usr/bin/sleep")
      break;
    usleep(10000);
  }
  auto agent = start_agent();
  auto ev = agent->wait_for(device_event_of(holder, EventKind::DeviceHeld));
  kill(holder, SIGKILL);
  wait_child(holder);
  ASSERT_TRUE(ev) << "the snapshot did not find pid " << holder;
  EXPECT_EQ(ev->raw.source, EventSource::EbpfSnapshot);
  EXPECT_EQ(ev->raw.device().device_class, DeviceClass::Vcs);
  EXPECT_EQ(ev->raw.device().fd, 7);
  EXPECT_EQ(ev->raw.device().path, "/dev/vcs");
  EXPECT_EQ(ev->process.exe, "/usr/bin/sleep");
  auto st = agent->flush_and_status();
  EXPECT_GE(st.snapshot.delivered, 1U);
  EXPECT_GE(st.kernel.snapshot_emitted, 1U);
}

TEST_F(DeviceOpenTest, MknodInputNodeIsAFailedAttemptOnAnInputDevice) {
  // No input devices here: the node's driver is missing, so open fails with
  // ENXIO. That is still an attempt to read keystrokes.
  auto dir = std::filesystem::temp_directory_path() / ("sv-mknod-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto node = dir / "event0";
  ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0600, makedev(13, 64)), 0) << strerror(errno);

  auto agent = start_agent();
  pid_t pid = spawn({"/usr/bin/cat", node.string()});
  EXPECT_NE(WEXITSTATUS(wait_child(pid)), 0);
  auto ev = agent->wait_for(device_event_of(pid, EventKind::DeviceOpen));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(ev) << "no event for cat of a 13:64 node";
  const auto& d = ev->raw.device();
  EXPECT_EQ(d.err, ENXIO);
  EXPECT_EQ(d.device_class, DeviceClass::Input);
  EXPECT_EQ(d.detail, "event");
  EXPECT_EQ(d.major, 13U);
  EXPECT_EQ(d.minor, 64U);
  EXPECT_EQ(d.path, node.string());
  EXPECT_EQ(ev->process.exe, "/usr/bin/cat");
}

TEST_F(DeviceOpenTest, HundredThousandOrdinaryOpensProduceNoEvent) {
  auto dir = std::filesystem::temp_directory_path() / ("sv-ordinary-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "regular";
  std::ofstream(file) << "x";

  auto agent = start_agent();
  auto before = agent->flush_and_status().kernel;
  constexpr int kOpens = 100000;
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < kOpens / 2; ++i) {
      close(open("/dev/null", O_RDONLY));
      close(open(file.c_str(), O_RDONLY));
    }
    _exit(0);
  }
  wait_child(pid);
  // A marker after the loop: when it shows up, everything before it was consumed.
  pid_t marker = spawn({"/usr/bin/head", "-c", "1", "/dev/vcs"});
  wait_child(marker);
  ASSERT_TRUE(agent->wait_for(device_event_of(marker, EventKind::DeviceOpen)));
  auto after = agent->flush_and_status().kernel;
  std::filesystem::remove_all(dir);

  for (const auto& e : agent->sink().events())
    EXPECT_NE(e.process.pid, static_cast<std::uint32_t>(pid)) << "an ordinary open reached user space";
  // Proven by the kernel's own counter, not by trust.
  EXPECT_GE(after.open_filtered - before.open_filtered, static_cast<std::uint64_t>(kOpens));
  EXPECT_GE(after.open_seen - before.open_seen, static_cast<std::uint64_t>(kOpens));
  EXPECT_EQ(after.device_lost, 0U);
}

TEST_F(DeviceOpenTest, OwnControllingTerminalIsNotReportedButAnotherProcessOpeningItIs) {
  int master = -1;
  int slave = -1;
  char slave_name[128] = {};
  ASSERT_EQ(openpty(&master, &slave, slave_name, nullptr, nullptr), 0) << strerror(errno);
  close(slave);  // only the children below open it
  auto agent = start_agent();
  auto before = agent->flush_and_status().kernel;

  pid_t owner = fork();
  if (owner == 0) {
    setsid();
    int first = open(slave_name, O_RDWR);  // becomes the controlling terminal
    int again = open(slave_name, O_RDWR);  // its own terminal: not surveillance
    _exit(first >= 0 && again >= 0 ? 0 : 1);
  }
  EXPECT_EQ(WEXITSTATUS(wait_child(owner)), 0);
  pid_t other = spawn({"/usr/bin/head", "-c", "0", slave_name});
  wait_child(other);

  auto ev = agent->wait_for(device_event_of(other, EventKind::DeviceOpen));
  ASSERT_TRUE(ev) << "another process opening " << slave_name << " was not reported";
  EXPECT_EQ(ev->raw.device().device_class, DeviceClass::Pty);
  for (const auto& e : agent->sink().events())
    EXPECT_NE(e.process.pid, static_cast<std::uint32_t>(owner)) << "own terminal reported";
  auto after = agent->flush_and_status().kernel;
  EXPECT_GE(after.open_own_tty - before.open_own_tty, 2U);
  close(master);
}

TEST_F(DeviceOpenTest, LostEventsAreCountedAndReported) {
  AgentOptions options;
  options.ringbuf_bytes = 4096;  // the smallest ring: a burst must overflow it
  options.ratelimit = std::chrono::milliseconds(0);  // every open is its own event
  auto agent = start_agent(options);
  // Stall the agent's thread so nothing is consumed during the burst.
  std::promise<void> release;
  auto released = release.get_future().share();
  agent->post([released] { released.wait(); });
  pid_t burst = fork();
  if (burst == 0) {
    for (int i = 0; i < 2000; ++i) close(open("/dev/vcs", O_RDONLY));
    _exit(0);
  }
  wait_child(burst);
  release.set_value();
  auto st = agent->flush_and_status();
  EXPECT_GT(st.device.lost, 0U) << "2000 opens into a 4 KiB ring lost nothing?";
  EXPECT_EQ(st.device.lost, st.kernel.device_lost);
  EXPECT_EQ(st.total_lost(), st.device.lost + st.process.lost + st.snapshot.lost);
  EXPECT_EQ(agent->sink().lost(), st.total_lost()) << "the sink was not told of every loss";
  EXPECT_GT(st.device.delivered, 0U);
}

TEST_F(DeviceOpenTest, ATightLoopIsFoldedByTheKernelRateLimiter) {
  auto agent = start_agent();
  pid_t loop = fork();
  if (loop == 0) {
    for (int i = 0; i < 5000; ++i) close(open("/dev/vcs", O_RDONLY));
    _exit(0);
  }
  wait_child(loop);
  pid_t marker = spawn({"/usr/bin/head", "-c", "1", "/dev/vcs"});
  wait_child(marker);
  ASSERT_TRUE(agent->wait_for(device_event_of(marker, EventKind::DeviceOpen)));
  auto st = agent->flush_and_status();
  std::size_t from_loop = 0;
  for (const auto& e : agent->sink().events())
    if (e.process.pid == static_cast<std::uint32_t>(loop)) ++from_loop;
  // One event per second of looping at most, the rest counted as repeats.
  EXPECT_GE(from_loop, 1U);
  EXPECT_LE(from_loop, 10U) << "the loop flooded the ring buffer";
  EXPECT_GE(st.kernel.rate_limited + from_loop, 5000U);
  EXPECT_EQ(st.device.lost, 0U);
}

TEST(FallbackTest, ProcScanFindsAHolderWithoutBpf) {
  if (!std::filesystem::exists("/dev/vcs")) GTEST_SKIP() << "no /dev/vcs on this machine";
  pid_t holder = spawn({"/usr/bin/sleep", "30"}, [] { testing::hold_open_at("/dev/vcs", 9); });
  usleep(100000);
  AgentOptions options;
  options.use_bpf = false;
  options.fallback_interval = std::chrono::milliseconds(200);
  AgentHarness agent(options);
  ASSERT_TRUE(agent.start().ok());
  auto ev = agent.wait_for([holder](const EnrichedEvent& e) {
    return e.raw.kind == EventKind::DeviceHeld && e.process.pid == static_cast<std::uint32_t>(holder);
  });
  kill(holder, SIGKILL);
  wait_child(holder);
  ASSERT_TRUE(ev) << "the /proc scan did not find pid " << holder;
  EXPECT_EQ(ev->raw.source, EventSource::ProcScan);
  EXPECT_EQ(ev->raw.device().device_class, DeviceClass::Vcs);
  EXPECT_EQ(ev->raw.device().fd, 9);
  auto st = agent.flush_and_status();
  EXPECT_EQ(st.mode, "fallback");
  EXPECT_EQ(st.fidelity, "low");
}

}  // namespace
}  // namespace sousveil
