// SPDX-License-Identifier: Apache-2.0
// The D-Bus sensor against real dbus-daemons: a session bus owned by another
// user (the sensor authenticates as that user) and a system bus, both in a
// temporary directory, and real gdbus calls to the portals. Each test runs
// the real agent and checks the event, the caller's pid and exe, and the rule.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sensors/dbus/dbus_sensor.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::AgentHarness;
using testing::spawn;
using testing::wait_child;

constexpr std::uint32_t kUser = 65534;  // nobody: the session bus's owner, not root
constexpr const char* kGdbus = "/usr/bin/gdbus";

std::string missing_tools() {
  for (const char* tool : {"/usr/bin/dbus-daemon", kGdbus, "/usr/bin/setpriv"})
    if (access(tool, X_OK) != 0) return std::string(tool) + " is not installed (scripts/install-deps)";
  return "";
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// A dbus-daemon on a socket in a temporary directory; killed with the test.
class Daemon {
 public:
  // A session bus run as uid, at dir/bus.
  static Daemon session(const fs::path& dir, std::uint32_t uid) {
    fs::create_directories(dir);
    chown(dir.c_str(), uid, uid);
    chmod(dir.c_str(), 0700);
    auto socket = dir / "bus";
    return Daemon(spawn({"/usr/bin/setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(uid),
                         "--clear-groups", "/usr/bin/dbus-daemon", "--session", "--nofork",
                         "--address=unix:path=" + socket.string()}),
                  socket);
  }
  // A system bus (root, its own config) at socket.
  static Daemon system(const fs::path& socket) {
    auto conf = socket.parent_path() / "system.conf";
    std::ofstream(conf) << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                           " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                           "<busconfig><type>system</type><listen>unix:path="
                        << socket.string()
                        << "</listen><auth>EXTERNAL</auth><policy context=\"default\">"
                           "<allow user=\"*\"/><allow own=\"*\"/><allow send_destination=\"*\"/>"
                           "<allow receive_type=\"method_call\"/><allow receive_type=\"method_return\"/>"
                           "<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>"
                           "</policy></busconfig>\n";
    return Daemon(spawn({"/usr/bin/dbus-daemon", "--config-file=" + conf.string(), "--nofork"}), socket);
  }
  Daemon(Daemon&& o) noexcept : m_pid(std::exchange(o.m_pid, -1)), m_socket(std::move(o.m_socket)) {}
  ~Daemon() { stop(); }
  void stop() {
    if (m_pid <= 0) return;
    kill(m_pid, SIGTERM);
    wait_child(m_pid);
    m_pid = -1;
  }
  bool ready() const {
    return wait_until([&] {
      struct stat st {};
      return ::stat(m_socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    });
  }
  const fs::path& socket() const { return m_socket; }

 private:
  Daemon(pid_t pid, fs::path socket) : m_pid(pid), m_socket(std::move(socket)) {}
  pid_t m_pid;
  fs::path m_socket;
};

// Runs gdbus call (as uid, when given) and returns its pid once it exited.
pid_t gdbus_call(const fs::path& socket, const std::string& method, const std::vector<std::string>& args,
                 std::optional<std::uint32_t> uid = {}) {
  std::vector<std::string> argv;
  if (uid) argv = {"/usr/bin/setpriv", "--reuid=" + std::to_string(*uid), "--regid=" + std::to_string(*uid),
                   "--clear-groups"};
  for (const char* a : {kGdbus, "call", "--address"}) argv.emplace_back(a);
  argv.push_back("unix:path=" + socket.string());
  for (const char* a : {"--dest", "org.freedesktop.portal.Desktop", "--object-path", "/org/freedesktop/portal/desktop",
                        "--method"})
    argv.emplace_back(a);
  argv.push_back(method);
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv);
  // No portal answers here: the daemon says ServiceUnknown and gdbus exits.
  // The monitor saw the call regardless.
  wait_child(pid);
  return pid;
}

class DbusSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
    char tmpl[] = "/tmp/sv-dbus-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
    chmod(m_dir.c_str(), 0755);
    fs::create_directories(runtime_root());
  }
  void TearDown() override {
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  }
  fs::path runtime_root() const { return m_dir / "run-user"; }
  fs::path system_socket() const { return m_dir / "system_bus_socket"; }
  AgentOptions options() const {
    AgentOptions o;
    o.dbus_system_bus = system_socket();
    o.runtime_root = runtime_root();
    return o;
  }
  static std::string dbus_detail(AgentHarness& agent) {
    for (const auto& s : agent.flush_and_status().sensors)
      if (s.name == "dbus") return s.detail;
    return "";
  }
  static bool monitoring(AgentHarness& agent, const std::string& what) {
    return wait_until([&] {
      auto d = dbus_detail(agent);
      auto cut = d.find("not monitored");
      return d.substr(0, cut).find(what) != std::string::npos;
    });
  }
  static std::function<bool(const EnrichedEvent&)> call_of(std::string member) {
    return [member](const EnrichedEvent& e) {
      const auto* d = std::get_if<DbusInfo>(&e.raw.payload);
      return e.raw.kind == EventKind::DbusCall && d && d->member == member;
    };
  }

  fs::path m_dir;
};

