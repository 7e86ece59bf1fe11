// SPDX-License-Identifier: Apache-2.0
// The X11 sensor against a real Xvfb that needs an authority cookie, as a
// login session's server does, and real X clients: xwd (GetImage), xinput
// test-xi2 --root (raw keys), ffmpeg x11grab (MIT-SHM), a python3-xlib RECORD
// keylogger, xdotool type (XTEST). Also: the server killed and restarted under
// the agent, and the agent's CPU while a client grabs the screen in a loop.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

constexpr auto kEventTimeout = 10s;

double cpu_seconds_of_self() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto close = text.rfind(')');
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class X11Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    require("/usr/bin/Xvfb", "xvfb");
    require("/usr/bin/xauth", "xauth");
    if (HasFatalFailure()) return;
    char dir[] = "/tmp/sv-x11-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    m_dir = dir;
    m_cookie_file = m_dir / "cookie";
    start_server();
    if (HasFatalFailure()) return;
  }

  void TearDown() override {
    stop_server(SIGTERM);
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  }

  void require(const std::string& path, const std::string& package) {
    ASSERT_EQ(access(path.c_str(), X_OK), 0) << path << " is missing: install " << package
                                             << " (scripts/install-deps)";
  }

  // An Xvfb that only lets in clients with the cookie, on a free display.
  void start_server() {
    std::mt19937_64 rng(std::random_device{}());
    char hex[33];
    snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(rng()),
             static_cast<unsigned long long>(rng()));
    for (int n = m_display >= 0 ? m_display : 120 + getpid() % 100, tries = 0; tries < 20; ++n, ++tries) {
      auto socket = "/tmp/.X11-unix/X" + std::to_string(n);
      if (m_display < 0 && (fs::exists("/tmp/.X" + std::to_string(n) + "-lock") || fs::exists(socket))) continue;
      fs::remove(m_cookie_file);
      auto add = testing::run_capture({"/usr/bin/xauth", "-f", m_cookie_file.string(), "add",
                                       ":" + std::to_string(n), ".", hex});
      ASSERT_EQ(add.exit_code, 0) << "xauth add failed: " << add.err;
      pid_t pid = spawn({"/usr/bin/Xvfb", ":" + std::to_string(n), "-auth", m_cookie_file.string(), "-nolisten",
                         "tcp", "-screen", "0", "320x240x24"},
                        [] { setpgid(0, 0); });
      if (wait_socket(pid, socket)) {
        m_display = n;
        m_xvfb = pid;
        return;
      }
      kill(pid, SIGKILL);
      wait_child(pid);
      if (m_display >= 0) break;  // a restart must reuse the display
    }
    FAIL() << "Xvfb did not start";
  }

  void stop_server(int sig) {
    if (m_xvfb <= 0) return;
    kill(m_xvfb, sig);
    wait_child(m_xvfb);
    m_xvfb = -1;
  }

  static bool wait_socket(pid_t pid, const std::string& socket) {
    for (int i = 0; i < 1000; ++i) {
      if (fs::exists(socket)) return true;
      if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string display() const { return ":" + std::to_string(m_display); }

  // A client of the test display, with the cookie, as a session's programs run.
  pid_t client(const std::vector<std::string>& argv) {
    std::string d = display(), cookie = m_cookie_file.string();
    return spawn(argv, [d, cookie] {
      setenv("DISPLAY", d.c_str(), 1);
      setenv("XAUTHORITY", cookie.c_str(), 1);
      setpgid(0, 0);
    });
  }

  std::unique_ptr<AgentHarness> start_agent(AgentOptions options = {}) {
    options.rule_sources = {SOUSVEIL_RULES_DIR};
    auto agent = std::make_unique<AgentHarness>(std::move(options));
    auto r = agent->start();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return agent;
  }

  // The x11 sensor's status, and whether it says this display is in `state`.
  static std::optional<SensorStatus> x11_status(AgentHarness& agent) {
    for (const auto& s : agent.flush_and_status().sensors)
      if (s.name == "x11") return s;
    return std::nullopt;
  }
  bool wait_display_state(AgentHarness& agent, const std::string& state, std::chrono::milliseconds timeout,
                          SensorStatus* last = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string want = display() + " " + state;
    while (std::chrono::steady_clock::now() < deadline) {
      auto s = x11_status(agent);
      if (s && last) *last = *s;
      if (s && s->detail.find(want) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  void wait_recording(AgentHarness& agent) {
    SensorStatus last;
    ASSERT_TRUE(wait_display_state(agent, "recording", 10s, &last))
        << "the x11 sensor is not recording " << display() << ": " << last.detail;
  }

  // The first x11_request of this process with this request name.
  std::optional<EnrichedEvent> wait_request(AgentHarness& agent, pid_t pid, const std::string& request,
                                            std::function<bool(const X11Info&)> also = {}) {
    return agent.wait_for(
        [&](const EnrichedEvent& e) {
          if (e.raw.kind != EventKind::X11Request || e.process.pid != static_cast<std::uint32_t>(pid)) return false;
          const auto& x = std::get<X11Info>(e.raw.payload);
          return x.display == display() && x.request == request && (!also || also(x));
        },
        kEventTimeout);
  }

  // What the agent reported on this display, for failure messages.
  std::string x11_events(AgentHarness& agent) const {
    std::string out;
    for (const auto& e : agent.sink().events()) {
      const auto* x = std::get_if<X11Info>(&e.raw.payload);
      if (!x || x->display != display()) continue;
      out += "\n  " + x->request + " " + x->detail + " count=" + std::to_string(x->count) + " client=" +
             std::to_string(x->client) + " pid=" + std::to_string(e.process.pid) + " " + e.process.exe;
    }
    return out.empty() ? " (no x11_request events on " + display() + ")" : out;
  }

  static bool fired(AgentHarness& agent, pid_t pid, const std::string& rule) {
    for (const auto& id : agent.sink().rules_fired_for(static_cast<std::uint32_t>(pid), EventKind::X11Request))
      if (id == rule) return true;
    return false;
  }

  fs::path m_dir;
  fs::path m_cookie_file;
  int m_display = -1;
  pid_t m_xvfb = -1;
};

TEST_F(X11Test, XwdOfTheRootIsAGetImageOfTheRootByXwd) {
  require("/usr/bin/xwd", "x11-apps");
  auto agent = start_agent();
  wait_recording(*agent);
  pid_t xwd = client({"/usr/bin/xwd", "-root", "-silent", "-out", "/dev/null"});
  auto ev = wait_request(*agent, xwd, "GetImage");
  int status = wait_child(xwd);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "xwd could not dump the root window";
  ASSERT_TRUE(ev) << "no GetImage event for xwd (pid " << xwd << "); seen:" << x11_events(*agent);
  const auto& x = std::get<X11Info>(ev->raw.payload);
  EXPECT_EQ(ev->raw.source, EventSource::X11);
  EXPECT_EQ(ev->process.exe, "/usr/bin/xwd");
  EXPECT_EQ(ev->process.comm, "xwd");
  EXPECT_EQ(x.detail, "root");
  EXPECT_TRUE(x.root);
  EXPECT_EQ(x.extension, "");
  EXPECT_EQ(x.major, 73);
  EXPECT_NE(x.client, 0U);
  // Named by the X server, or (when xwd was gone before it could answer) by its connect.
  EXPECT_TRUE(x.named_by == "x-resource" || x.named_by == "connect") << x.named_by;
  EXPECT_TRUE(fired(*agent, xwd, "screen.x11-screenshot"));
  // The agent's own connections are never reported.
  for (const auto& e : agent->sink().events())
    if (e.raw.kind == EventKind::X11Request) {
      EXPECT_NE(e.process.pid, static_cast<std::uint32_t>(getpid()));
    }
}

TEST_F(X11Test, XinputTestXi2OnTheRootSelectsRawKeys) {
  require("/usr/bin/xinput", "xinput");
  auto agent = start_agent();
  wait_recording(*agent);
  pid_t xinput = client({"/usr/bin/xinput", "test-xi2", "--root"});
  auto ev = wait_request(*agent, xinput, "XISelectEvents",
                         [](const X11Info& x) { return x.detail == "raw-keys-root"; });
  kill(-xinput, SIGKILL);
  wait_child(xinput);
  ASSERT_TRUE(ev) << "no XISelectEvents raw-keys-root event for xinput (pid " << xinput << ")";
  const auto& x = std::get<X11Info>(ev->raw.payload);
  EXPECT_EQ(ev->process.exe, "/usr/bin/xinput");
  EXPECT_EQ(x.extension, "XInputExtension");
  EXPECT_TRUE(x.root);
  EXPECT_NE(std::find(x.mask.begin(), x.mask.end(), "RawKeyPress"), x.mask.end());
  EXPECT_TRUE(fired(*agent, xinput, "keystrokes.x11-raw-keys"));
}

TEST_F(X11Test, FfmpegX11grabUsesShmGetImageAndIsFoldedIntoARate) {
  require("/usr/bin/ffmpeg", "ffmpeg");
  auto agent = start_agent();
  wait_recording(*agent);
  pid_t ffmpeg = client({"/usr/bin/ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-framerate", "30",
                         "-video_size", "64x64", "-i", display(), "-frames:v", "45", "-f", "null", "-"});
  auto first = wait_request(*agent, ffmpeg, "ShmGetImage");
  int status = wait_child(ffmpeg);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "ffmpeg could not grab " << display();
  ASSERT_TRUE(first) << "no ShmGetImage event for ffmpeg (pid " << ffmpeg << ")";
  const auto& x = std::get<X11Info>(first->raw.payload);
  EXPECT_EQ(first->process.exe, fs::canonical("/usr/bin/ffmpeg").string());
  EXPECT_EQ(x.extension, "MIT-SHM");
  EXPECT_EQ(x.detail, "root");
  EXPECT_EQ(x.count, 1U);
  EXPECT_EQ(x.rate, 0U);  // a first sighting
  // 45 frames in ~1.5 s: the rest arrive folded (at the next tick or when ffmpeg disconnects).
  auto folded = wait_request(*agent, ffmpeg, "ShmGetImage", [](const X11Info& i) { return i.count > 1; });
  ASSERT_TRUE(folded) << "the repeated grabs were not reported as a count";
  std::uint32_t total = 0, events = 0;
  for (const auto& e : agent->sink().events()) {
    if (e.raw.kind != EventKind::X11Request || e.process.pid != static_cast<std::uint32_t>(ffmpeg)) continue;
    const auto& i = std::get<X11Info>(e.raw.payload);
    if (i.request != "ShmGetImage") continue;
    total += i.count;
    ++events;
  }
  // x11grab grabs at most once a frame, fewer when the machine is slow (frames are then repeated).
  EXPECT_GT(total, events) << "grabs are folded into counts; seen:" << x11_events(*agent);
  EXPECT_LE(events, 6U) << "grabs are folded, not one event each; seen:" << x11_events(*agent);
  EXPECT_TRUE(fired(*agent, ffmpeg, "screen.x11-screenshot"));
}

TEST_F(X11Test, APythonRecordKeyloggerCreatesAndEnablesAContext) {
  require("/usr/bin/python3", "python3");
  ASSERT_EQ(testing::run_capture({"/usr/bin/python3", "-c", "import Xlib.ext.record"}).exit_code, 0)
      << "python3-xlib is missing (scripts/install-deps)";
  auto agent = start_agent();
  wait_recording(*agent);
  pid_t py = client({"/usr/bin/python3", SOUSVEIL_X11_RECORD_PY, "1"});
  auto create = wait_request(*agent, py, "RecordCreateContext");
  auto enable = wait_request(*agent, py, "RecordEnableContext");
  wait_child(py);
  ASSERT_TRUE(create) << "no RecordCreateContext event for the script (pid " << py << ")";
  ASSERT_TRUE(enable) << "no RecordEnableContext event for the script";
  const auto& x = std::get<X11Info>(create->raw.payload);
  EXPECT_EQ(create->process.exe, fs::canonical("/usr/bin/python3").string());
  EXPECT_EQ(x.extension, "RECORD");
  EXPECT_EQ(x.detail, "all-clients");
  EXPECT_EQ(x.mask, (std::vector<std::string>{"KeyPress", "KeyRelease"}));
  EXPECT_TRUE(fired(*agent, py, "keystrokes.x11-record"));
}

TEST_F(X11Test, XdotoolTypeIsXTestFakeInput) {
  require("/usr/bin/xdotool", "xdotool");
  auto agent = start_agent();
  wait_recording(*agent);
  pid_t xdo = client({"/usr/bin/xdotool", "type", "--delay", "1", "hello"});
  auto ev = wait_request(*agent, xdo, "XTestFakeInput");
  wait_child(xdo);
  ASSERT_TRUE(ev) << "no XTestFakeInput event for xdotool (pid " << xdo << "); seen:" << x11_events(*agent);
  const auto& x = std::get<X11Info>(ev->raw.payload);
  EXPECT_EQ(ev->process.exe, "/usr/bin/xdotool");
  EXPECT_EQ(x.extension, "XTEST");
  EXPECT_TRUE(x.detail == "key-press" || x.detail == "key-release") << x.detail;
  EXPECT_TRUE(fired(*agent, xdo, "injection.x11-fake-input"));
}

TEST_F(X11Test, ServerKilledAndRestartedUnderTheAgent) {
  auto agent = start_agent();
  wait_recording(*agent);
  stop_server(SIGKILL);
  SensorStatus last;
  ASSERT_TRUE(wait_display_state(*agent, "failed", 10s, &last)) << "the lost server is not reported: " << last.detail;
  std::cout << "[ x11      ] after the kill: " << to_string(last.state) << ": " << last.detail << "\n";
  if (last.detail.find("; ") == std::string::npos) {  // no other display on this machine
    EXPECT_EQ(last.state, SensorState::Failed);
  }
  start_server();
  ASSERT_GT(m_xvfb, 0);
  ASSERT_TRUE(wait_display_state(*agent, "recording", 15s, &last)) << "no reconnect: " << last.detail;
  EXPECT_EQ(last.state, SensorState::Running);
  // And it sees requests again.
  if (access("/usr/bin/xwd", X_OK) == 0) {
    pid_t xwd = client({"/usr/bin/xwd", "-root", "-silent", "-out", "/dev/null"});
    auto ev = wait_request(*agent, xwd, "GetImage");
    wait_child(xwd);
    EXPECT_TRUE(ev) << "no GetImage after the reconnect; seen:" << x11_events(*agent);
  }
}

// Prints the agent's CPU while a client grabs the screen as fast as it can,
// and while the display is idle. The eBPF side is off so the figure is the
// X11 sensor's (and the agent loop's) alone.
TEST_F(X11Test, CpuWhileAClientGrabsInALoopAndWhileIdle) {
  AgentOptions options;
  options.use_bpf = false;
  options.fallback_interval = std::chrono::hours(1);
  auto agent = start_agent(options);
  wait_recording(*agent);

  double before = cpu_seconds_of_self();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(5s);
  double idle = (cpu_seconds_of_self() - before) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto out_file = m_dir / "loop.out";
  std::string d = display(), cookie = m_cookie_file.string(), out = out_file.string();
  pid_t loop = spawn({"/usr/bin/python3", SOUSVEIL_X11_GETIMAGE_PY, "5"}, [d, cookie, out] {
    setenv("DISPLAY", d.c_str(), 1);
    setenv("XAUTHORITY", cookie.c_str(), 1);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
  });
  before = cpu_seconds_of_self();
  t0 = std::chrono::steady_clock::now();
  wait_child(loop);
  std::this_thread::sleep_for(1100ms);  // the last fold
  double busy = (cpu_seconds_of_self() - before) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ifstream in(out_file);
  std::uint64_t requests = 0;
  in >> requests;
  std::uint64_t counted = 0, events = 0;
  for (const auto& e : agent->sink().events()) {
    if (e.raw.kind != EventKind::X11Request || e.process.pid != static_cast<std::uint32_t>(loop)) continue;
    counted += std::get<X11Info>(e.raw.payload).count;
    ++events;
  }
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::cout << "[ x11 cpu  ] idle display: " << idle * 100 << "% of a core (clock tick " << tick * 1000
            << " ms, so below " << tick / 5 * 100 << "% reads as 0); GetImage loop (" << requests
            << " requests in 5 s, " << events << " events, " << counted << " counted): " << busy * 100
            << "% of a core\n";
  EXPECT_GT(requests, 0U) << "the GetImage loop did not run";
  EXPECT_EQ(counted, requests) << "every GetImage is counted in the folded events";
  EXPECT_LT(events, 12U) << "a loop is folded into about one event a second";
}

}  // namespace
}  // namespace sousveil
