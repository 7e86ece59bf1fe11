// SPDX-License-Identifier: Apache-2.0
// The capture sensors of the kernel side against real programs: strace on a
// shell, TIOCSTI into a terminal, xwd on a real Xvfb, LD_PRELOAD and LD_AUDIT,
// /proc/PID/mem, a write to ld.so.preload, evtest on an input node, and the
// kernel's rate limiter. Each test runs the real agent with the shipped rules
// and checks the event the program caused and the rule it fired.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "enrich/procfs.h"
#include "harness.h"
#include "sensors/bpf/inventory.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

constexpr auto kEventTimeout = 10s;

std::string exe_of(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

// A spawned child has exec'd once /proc/PID/exe names the program.
bool wait_exec(pid_t pid, const std::string& exe, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exe_of(pid) == exe) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// The program a path runs as, with every link resolved (/bin/sh -> /usr/bin/dash).
std::string real_exe(const std::string& path) {
  std::error_code ec;
  auto p = fs::canonical(path, ec);
  return ec ? path : p.string();
}

// Kills a child (and its process group, when it leads one) however the test ends.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid, bool group = false) : m_pid(pid), m_group(group) {}
  ~ChildGuard() { stop(SIGKILL); }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;

  // Signals the child and reaps it; returns its wait status.
  int stop(int sig) {
    if (m_pid <= 0) return 0;
    // Before the child's setpgid there is no group yet: signal the child alone.
    if (!m_group || kill(-m_pid, sig) != 0) kill(m_pid, sig);
    int status = wait_child(m_pid);
    if (m_group) kill(-m_pid, SIGKILL);  // what the leader left behind (sleep)
    m_pid = -1;
    return status;
  }
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid;
  bool m_group;
};

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (mkdtemp(pattern.data())) m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!m_path.empty()) fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// A shell that stays a shell: "sleep 30; exit 0" keeps dash from exec'ing
// sleep in its place. It leads its own process group so cleanup kills the
// sleep too.
pid_t spawn_shell() {
  return spawn({"/bin/sh", "-c", "sleep 30; exit 0"}, [] { setpgid(0, 0); });
}

bool has(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "(none)" : out;
}

auto event_of(pid_t pid, EventKind kind) {
  return [pid, kind](const EnrichedEvent& e) {
    return e.raw.kind == kind && e.process.pid == static_cast<std::uint32_t>(pid);
  };
}

std::vector<EnrichedEvent> events_of(AgentHarness& agent, pid_t pid, EventKind kind) {
  std::vector<EnrichedEvent> out;
  for (const auto& e : agent.sink().events())
    if (event_of(pid, kind)(e)) out.push_back(e);
  return out;
}

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
  }

  // The real agent with the rules of this source tree.
  std::unique_ptr<AgentHarness> start_agent(AgentOptions options = {}) {
    options.rule_sources = {SOUSVEIL_RULES_DIR};
    auto agent = std::make_unique<AgentHarness>(std::move(options));
    auto r = agent->start();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    auto st = agent->flush_and_status();
    EXPECT_EQ(st.mode, "ebpf") << "the eBPF sensor did not load";
    EXPECT_EQ(st.rules_error, "") << "the shipped rules did not load";
    EXPECT_GT(st.rules_enabled, 0U);
    return agent;
  }

  // The tests run real programs: a missing one is a broken setup, not a skip.
  static void require_program(const std::string& path, const std::string& package) {
    ASSERT_EQ(access(path.c_str(), X_OK), 0) << path << " is missing: install the Debian package "
                                             << package << " (scripts/install-deps)";
  }

  void expect_rule(AgentHarness& agent, pid_t pid, EventKind kind, const std::string& rule_id) {
    auto fired = agent.sink().rules_fired_for(static_cast<std::uint32_t>(pid), kind);
    EXPECT_TRUE(has(fired, rule_id))
        << rule_id << " did not fire for pid " << pid << "; fired: " << joined(fired);
    auto all = agent.sink().findings();
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [&](const rules::Finding& f) { return f.rule_id == rule_id; }));
  }
};

// ---------------------------------------------------------------- ptrace

TEST_F(CaptureTest, StraceOfARunningShellReadsAShellsMemory) {
  ASSERT_NO_FATAL_FAILURE(require_program("/usr/bin/strace", "strace"));
  const std::string shell_exe = real_exe("/bin/sh");
  auto agent = start_agent();
  ChildGuard shell(spawn_shell(), /*group=*/true);
  ASSERT_TRUE(wait_exec(shell.pid(), shell_exe)) << "the shell did not start";

  ChildGuard strace(
      spawn({"/usr/bin/strace", "-p", std::to_string(shell.pid()), "-o", "/dev/null"}));
  const pid_t strace_pid = strace.pid();
  // strace first seizes a child of its own to probe PTRACE_SEIZE support;
  // the event that matters names the shell.
  auto ev = agent->wait_for(
      [&](const EnrichedEvent& e) {
        if (!event_of(strace_pid, EventKind::ProcessAccess)(e)) return false;
        const auto& a = std::get<AccessInfo>(e.raw.payload);
        return (a.access == "ptrace-seize" || a.access == "ptrace-attach") &&
               a.target_pid == static_cast<std::uint32_t>(shell.pid());
      },
      kEventTimeout);
  // SIGTERM: strace detaches cleanly and the shell goes on.
  strace.stop(SIGTERM);
  ASSERT_TRUE(ev) << "no ptrace-seize/attach event for strace (pid " << strace_pid
                  << ") on the shell";

  const auto& a = std::get<AccessInfo>(ev->raw.payload);
  EXPECT_EQ(a.target_pid, static_cast<std::uint32_t>(shell.pid()));
  EXPECT_EQ(a.request, a.access == "ptrace-seize" ? 0x4206U : 16U);  // PTRACE_SEIZE, PTRACE_ATTACH
  EXPECT_EQ(ev->target.pid, static_cast<std::uint32_t>(shell.pid()));
  EXPECT_EQ(ev->target.exe, shell_exe);
  EXPECT_EQ(ev->target.comm, "sh");
  EXPECT_FALSE(ev->target.exited);
  EXPECT_EQ(ev->process.exe, "/usr/bin/strace");
  EXPECT_EQ(ev->process.comm, "strace");
  EXPECT_EQ(ev->raw.source, EventSource::Ebpf);
  expect_rule(*agent, strace_pid, EventKind::ProcessAccess, "process-memory.shell-or-terminal");
  // strace only reads: nothing it did counts as writing into the shell.
  for (const auto& e : events_of(*agent, strace_pid, EventKind::ProcessAccess))
    EXPECT_NE(std::get<AccessInfo>(e.raw.payload).access, "ptrace-poke");
}