TEST_F(DbusSensorTest, SessionBusCallNamesTheCallerAsTheBusOwnerSeesIt) {
  auto daemon = Daemon::session(runtime_root() / std::to_string(kUser), kUser);
  ASSERT_TRUE(daemon.ready());
  AgentHarness agent(options());
  ASSERT_TRUE(agent.start());
  ASSERT_TRUE(monitoring(agent, "session bus of uid 65534")) << dbus_detail(agent);

  pid_t pid = gdbus_call(daemon.socket(), "org.freedesktop.portal.ScreenCast.CreateSession", {"{}"}, kUser);
  auto ev = agent.wait_for(call_of("CreateSession"));
  ASSERT_TRUE(ev) << "no dbus_call event; sensor: " << dbus_detail(agent);
  const auto& d = std::get<DbusInfo>(ev->raw.payload);
  EXPECT_EQ(to_string(ev->raw.kind), "dbus_call");
  EXPECT_EQ(ev->raw.source, EventSource::Dbus);
  EXPECT_EQ(d.bus, "session");
  EXPECT_EQ(d.bus_uid, kUser);
  EXPECT_EQ(d.interface, "org.freedesktop.portal.ScreenCast");
  EXPECT_EQ(d.destination, "org.freedesktop.portal.Desktop");
  EXPECT_EQ(d.path, "/org/freedesktop/portal/desktop");
  EXPECT_TRUE(d.sender.starts_with(":1.")) << d.sender;
  EXPECT_EQ(ev->process.pid, static_cast<std::uint32_t>(pid));
  EXPECT_EQ(ev->process.exe, kGdbus);
  EXPECT_EQ(ev->process.uid, kUser);
}

TEST_F(DbusSensorTest, SystemBusScreenshotCarriesTheInteractiveFlagAndFiresTheRule) {
  auto daemon = Daemon::system(system_socket());
  ASSERT_TRUE(daemon.ready());
  AgentHarness agent(options());
  ASSERT_TRUE(agent.start());
  ASSERT_TRUE(monitoring(agent, "system bus")) << dbus_detail(agent);

  pid_t pid = gdbus_call(daemon.socket(), "org.freedesktop.portal.Screenshot.Screenshot",
                         {"", "{'interactive': <false>}"});
  auto ev = agent.wait_for(call_of("Screenshot"));
  ASSERT_TRUE(ev) << dbus_detail(agent);
  const auto& d = std::get<DbusInfo>(ev->raw.payload);
  EXPECT_EQ(d.bus, "system");
  EXPECT_EQ(d.detail, "interactive=false");
  EXPECT_EQ(ev->process.pid, static_cast<std::uint32_t>(pid));
  EXPECT_EQ(ev->process.exe, kGdbus);
  auto fired = agent.sink().rules_fired_for(pid, EventKind::DbusCall);
  EXPECT_NE(std::find(fired.begin(), fired.end(), "screen.portal-screenshot"), fired.end());
}

TEST_F(DbusSensorTest, SessionBusThatAppearsLaterIsPickedUpAndDroppedWhenItGoes) {
  AgentHarness agent(options());
  ASSERT_TRUE(agent.start());
  EXPECT_TRUE(wait_until([&] { return dbus_detail(agent).find("no session bus") != std::string::npos; }))
      << dbus_detail(agent);

  // A user logs in: the runtime directory, then the bus, appear.
  auto daemon = Daemon::session(runtime_root() / std::to_string(kUser), kUser);
  ASSERT_TRUE(daemon.ready());
  ASSERT_TRUE(monitoring(agent, "session bus of uid 65534")) << dbus_detail(agent);
  pid_t pid = gdbus_call(daemon.socket(), "org.freedesktop.portal.RemoteDesktop.CreateSession", {"{}"}, kUser);
  auto ev = agent.wait_for(call_of("CreateSession"));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->process.pid, static_cast<std::uint32_t>(pid));

  // The user logs out: the daemon stops and the directory goes.
  daemon.stop();
  std::error_code ec;
  fs::remove_all(runtime_root() / std::to_string(kUser), ec);
  EXPECT_TRUE(wait_until([&] { return dbus_detail(agent).find("uid 65534") == std::string::npos; }))
      << dbus_detail(agent);
}

// The sensor alone on its own loop, both buses monitored and quiet: its CPU.
TEST_F(DbusSensorTest, IdleCpuIsMeasured) {
  auto session = Daemon::session(runtime_root() / std::to_string(kUser), kUser);
  auto system = Daemon::system(system_socket());
  ASSERT_TRUE(session.ready() && system.ready());
  dbus::DbusSensorOptions o;
  o.system_bus = system_socket();
  o.runtime_root = runtime_root();
  boost::asio::io_context io;  // outlives the sensor, whose descriptors sit on it
  dbus::DbusSensor sensor(o);
  ASSERT_TRUE(sensor.start(io, [](RawEvent&&) {}));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (sensor.monitored().size() < 2 && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  ASSERT_EQ(sensor.monitored().size(), 2U) << sensor.health().detail;
  auto start = testing::thread_cpu_ns();
  auto wall = std::chrono::steady_clock::now();
  io.run_for(3s);
  double used = static_cast<double>(testing::thread_cpu_ns() - start);
  double elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall).count();
  std::printf("dbus sensor idle: %.4f%% of a core (%.0f us CPU over %.1f s, 2 buses monitored)\n",
              100.0 * used / elapsed, used / 1000.0, elapsed / 1e9);
  EXPECT_EQ(sensor.monitored().size(), 2U);
  sensor.stop();
}

}  // namespace
}  // namespace sousveil
