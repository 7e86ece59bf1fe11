// SPDX-License-Identifier: Apache-2.0
// The PipeWire sensor against a real PipeWire daemon and WirePlumber session
// manager (headless: a private session bus, no sound card, a virtual
// microphone) and a real pw-record: the recorder's stream is reported with
// the pid the daemon took from its socket, and once WirePlumber links it to
// the microphone, with what that source is.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.h"
#include "sensors/pipewire/pipewire_sensor.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Stops a child, or the process group it leads, however the test ends.
class Child {
 public:
  explicit Child(pid_t pid, bool group = false) : m_pid(pid), m_group(group) {}
  ~Child() {
    if (m_pid <= 0) return;
    if (!m_group || kill(-m_pid, SIGTERM) != 0) kill(m_pid, SIGTERM);
    wait_child(m_pid);
    if (m_group) kill(-m_pid, SIGKILL);
  }
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid;
  bool m_group;
};

class PipewireSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    for (const char* tool : {"/usr/bin/pipewire", "/usr/bin/wireplumber", "/usr/bin/dbus-run-session",
                             "/usr/bin/pw-record", "/usr/bin/pw-cli"})
      if (access(tool, X_OK) != 0) GTEST_SKIP() << tool << " is not installed (scripts/install-deps)";
    char tmpl[] = "/tmp/sv-pw-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
    m_runtime = m_dir / "run-user" / "0";
    fs::create_directories(m_runtime);
    chmod(m_runtime.c_str(), 0700);
  }
  void TearDown() override {
    m_daemon.reset();
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  }
  std::vector<std::string> in_session(std::vector<std::string> argv) const {
    // No session bus: the daemon's portal and realtime modules say so and go on.
    argv.insert(argv.begin(), {"/usr/bin/env", "-u", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR=" + m_runtime.string()});
    return argv;
  }
  // PipeWire and WirePlumber on a private session bus, as a desktop session runs them.
  bool start_daemon() {
    m_daemon = std::make_unique<Child>(
        spawn(in_session({"/usr/bin/dbus-run-session", "--", "/bin/sh", "-c",
                          "/usr/bin/pipewire & sleep 0.3; /usr/bin/wireplumber & wait"}),
              [] { setpgid(0, 0); }),
        true);
    return wait_until([&] {
      struct stat st {};
      return ::stat((m_runtime / "pipewire-0").c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    });
  }
  static std::string pw_detail(AgentHarness& agent) {
    for (const auto& s : agent.flush_and_status().sensors)
      if (s.name == "pipewire") return s.detail;
    return "";
  }

  fs::path m_dir;
  fs::path m_runtime;
  std::unique_ptr<Child> m_daemon;
};

std::function<bool(const EnrichedEvent&)> stream_of(pid_t pid, std::string state) {
  return [pid, state](const EnrichedEvent& e) {
    const auto* p = std::get_if<PipewireInfo>(&e.raw.payload);
    return e.raw.kind == EventKind::PipewireStream && p && p->state == state &&
           e.process.pid == static_cast<std::uint32_t>(pid);
  };
}

TEST_F(PipewireSensorTest, NoDaemonIsSaidInStatus) {
  AgentOptions o;
  o.runtime_root = m_dir / "run-user";
  AgentHarness agent(o);
  ASSERT_TRUE(agent.start());
  EXPECT_NE(pw_detail(agent).find("no PipeWire daemon runs"), std::string::npos) << pw_detail(agent);
}

TEST_F(PipewireSensorTest, PwRecordIsSeenWithItsPidAndWhatItRecords) {
  ASSERT_TRUE(start_daemon()) << "pipewire did not create its socket";
  // The only source there is: WirePlumber links the recorder to it.
  auto made = testing::run_capture(in_session(
      {"/usr/bin/pw-cli", "create-node", "adapter",
       "{ factory.name=support.null-audio-sink node.name=sv-test-mic media.class=Audio/Source/Virtual "
       "audio.position=[ FL FR ] object.linger=true }"}));
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  AgentOptions o;
  o.runtime_root = m_dir / "run-user";
  AgentHarness agent(o);
  ASSERT_TRUE(agent.start());
  ASSERT_TRUE(wait_until([&] { return pw_detail(agent).find("following the graph of") != std::string::npos; }))
      << pw_detail(agent);

  Child recorder(spawn(in_session({"/usr/bin/pw-record", (m_dir / "out.wav").string()})));
  auto ev = agent.wait_for(stream_of(recorder.pid(), "started"));
  ASSERT_TRUE(ev) << pw_detail(agent);
  const auto& p = std::get<PipewireInfo>(ev->raw.payload);
  EXPECT_EQ(to_string(ev->raw.kind), "pipewire_stream");
  EXPECT_EQ(p.media_class, "Stream/Input/Audio");
  EXPECT_EQ(p.socket, (m_runtime / "pipewire-0").string());
  EXPECT_EQ(p.capture, "audio");
  EXPECT_EQ(ev->process.exe, "/usr/bin/pw-cat");  // pw-record is a link to it
  auto fired = agent.sink().rules_fired_for(recorder.pid(), EventKind::PipewireStream);
  EXPECT_NE(std::find(fired.begin(), fired.end(), "microphone.pipewire-capture-stream"), fired.end());

  auto link_ev = agent.wait_for(stream_of(recorder.pid(), "linked"));
  ASSERT_TRUE(link_ev);
  const auto& l = std::get<PipewireInfo>(link_ev->raw.payload);
  EXPECT_EQ(l.source, "sv-test-mic");
  EXPECT_EQ(l.source_class, "Audio/Source/Virtual");
  EXPECT_EQ(l.capture, "microphone");
}

}  // namespace
}  // namespace sousveil

namespace sousveil {
namespace {

// The sensor alone on its own loop, following a quiet daemon: its CPU.
TEST_F(PipewireSensorTest, IdleCpuIsMeasured) {
  ASSERT_TRUE(start_daemon());
  boost::asio::io_context io;  // outlives the sensor, whose descriptors sit on it
  pipewire::PipewireSensorOptions o;
  o.runtime_root = m_dir / "run-user";
  pipewire::PipewireSensor sensor(o);
  ASSERT_TRUE(sensor.start(io, [](RawEvent&&) {}));
  ASSERT_EQ(sensor.followed().size(), 1U) << sensor.health().detail;
  io.run_for(500ms);  // the registry's first burst
  auto start = testing::thread_cpu_ns();
  auto wall = std::chrono::steady_clock::now();
  io.run_for(3s);
  double used = static_cast<double>(testing::thread_cpu_ns() - start);
  double elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall).count();
  std::printf("pipewire sensor idle: %.4f%% of a core (%.0f us CPU over %.1f s, 1 daemon followed)\n",
              100.0 * used / elapsed, used / 1000.0, elapsed / 1e9);
  EXPECT_EQ(sensor.followed().size(), 1U);
  sensor.stop();
}

}  // namespace
}  // namespace sousveil