// ---------------------------------------------------------------- /proc/PID/mem

TEST_F(CaptureTest, OpeningAnotherProcesssMemFileIsReportedButNotOnesOwn) {
  const std::string shell_exe = real_exe("/bin/sh");
  auto agent = start_agent();
  ChildGuard shell(spawn_shell(), /*group=*/true);
  ASSERT_TRUE(wait_exec(shell.pid(), shell_exe)) << "the shell did not start";

  // Its own memory file: filtered in the kernel.
  pid_t self_reader =
      spawn({"/usr/bin/dd", "if=/proc/self/mem", "of=/dev/null", "bs=1", "count=0"});
  EXPECT_EQ(WEXITSTATUS(wait_child(self_reader)), 0);
  // dd opens its input even to copy nothing.
  const std::string mem = "/proc/" + std::to_string(shell.pid()) + "/mem";
  pid_t reader = spawn({"/usr/bin/dd", "if=" + mem, "of=/dev/null", "bs=1", "count=0"});
  EXPECT_EQ(WEXITSTATUS(wait_child(reader)), 0);

  auto ev = agent->wait_for(event_of(reader, EventKind::ProcessAccess), kEventTimeout);
  ASSERT_TRUE(ev) << "no process_access event for dd of " << mem;
  const auto& a = std::get<AccessInfo>(ev->raw.payload);
  EXPECT_EQ(a.access, "proc-mem");
  EXPECT_EQ(a.target_pid, static_cast<std::uint32_t>(shell.pid()));
  EXPECT_EQ(a.request & O_ACCMODE, static_cast<std::uint32_t>(O_RDONLY))
      << "request holds the open flags";
  EXPECT_EQ(ev->target.exe, shell_exe);
  EXPECT_EQ(ev->target.comm, "sh");
  EXPECT_EQ(ev->process.exe, "/usr/bin/dd");
  EXPECT_EQ(ev->process.comm, "dd");
  expect_rule(*agent, reader, EventKind::ProcessAccess, "process-memory.shell-or-terminal");
  // The self read ran first and the ring buffer is read in order: had it
  // been reported, it would be here by now.
  EXPECT_TRUE(events_of(*agent, self_reader, EventKind::ProcessAccess).empty())
      << "a process reading its own /proc/self/mem was reported";
}

// ---------------------------------------------------------------- terminal ioctls

TEST_F(CaptureTest, TiocstiIntoAPtyIsReportedWithoutTheTypedCharacter) {
  const std::string helper = real_exe(SOUSVEIL_TIOCSTI);
  auto agent = start_agent();
  // --hold keeps the pty open so the agent can name it from /proc/PID/fd.
  ChildGuard prog(spawn({SOUSVEIL_TIOCSTI, "--hold"}));
  const pid_t pid = prog.pid();
  auto ev = agent->wait_for(event_of(pid, EventKind::DeviceIoctl), kEventTimeout);
  ASSERT_TRUE(ev) << "no device_ioctl event for " << helper << " (pid " << pid << ")";
  ASSERT_TRUE(wait_exec(pid, helper)) << "the helper exited: TIOCSTI failed?";
  const auto& io = std::get<IoctlInfo>(ev->raw.payload);
  std::error_code ec;
  auto slave =
      fs::read_symlink("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(io.device.fd), ec);
  prog.stop(SIGKILL);

  EXPECT_EQ(io.name, "TIOCSTI");
  EXPECT_EQ(io.cmd, static_cast<std::uint32_t>(TIOCSTI));
  EXPECT_EQ(ev->raw.origin, Origin::Syscall) << "a 64-bit program's ioctl taken for a compat one";
  // The argument is the pointer as passed, never the character 'Q' behind it.
  EXPECT_NE(io.arg, static_cast<std::uint64_t>('Q'));
  EXPECT_EQ(io.device.device_class, DeviceClass::Pty);
  EXPECT_GE(io.device.major, 136U);
  EXPECT_LE(io.device.major, 143U);
  EXPECT_EQ(io.device.path, slave.string());
  EXPECT_TRUE(io.device.path.starts_with("/dev/pts/")) << io.device.path;
  EXPECT_EQ(io.device.name, slave.filename().string());
  EXPECT_EQ(ev->process.pid, static_cast<std::uint32_t>(pid));
  EXPECT_EQ(ev->process.exe, helper);
  EXPECT_EQ(ev->process.comm, fs::path(helper).filename().string().substr(0, 15));
  expect_rule(*agent, pid, EventKind::DeviceIoctl, "terminal.tiocsti-injection");
}

TEST_F(CaptureTest, TiocstiFromAProgramThatHasExitedStillNamesThePty) {
  auto agent = start_agent();
  // Hold the agent until the helper is gone, so /proc/PID/fd cannot name the pty.
  std::promise<void> release;
  auto released = release.get_future().share();
  agent->post([released] { released.wait(); });
  pid_t pid = spawn({SOUSVEIL_TIOCSTI});
  EXPECT_EQ(WEXITSTATUS(wait_child(pid)), 0);
  release.set_value();
  auto ev = agent->wait_for(event_of(pid, EventKind::DeviceIoctl), kEventTimeout);
  ASSERT_TRUE(ev) << "no device_ioctl event for the helper (pid " << pid << ")";
  const auto& io = std::get<IoctlInfo>(ev->raw.payload);
  EXPECT_EQ(io.name, "TIOCSTI");
  EXPECT_EQ(io.device.device_class, DeviceClass::Pty);
  EXPECT_EQ(io.device.path, "/dev/pts/" + io.device.name);
  expect_rule(*agent, pid, EventKind::DeviceIoctl, "terminal.tiocsti-injection");
}

TEST_F(CaptureTest, TioclinuxOnTheConsoleIsReportedAtSyscallEntry) {
  const std::string helper = real_exe(SOUSVEIL_TIOCSTI);
  // /dev/tty0 is the current virtual console; a node of it (4:0) where /dev has none.
  TempDir dir("sv-tty0-");
  std::string console = "/dev/tty0";
  if (!fs::exists(console)) {
    console = (dir.path() / "tty0").string();
    ASSERT_EQ(mknod(console.c_str(), S_IFCHR | 0600, makedev(4, 0)), 0) << strerror(errno);
  }
  auto agent = start_agent();
  // TIOCL_GETMOUSEREPORTING only reads; it may still fail (EINVAL, ENOTTY)
  // where no VT is active, but the sensor reports the request at entry.
  ChildGuard prog(spawn({SOUSVEIL_TIOCSTI, "--tioclinux", console, "--hold"}));
  const pid_t pid = prog.pid();
  auto ev = agent->wait_for(
      [&](const EnrichedEvent& e) {
        return event_of(pid, EventKind::DeviceIoctl)(e) &&
               std::get<IoctlInfo>(e.raw.payload).name == "TIOCLINUX";
      },
      kEventTimeout);
  prog.stop(SIGKILL);
  ASSERT_TRUE(ev) << "no TIOCLINUX event for " << helper << " on " << console
                  << " (does the console open here? see the device_open events)";
  const auto& io = std::get<IoctlInfo>(ev->raw.payload);
  EXPECT_EQ(io.cmd, static_cast<std::uint32_t>(TIOCLINUX));
  EXPECT_EQ(io.arg, 7U) << "the subcode byte is read through the pointer";
  EXPECT_EQ(io.device.device_class, DeviceClass::Tty);
  EXPECT_EQ(io.device.major, 4U);
  EXPECT_EQ(io.device.minor, 0U);
  EXPECT_EQ(io.device.path, console);
  EXPECT_EQ(ev->process.pid, static_cast<std::uint32_t>(pid));
  EXPECT_EQ(ev->process.exe, helper);
  expect_rule(*agent, pid, EventKind::DeviceIoctl, "terminal.tioclinux-selection");
}

TEST_F(CaptureTest, ATiocstiLoopIsFoldedByTheKernelRateLimiter) {
  AgentOptions options;
  options.ratelimit = 1000ms;
  auto agent = start_agent(options);
  auto before = agent->flush_and_status().kernel;
  constexpr std::uint32_t kLoop = 1000;
  // A thousand TIOCSTI in a tight loop, then one more after the window.
  pid_t prog =
      spawn({SOUSVEIL_TIOCSTI, "--count", std::to_string(kLoop), "--again-after-ms", "1200"});
  EXPECT_EQ(WEXITSTATUS(wait_child(prog)), 0) << "TIOCSTI failed in the helper";

  auto last = agent->wait_for(
      [&](const EnrichedEvent& e) {
        return event_of(prog, EventKind::DeviceIoctl)(e) && e.raw.repeats > 0;
      },
      kEventTimeout);
  ASSERT_TRUE(last) << "no device_ioctl event carried the folded repeats";
  auto after = agent->flush_and_status();
  auto events = events_of(*agent, prog, EventKind::DeviceIoctl);
  EXPECT_GE(events.size(), 2U);
  EXPECT_LE(events.size(), 4U) << "the loop flooded the ring buffer";
  // Every call is either an event or a repeat counted on a later one.
  std::uint64_t calls = 0;
  for (const auto& e : events) {
    EXPECT_EQ(std::get<IoctlInfo>(e.raw.payload).name, "TIOCSTI");
    calls += 1 + e.raw.repeats;
  }
  EXPECT_EQ(calls, kLoop + 1);
  EXPECT_GE(after.kernel.rate_limited - before.rate_limited, kLoop + 1 - events.size());
  EXPECT_EQ(after.capture.lost, 0U);
  expect_rule(*agent, prog, EventKind::DeviceIoctl, "terminal.tiocsti-injection");
}

// ---------------------------------------------------------------- X11

// A real Xvfb on a free display, for the length of a test.
class XvfbTest : public CaptureTest {
 protected:
  void SetUp() override {
    CaptureTest::SetUp();
    if (IsSkipped()) return;
    require_program("/usr/bin/Xvfb", "xvfb");
    require_program("/usr/bin/xwd", "x11-apps");
    if (HasFatalFailure()) return;
    for (int n = 60 + getpid() % 100, tries = 0; tries < 20 && m_display < 0; ++n, ++tries) {
      auto lock = "/tmp/.X" + std::to_string(n) + "-lock";
      auto socket = "/tmp/.X11-unix/X" + std::to_string(n);
      if (fs::exists(lock) || fs::exists(socket)) continue;
      pid_t pid = spawn({"/usr/bin/Xvfb", ":" + std::to_string(n), "-nolisten", "tcp", "-screen",
                         "0", "640x480x24"},
                        [] { setpgid(0, 0); });
      if (wait_socket(pid, socket)) {
        m_display = n;
        m_xvfb = pid;
      } else {  // lost a race for that display: try the next one
        kill(pid, SIGKILL);
        wait_child(pid);
      }
    }
    ASSERT_GE(m_display, 0) << "Xvfb did not start on any display";
  }

  void TearDown() override {
    if (m_xvfb > 0) {
      kill(m_xvfb, SIGTERM);  // Xvfb removes its lock file and socket
      wait_child(m_xvfb);
    }
  }

  static bool wait_socket(pid_t pid, const std::string& socket) {
    for (int i = 0; i < 1000; ++i) {
      if (fs::exists(socket)) return true;
      if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  int m_display = -1;
  pid_t m_xvfb = -1;
};

TEST_F(XvfbTest, XwdOfTheRootWindowConnectsToTheDisplay) {
  auto agent = start_agent();
  const std::string display = ":" + std::to_string(m_display);
  pid_t xwd = spawn({"/usr/bin/xwd", "-root", "-display", display, "-out", "/dev/null"});
  EXPECT_EQ(WEXITSTATUS(wait_child(xwd)), 0) << "xwd could not dump the root window of " << display;

  auto ev = agent->wait_for(event_of(xwd, EventKind::SocketConnect), kEventTimeout);
  ASSERT_TRUE(ev) << "no socket_connect event for xwd (pid " << xwd << ")";
  const auto& c = std::get<ConnectInfo>(ev->raw.payload);
  EXPECT_EQ(c.service, "x11");
  EXPECT_EQ(c.display, display);
  EXPECT_EQ(c.family, "unix");
  // libxcb tries the abstract socket first, then the file.
  const std::string socket = "/tmp/.X11-unix/X" + std::to_string(m_display);
  EXPECT_TRUE(c.path == "@" + socket || c.path == socket) << c.path;
  EXPECT_EQ(c.port, 0U);
  EXPECT_EQ(ev->process.exe, "/usr/bin/xwd");
  EXPECT_EQ(ev->process.comm, "xwd");
  // We run as root: a system account reaching the display.
  EXPECT_EQ(ev->process.uid, 0U);
  expect_rule(*agent, xwd, EventKind::SocketConnect, "screen.x11-client-system-service");
  // The server itself connects to nothing.
  EXPECT_TRUE(events_of(*agent, m_xvfb, EventKind::SocketConnect).empty());
}

// ---------------------------------------------------------------- library injection

struct PreloadCase {
  const char* variable;
};

class LibraryInjectionTest : public CaptureTest,
                             public ::testing::WithParamInterface<PreloadCase> {};

TEST_P(LibraryInjectionTest, AVariableInTheNewProgramsEnvironmentIsReported) {
  const char* variable = GetParam().variable;
  const std::string lib = "/lib/x86_64-linux-gnu/libm.so.6";
  ASSERT_TRUE(fs::exists(lib)) << lib;
  auto agent = start_agent();
  // An ordinary start first: no variable, no event.
  pid_t plain = spawn({"/usr/bin/true"});
  EXPECT_EQ(WEXITSTATUS(wait_child(plain)), 0);
  // ld.so ignores libm as an audit module with a warning; true still runs.
  pid_t pid = spawn({"/usr/bin/true"}, [&] { setenv(variable, lib.c_str(), 1); });
  EXPECT_EQ(WEXITSTATUS(wait_child(pid)), 0);

  auto ev = agent->wait_for(event_of(pid, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "no library_injection event for " << variable << "=" << lib
                  << " /usr/bin/true";
  const auto& inj = std::get<InjectionInfo>(ev->raw.payload);
  EXPECT_EQ(inj.variable, variable);
  EXPECT_EQ(inj.library, lib);
  EXPECT_EQ(inj.action, "exec");
  EXPECT_EQ(ev->process.exe, "/usr/bin/true");
  EXPECT_EQ(ev->process.comm, "true");
  expect_rule(*agent, pid, EventKind::LibraryInjection, "injection.ld-preload");
  EXPECT_TRUE(events_of(*agent, plain, EventKind::LibraryInjection).empty())
      << "a plain exec was reported";
}

INSTANTIATE_TEST_SUITE_P(Variables, LibraryInjectionTest,
                         ::testing::Values(PreloadCase{"LD_PRELOAD"}, PreloadCase{"LD_AUDIT"}),
                         [](const auto& test) { return std::string(test.param.variable); });

// The environment of a new program, in this order, and nothing else.
std::function<void()> environment(std::vector<std::pair<std::string, std::string>> vars) {
  return [vars = std::move(vars)] {
    clearenv();
    for (const auto& [name, value] : vars) setenv(name.c_str(), value.c_str(), 1);
  };
}

TEST_F(CaptureTest, LdPreloadAfterALargeEnvironmentIsReported) {
  const std::string lib = "/lib/x86_64-linux-gnu/libm.so.6";
  auto agent = start_agent();
  pid_t pid =
      spawn({"/usr/bin/true"}, environment({{"PAD", std::string(5000, 'p')}, {"LD_PRELOAD", lib}}));
  EXPECT_EQ(WEXITSTATUS(wait_child(pid)), 0);
  auto ev = agent->wait_for(event_of(pid, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "LD_PRELOAD after 5000 bytes of environment was not reported";
  EXPECT_EQ(std::get<InjectionInfo>(ev->raw.payload).library, lib);
  expect_rule(*agent, pid, EventKind::LibraryInjection, "injection.ld-preload");
}

TEST_F(CaptureTest, LdAuditNextToABenignLdPreloadIsReported) {
  const std::string lib = "/lib/x86_64-linux-gnu/libm.so.6";
  auto agent = start_agent();
  pid_t pid =
      spawn({"/usr/bin/true"},
            environment({{"LD_PRELOAD", "/usr/libexec/sudo/sudo_noexec.so"}, {"LD_AUDIT", lib}}));
  wait_child(pid);
  auto ev = agent->wait_for(
      [&](const EnrichedEvent& e) {
        return event_of(pid, EventKind::LibraryInjection)(e) &&
               std::get<InjectionInfo>(e.raw.payload).variable == "LD_AUDIT";
      },
      kEventTimeout);
  ASSERT_TRUE(ev) << "LD_AUDIT behind a benign LD_PRELOAD was not reported";
  EXPECT_EQ(std::get<InjectionInfo>(ev->raw.payload).library, lib);
  expect_rule(*agent, pid, EventKind::LibraryInjection, "injection.ld-preload");
}

TEST_F(CaptureTest, WritingAnEtcLdSoPreloadIsReported) {
  // The sensor knows /etc/ld.so.preload by its name in a directory named etc,
  // so a temporary .../etc/ld.so.preload stands in for the real one.
  TempDir dir("sv-preload-");
  ASSERT_FALSE(dir.path().empty());
  fs::create_directories(dir.path() / "etc");
  fs::create_directories(dir.path() / "lib");
  const auto target = dir.path() / "etc" / "ld.so.preload";
  const auto elsewhere = dir.path() / "lib" / "ld.so.preload";
  auto agent = start_agent();

  // Neither a write outside a directory named etc...
  // dash by its real path: a short-lived process run through the /bin/sh
  // link is named by its real program (see ExeOfAShortLivedProcessIsTheProgramItRan).
  const std::string sh = real_exe("/bin/sh");
  pid_t other_dir = spawn({sh, "-c", "echo /tmp/libx.so > " + elsewhere.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(other_dir)), 0);
  // ...nor the write the test is about, yet: first reading an existing one is fine.
  std::ofstream(target) << "";
  pid_t reader = spawn({"/usr/bin/cat", target.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(reader)), 0);
  pid_t writer = spawn({sh, "-c", "echo /tmp/libhook.so > " + target.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(writer)), 0);

  auto ev = agent->wait_for(event_of(writer, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "no library_injection event for the write of " << target;
  const auto& inj = std::get<InjectionInfo>(ev->raw.payload);
  EXPECT_EQ(inj.variable, "/etc/ld.so.preload");
  EXPECT_EQ(inj.action, "write");
  EXPECT_EQ(ev->process.exe, sh);
  EXPECT_EQ(ev->process.comm, fs::path(sh).filename().string());
  expect_rule(*agent, writer, EventKind::LibraryInjection, "injection.ld-so-preload");
  EXPECT_TRUE(events_of(*agent, other_dir, EventKind::LibraryInjection).empty())
      << "lib/ld.so.preload was taken for /etc/ld.so.preload";
  EXPECT_TRUE(events_of(*agent, reader, EventKind::LibraryInjection).empty())
      << "a read was taken for a write";
}

TEST_F(CaptureTest, ExeOfAShortLivedProcessIsTheProgramItRan) {
  TempDir dir("sv-preload-");
  ASSERT_FALSE(dir.path().empty());
  fs::create_directories(dir.path() / "etc");
  const auto target = dir.path() / "etc" / "ld.so.preload";
  auto agent = start_agent();
  // Hold the agent until the shell is gone, so the agent cannot read it in /proc.
  std::promise<void> release;
  auto released = release.get_future().share();
  agent->post([released] { released.wait(); });
  pid_t writer = spawn({"/bin/sh", "-c", "echo /tmp/libhook.so > " + target.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(writer)), 0);
  release.set_value();
  auto ev = agent->wait_for(event_of(writer, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "no library_injection event for the write of " << target;
  EXPECT_EQ(ev->process.exe, real_exe("/bin/sh"));
  expect_rule(*agent, writer, EventKind::LibraryInjection, "injection.ld-so-preload");
}

TEST_F(CaptureTest, RenamingAFileOntoLdSoPreloadIsReported) {
  TempDir dir("sv-preload-");
  ASSERT_FALSE(dir.path().empty());
  fs::create_directories(dir.path() / "etc");
  const auto staged = dir.path() / "etc" / "ld.so.preload.new";
  const auto target = dir.path() / "etc" / "ld.so.preload";
  std::ofstream(staged) << "/tmp/libhook.so\n";
  auto agent = start_agent();
  pid_t mv = spawn({"/usr/bin/mv", staged.string(), target.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(mv)), 0);
  ASSERT_TRUE(fs::exists(target));

  auto ev = agent->wait_for(event_of(mv, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "no library_injection event for mv onto " << target;
  const auto& inj = std::get<InjectionInfo>(ev->raw.payload);
  EXPECT_EQ(inj.variable, "/etc/ld.so.preload");
  EXPECT_EQ(inj.action, "rename");
  EXPECT_EQ(inj.library, target.string()) << "the path renamed onto, as mv passed it";
  EXPECT_EQ(ev->process.exe, "/usr/bin/mv");
  expect_rule(*agent, mv, EventKind::LibraryInjection, "injection.ld-so-preload");
}

TEST_F(CaptureTest, RenamingOntoALongPathToLdSoPreloadIsReported) {
  TempDir dir("sv-preload-");
  ASSERT_FALSE(dir.path().empty());
  const auto etc = dir.path() / std::string(40, 'a') / "etc";
  fs::create_directories(etc);
  const auto staged = etc / "staged";
  const auto target = etc / "ld.so.preload";
  ASSERT_GE(target.string().size(), 64U);
  std::ofstream(staged) << "/tmp/libhook.so\n";
  auto agent = start_agent();
  pid_t mv = spawn({"/usr/bin/mv", staged.string(), target.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(mv)), 0);
  auto ev = agent->wait_for(event_of(mv, EventKind::LibraryInjection), kEventTimeout);
  ASSERT_TRUE(ev) << "no library_injection event for mv onto " << target;
  EXPECT_EQ(std::get<InjectionInfo>(ev->raw.payload).action, "rename");
  expect_rule(*agent, mv, EventKind::LibraryInjection, "injection.ld-so-preload");
}

// ---------------------------------------------------------------- input devices

TEST_F(CaptureTest, EvtestOnAnInputNodeWithoutADriverIsAFailedAttempt) {
  ASSERT_NO_FATAL_FAILURE(require_program("/usr/bin/evtest", "evtest"));
  // This machine has no input devices: a 13:64 node (event0) has no driver
  // behind it, so evtest's open fails with ENXIO. Its --grab (EVIOCGRAB)
  // therefore never reaches the ioctl here; the attempt to open is what shows.
  TempDir dir("sv-evtest-");
  ASSERT_FALSE(dir.path().empty());
  const auto node = dir.path() / "event0";
  ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0600, makedev(13, 64)), 0) << strerror(errno);
  auto agent = start_agent();
  pid_t evtest = spawn({"/usr/bin/evtest", "--grab", node.string()});
  EXPECT_NE(WEXITSTATUS(wait_child(evtest)), 0) << "evtest opened a 13:64 node on this machine?";

  auto ev = agent->wait_for(event_of(evtest, EventKind::DeviceOpen), kEventTimeout);
  ASSERT_TRUE(ev) << "no device_open event for evtest of " << node;
  const auto& d = ev->raw.device();
  EXPECT_EQ(d.err, ENXIO);
  EXPECT_EQ(result_name(d.err), "ENXIO");
  EXPECT_EQ(d.device_class, DeviceClass::Input);
  EXPECT_EQ(d.detail, "event");
  EXPECT_EQ(d.major, 13U);
  EXPECT_EQ(d.minor, 64U);
  EXPECT_EQ(d.path, node.string());
  EXPECT_EQ(d.fd, -1);
  EXPECT_EQ(ev->process.exe, "/usr/bin/evtest");
  EXPECT_EQ(ev->process.comm, "evtest");
  expect_rule(*agent, evtest, EventKind::DeviceOpen, "keystrokes.input-device-attempt");
  EXPECT_TRUE(events_of(*agent, evtest, EventKind::DeviceIoctl).empty());
}

// ---------------------------------------------------------------- no bypass: 32-bit programs

TEST_F(CaptureTest, A32BitProgramReadingTheConsoleAndTypingIntoAPtyIsSeen) {
  if (std::string(SOUSVEIL_COMPAT32).empty())
    GTEST_SKIP() << "gcc -m32 does not work here: install gcc-multilib (scripts/install-deps)";
  const std::string helper = real_exe(SOUSVEIL_COMPAT32);
  auto agent = start_agent();
  // No 32-bit program ran since the agent started: its compat programs wait.
  // The helper starts, then acts once the agent has had a moment to attach
  // them (the window between a 32-bit exec and the attach is documented).
  ChildGuard prog(spawn({SOUSVEIL_COMPAT32, "--wait-ms", "500", "--hold"}));
  const pid_t pid = prog.pid();
  auto is_vcs_open = [&](const EnrichedEvent& e) {
    return event_of(pid, EventKind::DeviceOpen)(e) && e.raw.device().device_class == DeviceClass::Vcs;
  };
  auto open_ev = agent->wait_for(is_vcs_open, kEventTimeout);
  ASSERT_TRUE(open_ev) << "no device_open of /dev/vcs by the 32-bit program (pid " << pid << ")";
  auto io_ev = agent->wait_for(event_of(pid, EventKind::DeviceIoctl), kEventTimeout);
  ASSERT_TRUE(io_ev) << "no device_ioctl (TIOCSTI) by the 32-bit program";
  // Read rates are collected every second.
  auto read_ev = agent->wait_for(event_of(pid, EventKind::DeviceRead), kEventTimeout);
  ASSERT_TRUE(read_ev) << "no device_read of /dev/vcs by the 32-bit program";
  ASSERT_TRUE(wait_exec(pid, helper)) << "the 32-bit program exited early";

  const auto& d = open_ev->raw.device();
  EXPECT_EQ(open_ev->raw.origin, Origin::CompatSyscall);
  EXPECT_EQ(d.path, "/dev/vcs");
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 0U);
  EXPECT_EQ(d.err, 0);
  EXPECT_GE(d.fd, 0);
  EXPECT_TRUE(d.syscall_nr == 2 || d.syscall_nr == 257) << d.syscall_nr;  // open or openat
  EXPECT_EQ(open_ev->process.exe, helper);
  EXPECT_EQ(open_ev->process.comm, fs::path(helper).filename().string().substr(0, 15));
  expect_rule(*agent, pid, EventKind::DeviceOpen, "screen.console-text-read");

  const auto& io = std::get<IoctlInfo>(io_ev->raw.payload);
  EXPECT_EQ(io_ev->raw.origin, Origin::CompatSyscall);
  EXPECT_EQ(io.name, "TIOCSTI");
  EXPECT_EQ(io.cmd, static_cast<std::uint32_t>(TIOCSTI));
  EXPECT_EQ(io.device.device_class, DeviceClass::Pty);
  EXPECT_EQ(io_ev->process.exe, helper);
  expect_rule(*agent, pid, EventKind::DeviceIoctl, "terminal.tiocsti-injection");

  const auto& rd = std::get<ReadInfo>(read_ev->raw.payload);
  EXPECT_EQ(rd.device.device_class, DeviceClass::Vcs);
  EXPECT_EQ(rd.device.fd, d.fd);
  EXPECT_EQ(rd.bytes, 256U) << "the program reads 256 bytes once";
  EXPECT_EQ(rd.reads, 1U);
}

// ---------------------------------------------------------------- no bypass: io_uring

TEST_F(CaptureTest, AnIoUringOpenAndReadOfTheConsoleScreenIsSeen) {
  if (std::string(SOUSVEIL_URING_VCS).empty())
    GTEST_SKIP() << "liburing is missing: install liburing-dev (scripts/install-deps)";
  const std::string helper = real_exe(SOUSVEIL_URING_VCS);
  auto agent = start_agent();
  ChildGuard prog(spawn({SOUSVEIL_URING_VCS, "--hold"}));
  const pid_t pid = prog.pid();
  auto open_ev = agent->wait_for(event_of(pid, EventKind::DeviceOpen), kEventTimeout);
  ASSERT_TRUE(open_ev) << "no device_open for the io_uring open of /dev/vcs (pid " << pid << ")";
  auto read_ev = agent->wait_for(event_of(pid, EventKind::DeviceRead), kEventTimeout);
  ASSERT_TRUE(read_ev) << "no device_read for the io_uring read of /dev/vcs";
  ASSERT_TRUE(wait_exec(pid, helper)) << "the io_uring program exited early";

  const auto& d = open_ev->raw.device();
  EXPECT_EQ(open_ev->raw.origin, Origin::IoUring);
  EXPECT_EQ(d.device_class, DeviceClass::Vcs);
  EXPECT_EQ(d.path, "/dev/vcs");
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 0U);
  EXPECT_EQ(d.err, 0);
  EXPECT_GE(d.fd, 0);
  EXPECT_EQ(open_ev->process.exe, helper);
  expect_rule(*agent, pid, EventKind::DeviceOpen, "screen.console-text-read");

  const auto& rd = std::get<ReadInfo>(read_ev->raw.payload);
  EXPECT_EQ(rd.device.device_class, DeviceClass::Vcs);
  EXPECT_EQ(rd.device.fd, d.fd) << "the read is counted against the fd io_uring was given";
  EXPECT_GT(rd.bytes, 0U);
  EXPECT_EQ(rd.reads, 1U);
  EXPECT_EQ(read_ev->process.exe, helper);
  expect_rule(*agent, pid, EventKind::DeviceRead, "screen.console-text-reading");
  // A plain 64-bit read path would have said syscall: this came through io_uring only.
  for (const auto& e : events_of(*agent, pid, EventKind::DeviceOpen))
    EXPECT_EQ(e.raw.origin, Origin::IoUring);
}

TEST_F(CaptureTest, AFailedIoUringOpenOfAnInputNodeIsAnAttempt) {
  if (std::string(SOUSVEIL_URING_VCS).empty())
    GTEST_SKIP() << "liburing is missing: install liburing-dev (scripts/install-deps)";
  TempDir dir("sv-uring-");
  ASSERT_FALSE(dir.path().empty());
  const auto node = dir.path() / "event0";
  ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0600, makedev(13, 64)), 0) << strerror(errno);
  auto agent = start_agent();
  pid_t pid = spawn({SOUSVEIL_URING_VCS, "--path", node.string()});
  EXPECT_EQ(WEXITSTATUS(wait_child(pid)), 4) << "the io_uring open of a 13:64 node succeeded?";
  auto ev = agent->wait_for(event_of(pid, EventKind::DeviceOpen), kEventTimeout);
  ASSERT_TRUE(ev) << "no device_open for the failed io_uring open of " << node;
  const auto& d = ev->raw.device();
  EXPECT_EQ(ev->raw.origin, Origin::IoUring);
  EXPECT_EQ(d.err, ENXIO);
  EXPECT_EQ(d.path, node.string()) << "the path as submitted";
  EXPECT_EQ(d.device_class, DeviceClass::Input);
  EXPECT_EQ(d.major, 13U);
  EXPECT_EQ(d.minor, 64U);
  expect_rule(*agent, pid, EventKind::DeviceOpen, "keystrokes.input-device-attempt");
}

// ---------------------------------------------------------------- other BPF programs

// Polls the BPF inventory until a program held by pid has an attach point.
std::optional<BpfInfo> wait_for_program_of(pid_t pid, std::chrono::milliseconds timeout = 30s) {
  ProcFs procfs;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto found = bpf_inventory(procfs, {}); found.ok()) {
      for (const auto& ev : *found) {
        const auto& b = std::get<BpfInfo>(ev.payload);
        if (ev.process.pid == static_cast<std::uint32_t>(pid) && !b.attach_point.empty()) return b;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

auto inventory_of(pid_t pid) {
  return [pid](const EnrichedEvent& e) {
    return e.raw.kind == EventKind::BpfProgram && e.raw.source == EventSource::Inventory &&
           e.process.pid == static_cast<std::uint32_t>(pid);
  };
}

TEST_F(CaptureTest, ABpftraceKeyloggerOnReadIsSeenLoadingAndInTheInventory) {
  ASSERT_NO_FATAL_FAILURE(require_program("/usr/bin/bpftrace", "bpftrace"));
  auto live_agent = start_agent();
  // Prints one-byte reads: what a terminal keylogger built on read(2) does.
  ChildGuard bt(spawn({"/usr/bin/bpftrace", "-e",
                       "tracepoint:syscalls:sys_enter_read /args->count == 1/ { printf(\"%s\", "
                       "str(args->buf)); }"}));
  const pid_t pid = bt.pid();
  auto load = live_agent->wait_for(
      [&](const EnrichedEvent& e) {
        if (!event_of(pid, EventKind::BpfProgram)(e)) return false;
        const auto& b = std::get<BpfInfo>(e.raw.payload);
        return b.op == "load" && b.prog_type == "tracepoint";
      },
      30s);
  ASSERT_TRUE(load) << "no bpf_program load event for bpftrace (pid " << pid << ")";
  const auto& lb = std::get<BpfInfo>(load->raw.payload);
  EXPECT_EQ(load->process.exe, "/usr/bin/bpftrace");
  EXPECT_EQ(load->process.comm, "bpftrace");
  EXPECT_EQ(lb.prog_name, "sys_enter_read");
  EXPECT_TRUE(has(lb.helpers, "probe_read_user")) << "helpers: " << joined(lb.helpers);

  auto attached = wait_for_program_of(pid);
  ASSERT_TRUE(attached) << "bpftrace's program never showed attached in the inventory";
  live_agent.reset();

  // A new agent finds it already running.
  auto agent = start_agent();
  auto ev = agent->wait_for(inventory_of(pid), kEventTimeout);
  ASSERT_TRUE(ev) << "bpftrace's program is not in the inventory of a new agent";
  const auto& b = std::get<BpfInfo>(ev->raw.payload);
  EXPECT_EQ(b.prog_type, "tracepoint");
  EXPECT_EQ(b.attach_point, "syscalls/sys_enter_read");
  EXPECT_TRUE(has(b.helpers, "probe_read_user_str")) << "helpers: " << joined(b.helpers);
  EXPECT_EQ(ev->process.exe, "/usr/bin/bpftrace");
  EXPECT_EQ(ev->process.comm, "bpftrace");
  expect_rule(*agent, pid, EventKind::BpfProgram, "kernel-hook.bpf-syscall-read");
}

TEST_F(CaptureTest, ABpftraceUprobeOnReadlineIsListedWithItsFileAndSymbol) {
  ASSERT_NO_FATAL_FAILURE(require_program("/usr/bin/bpftrace", "bpftrace"));
  ChildGuard bt(spawn({"/usr/bin/bpftrace", "-e", "uprobe:/bin/bash:readline { printf(\"%d\\n\", pid); }"}));
  const pid_t pid = bt.pid();
  auto attached = wait_for_program_of(pid);
  ASSERT_TRUE(attached) << "bpftrace's uprobe never showed attached in the inventory";

  auto agent = start_agent();
  auto ev = agent->wait_for(inventory_of(pid), kEventTimeout);
  ASSERT_TRUE(ev) << "bpftrace's uprobe is not in the inventory";
  const auto& b = std::get<BpfInfo>(ev->raw.payload);
  EXPECT_EQ(b.prog_type, "kprobe") << "uprobes are kprobe-type programs";
  auto colon = b.attach_point.rfind(':');
  ASSERT_NE(colon, std::string::npos) << b.attach_point;
  EXPECT_EQ(b.attach_point.substr(colon + 1), "readline");
  EXPECT_EQ(real_exe(b.attach_point.substr(0, colon)), real_exe("/bin/bash"));
  EXPECT_EQ(ev->process.exe, "/usr/bin/bpftrace");
  expect_rule(*agent, pid, EventKind::BpfProgram, "kernel-hook.bpf-uprobe-input");
}

}  // namespace
}  // namespace sousveil
