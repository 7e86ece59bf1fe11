// SPDX-License-Identifier: Apache-2.0
#include "sensors/dbus/dbus_sensor.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fmt/format.h>

#include "common/boot_clock.h"
#include "common/logging.h"

namespace sousveil::dbus {
namespace {

auto log() {
  static auto logger = logging::get("dbus");
  return logger;
}

constexpr std::uint32_t kDirEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                                     IN_ONLYDIR;

std::string describe(const BusId& id) {
  if (id.system) return fmt::format("system bus {}", id.path);
  return fmt::format("session bus of uid {} {}", id.uid, id.path);
}

bool numeric(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string str(const char* s) { return s ? s : ""; }

// Reads Screenshot's options for "interactive" and nothing else.
bool read_screenshot_options(sd_bus_message* m, BusMessage& out) {
  const char* parent = nullptr;
  if (sd_bus_message_read(m, "s", &parent) < 0) return false;
  if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0) return false;
  for (;;) {
    int r = sd_bus_message_enter_container(m, 'e', "sv");
    if (r < 0) return false;
    if (r == 0) break;
    const char* key = nullptr;
    if (sd_bus_message_read(m, "s", &key) < 0) return false;
    if (key && std::strcmp(key, "interactive") == 0 && sd_bus_message_enter_container(m, 'v', "b") > 0) {
      int b = 0;
      if (sd_bus_message_read(m, "b", &b) < 0) return false;
      out.interactive = b != 0;
      if (sd_bus_message_exit_container(m) < 0) return false;
    } else if (sd_bus_message_skip(m, "v") < 0) {
      return false;
    }
    if (sd_bus_message_exit_container(m) < 0) return false;
  }
  return sd_bus_message_exit_container(m) >= 0;
}

struct Lookup {
  DbusSensor* sensor;
  void* bus;
  std::string name;
};

}  // namespace

BusMessage read_message(sd_bus_message* m) {
  BusMessage out;
  std::uint8_t type = 0;
  if (sd_bus_message_get_type(m, &type) >= 0) {
    switch (type) {
      case SD_BUS_MESSAGE_METHOD_CALL: out.type = BusMessage::Type::MethodCall; break;
      case SD_BUS_MESSAGE_METHOD_RETURN: out.type = BusMessage::Type::MethodReturn; break;
      case SD_BUS_MESSAGE_METHOD_ERROR: out.type = BusMessage::Type::Error; break;
      case SD_BUS_MESSAGE_SIGNAL: out.type = BusMessage::Type::Signal; break;
      default: out.type = BusMessage::Type::Other; break;
    }
  }
  out.sender = str(sd_bus_message_get_sender(m));
  out.destination = str(sd_bus_message_get_destination(m));
  out.path = str(sd_bus_message_get_path(m));
  out.interface = str(sd_bus_message_get_interface(m));
  out.member = str(sd_bus_message_get_member(m));
  bool ok = true;
  switch (body_detail_wanted(out.interface, out.member)) {
    case BodyDetail::None: break;
    case BodyDetail::NameOwnerChanged: {
      const char *name = nullptr, *old_owner = nullptr, *new_owner = nullptr;
      ok = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0;
      if (ok) {
        out.name = str(name);
        out.old_owner = str(old_owner);
        out.new_owner = str(new_owner);
      }
      break;
    }
    case BodyDetail::ScreenshotOptions:
      ok = out.type != BusMessage::Type::MethodCall || read_screenshot_options(m, out);
      break;
    case BodyDetail::PermissionTable: {
      const char* table = nullptr;
      ok = out.type != BusMessage::Type::MethodCall || sd_bus_message_read(m, "s", &table) >= 0;
      if (ok) out.table = str(table);
      break;
    }
  }
  out.odd_body = !ok;
  return out;
}

DbusSensor::DbusSensor(DbusSensorOptions options) : m_options(std::move(options)), m_procfs(m_options.proc_root) {}

DbusSensor::~DbusSensor() { stop(); }

Result<void> DbusSensor::start(boost::asio::io_context& io, Emit emit) {
  m_io = &io;
  m_emit = std::move(emit);
  m_alive = std::make_shared<int>(0);
  if (!m_options.runtime_root.empty()) {
    m_inotify = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (m_inotify < 0)
      return make_error(fmt::format("inotify for {}: {}", m_options.runtime_root.string(), std::strerror(errno)));
    m_inotify_fd = std::make_unique<boost::asio::posix::stream_descriptor>(io, m_inotify);
    m_root_wd = ::inotify_add_watch(m_inotify, m_options.runtime_root.c_str(), kDirEvents);
    if (m_root_wd < 0)
      m_root_problem = fmt::format("cannot watch {} for sessions: {}", m_options.runtime_root.string(),
                                   std::strerror(errno));
    arm_inotify();
  }
  scan();
  arm_rescan();
  return {};
}

void DbusSensor::stop() {
  m_alive.reset();
  if (m_rescan) m_rescan->cancel();
  m_rescan.reset();
  m_inotify_fd.reset();  // closes the inotify fd
  m_inotify = -1;
  m_dir_wds.clear();
  m_buses.clear();
}

std::vector<std::string> DbusSensor::monitored() const {
  std::vector<std::string> out;
  for (const auto& [path, bus] : m_buses)
    if (bus->monitoring) out.push_back(path);
  return out;
}

SensorStatus DbusSensor::health() const {
  SensorStatus s{"dbus", SensorState::Running, {}};
  std::vector<std::string> on, off;
  for (const auto& [path, bus] : m_buses) {
    if (bus->monitoring) on.push_back(describe(bus->id));
    else off.push_back(describe(bus->id) + ": " + (bus->failure.empty() ? "connecting" : bus->failure));
  }
  if (!m_system_problem.empty()) off.push_back(m_system_problem);
  if (!m_root_problem.empty()) off.push_back(m_root_problem);
  bool any_session = std::any_of(m_buses.begin(), m_buses.end(), [](const auto& b) { return !b.second->id.system; });
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : "; ") + x;
    return out;
  };
  s.detail = on.empty() ? "monitoring no bus" : "monitoring " + join(on);
  if (!any_session && !m_options.runtime_root.empty() && m_root_problem.empty())
    s.detail += fmt::format("; no session bus under {} yet (watching for logins)", m_options.runtime_root.string());
  if (!off.empty()) s.detail += "; not monitored: " + join(off);
  return s;
}

void DbusSensor::scan() {
  if (!m_options.system_bus.empty()) consider(m_options.system_bus, true);
  if (m_options.runtime_root.empty()) return;
  std::error_code ec;
  std::vector<std::string> present;
  for (const auto& entry : std::filesystem::directory_iterator(m_options.runtime_root, ec)) {
    auto name = entry.path().filename().string();
    if (!numeric(name) || !entry.is_directory(ec)) continue;
    watch_dir(entry.path());
    auto socket = entry.path() / "bus";
    present.push_back(socket.string());
    consider(socket, false);
  }
  // Session buses whose socket went away (logout, daemon stopped) are dropped.
  std::vector<std::string> gone;
  for (const auto& [path, bus] : m_buses) {
    struct stat st {};
    if (!bus->id.system && ::lstat(path.c_str(), &st) != 0) gone.push_back(path);
  }
  for (const auto& path : gone) drop(path, "its socket was removed");
}

void DbusSensor::watch_dir(const std::filesystem::path& dir) {
  if (m_inotify < 0) return;
  int wd = ::inotify_add_watch(m_inotify, dir.c_str(), kDirEvents);
  if (wd >= 0) m_dir_wds[wd] = dir;
}

void DbusSensor::consider(const std::filesystem::path& socket, bool system) {
  struct stat st {};
  bool is_socket = ::stat(socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  auto key = socket.string();
  auto it = m_buses.find(key);
  if (!is_socket) {
    if (system) m_system_problem = fmt::format("system bus: no socket at {}", key);
    if (it != m_buses.end()) drop(key, "its socket was removed");
    return;
  }
  if (system) m_system_problem.clear();
  if (it != m_buses.end()) {
    auto& bus = *it->second;
    // Connected, connecting or waiting for its retry: leave it be.
    if (bus.monitor || bus.retry_pending) return;
    connect(bus);
    return;
  }
  auto bus = std::make_unique<Bus>();
  bus->id = BusId{system, system ? 0U : static_cast<std::uint32_t>(st.st_uid), key};
  bus->sensor = this;
  bus->retry = std::make_unique<boost::asio::steady_timer>(*m_io);
  auto& ref = *bus;
  m_buses.emplace(key, std::move(bus));
  connect(ref);
}

void DbusSensor::connect(Bus& bus) {
  bus.monitoring = false;
  // A session bus admits its owner only; the system bus admits root.
  std::optional<std::uint32_t> as_uid;
  if (!bus.id.system) as_uid = bus.id.uid;
  auto monitor = SdBusConnection::open(*m_io, bus.id.path, as_uid, true, "sousveil-monitor");
  if (!monitor) {
    bus.failure = monitor.error().message;
    return schedule_retry(bus);
  }
  auto control = SdBusConnection::open(*m_io, bus.id.path, as_uid, false, "sousveil-credentials");
  if (!control) {
    bus.failure = control.error().message;
    return schedule_retry(bus);
  }
  bus.monitor = std::move(*monitor);
  bus.control = std::move(*control);
  auto key = bus.id.path;
  auto on_closed = [this, key](std::string reason) { lost(key, std::move(reason)); };
  bus.monitor->run([this, b = &bus](sd_bus_message* m) { on_message(*b, m); }, on_closed);
  bus.control->run(nullptr, on_closed);

  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(bus.monitor->bus(), &call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus.Monitoring", "BecomeMonitor");
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "s");
  for (const auto& rule : monitor_match_rules())
    if (r >= 0) r = sd_bus_message_append(call, "s", rule.c_str());
  if (r >= 0) r = sd_bus_message_close_container(call);
  if (r >= 0) r = sd_bus_message_append(call, "u", 0U);
  auto on_reply = [](sd_bus_message* reply, void* userdata, sd_bus_error*) -> int {
    auto* b = static_cast<Bus*>(userdata);
    const sd_bus_error* err = sd_bus_message_get_error(reply);
    if (err) {
      b->failure = fmt::format("BecomeMonitor as uid {} refused: {}", b->id.system ? 0 : b->id.uid,
                               error_text(err, 0));
      log()->warn("bus={} monitor=refused reason=\"{}\"", b->id.path, b->failure);
      b->sensor->post_lost(b->id.path, "refused");
      return 0;
    }
    b->monitoring = true;
    b->failure.clear();
    b->attempts = 0;
    log()->info("bus={} monitor=on kind={}", b->id.path, b->id.system ? "system" : "session");
    return 1;
  };
  auto timeout = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                m_options.call_timeout).count());
  if (r >= 0) r = sd_bus_call_async(bus.monitor->bus(), nullptr, call, on_reply, &bus, timeout);
  sd_bus_message_unref(call);
  if (r < 0) {
    bus.failure = "BecomeMonitor: " + error_text(nullptr, r);
    bus.monitor.reset();
    bus.control.reset();
    return schedule_retry(bus);
  }
  bus.monitor->arm();
}

void DbusSensor::schedule_retry(Bus& bus) {
  log()->debug("bus={} attempt={} failure=\"{}\"", bus.id.path, bus.attempts, bus.failure);
  // Quick at first (a socket is created before the daemon listens), then slow.
  auto delay = std::min(std::chrono::milliseconds(100) * (1 << std::min(bus.attempts, 7)), m_options.retry_interval);
  ++bus.attempts;
  bus.retry_pending = true;
  auto key = bus.id.path;
  std::weak_ptr<int> alive = m_alive;
  bus.retry->expires_after(delay);
  bus.retry->async_wait([this, key, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    auto it = m_buses.find(key);
    if (it == m_buses.end()) return;
    it->second->retry_pending = false;
    consider(key, it->second->id.system);
  });
}

void DbusSensor::post_lost(const std::string& path, std::string reason) {
  std::weak_ptr<int> alive = m_alive;
  boost::asio::post(*m_io, [this, alive, path, reason = std::move(reason)]() mutable {
    if (!alive.expired()) lost(path, std::move(reason));
  });
}

void DbusSensor::lost(const std::string& path, std::string reason) {
  auto it = m_buses.find(path);
  if (it == m_buses.end()) return;
  auto& bus = *it->second;
  if (bus.monitoring) {
    log()->warn("bus={} monitor=lost reason=\"{}\"", path, reason);
    bus.failure = "connection lost: " + reason;
  } else if (bus.failure.empty()) {
    bus.failure = fmt::format("the bus closed the connection before monitoring began (authenticating as uid {}): {}",
                              bus.id.system ? 0 : bus.id.uid, reason);
  }
  bus.monitoring = false;
  bus.monitor.reset();
  bus.control.reset();
  bus.cache.clear();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return drop(path, reason);
  schedule_retry(bus);
}

void DbusSensor::drop(const std::string& path, std::string_view reason) {
  auto it = m_buses.find(path);
  if (it == m_buses.end()) return;
  log()->info("bus={} monitor=off reason=\"{}\"", path, reason);
  m_buses.erase(it);
}

void DbusSensor::on_message(Bus& bus, sd_bus_message* m) {
  auto msg = read_message(m);
  if (msg.odd_body) {
    ++m_stats.odd_messages;
    log()->debug("bus={} odd body interface={} member={}", bus.id.path, msg.interface, msg.member);
  }
  if (auto change = owner_change(msg)) {
    if (!change->joined) bus.cache.drop(change->unique_name);
    else if (m_options.resolve_on_join && bus.cache.prefetch(change->unique_name)) lookup(bus, change->unique_name);
    return;
  }
  auto info = translate(msg, bus.id);
  if (!info) return;
  ++m_stats.calls;
  RawEvent ev;
  ev.kind = EventKind::DbusCall;
  ev.source = EventSource::Dbus;
  ev.ts_boot_ns = BootClock::now_boot_ns();
  ev.payload = std::move(*info);
  if (const auto* creds = bus.cache.find(msg.sender)) {
    apply(*creds, ev.process);
    m_emit(std::move(ev));
    return;
  }
  if (msg.sender.empty()) {
    ++m_stats.unresolved;
    m_emit(std::move(ev));
    return;
  }
  if (bus.cache.wait(msg.sender, std::move(ev))) lookup(bus, msg.sender);
}

void DbusSensor::lookup(Bus& bus, const std::string& unique_name) {
  auto give_up = [&](int r) {
    log()->debug("bus={} name={} credentials lookup not sent: {}", bus.id.path, unique_name, error_text(nullptr, r));
    for (auto& ev : bus.cache.resolved(unique_name, std::nullopt)) {
      ++m_stats.unresolved;
      m_emit(std::move(ev));
    }
  };
  if (!bus.control || bus.control->closed()) return give_up(-ENOTCONN);
  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(bus.control->bus(), &call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetConnectionCredentials");
  if (r >= 0) r = sd_bus_message_append(call, "s", unique_name.c_str());
  auto on_reply = [](sd_bus_message* reply, void* userdata, sd_bus_error*) -> int {
    auto* l = static_cast<Lookup*>(userdata);
    l->sensor->on_credentials(*static_cast<Bus*>(l->bus), l->name, reply);
    return 1;
  };
  auto* ctx = new Lookup{this, &bus, unique_name};
  sd_bus_slot* slot = nullptr;
  auto timeout = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                m_options.call_timeout).count());
  if (r >= 0) r = sd_bus_call_async(bus.control->bus(), &slot, call, on_reply, ctx, timeout);
  sd_bus_message_unref(call);
  if (r < 0) {
    delete ctx;
    return give_up(r);
  }
  // The slot frees the context when the call completes or the bus goes.
  sd_bus_slot_set_destroy_callback(slot, [](void* p) { delete static_cast<Lookup*>(p); });
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  bus.control->arm();
}

std::optional<Credentials> DbusSensor::credentials_of(std::uint32_t pid, std::uint32_t uid) const {
  Credentials c;
  c.pid = pid;
  c.uid = uid;
  // The start time pins the identity: the pid may be reused once it exits.
  if (auto st = m_procfs.stat(pid)) {
    c.start_boot_ns = ticks_to_boot_ns(st->start_ticks);
    c.comm = st->comm;
  }
  return c;
}

void DbusSensor::on_credentials(Bus& bus, const std::string& unique_name, sd_bus_message* reply) {
  std::optional<Credentials> creds;
  if (const auto* err = sd_bus_message_get_error(reply)) {
    log()->debug("bus={} name={} credentials: {}", bus.id.path, unique_name, error_text(err, 0));
  } else {
    std::optional<std::uint32_t> pid, uid;
    bool ok = sd_bus_message_enter_container(reply, 'a', "{sv}") > 0;
    while (ok) {
      int r = sd_bus_message_enter_container(reply, 'e', "sv");
      if (r <= 0) {
        ok = r == 0;
        break;
      }
      const char* key = nullptr;
      std::uint32_t value = 0;
      ok = sd_bus_message_read(reply, "s", &key) >= 0;
      if (ok && key && (std::strcmp(key, "ProcessID") == 0 || std::strcmp(key, "UnixUserID") == 0)) {
        ok = sd_bus_message_read(reply, "v", "u", &value) >= 0;
        if (ok) (std::strcmp(key, "ProcessID") == 0 ? pid : uid) = value;
      } else if (ok) {
        ok = sd_bus_message_skip(reply, "v") >= 0;
      }
      ok = ok && sd_bus_message_exit_container(reply) >= 0;
    }
    if (!ok) ++m_stats.odd_messages;
    if (pid) creds = credentials_of(*pid, uid.value_or(0));
  }
  for (auto& ev : bus.cache.resolved(unique_name, std::move(creds))) {
    if (ev.process.pid == 0) ++m_stats.unresolved;
    m_emit(std::move(ev));
  }
}

void DbusSensor::arm_inotify() {
  if (!m_inotify_fd) return;
  std::weak_ptr<int> alive = m_alive;
  m_inotify_fd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this, alive](const boost::system::error_code& ec) {
                             if (ec || alive.expired()) return;
                             on_inotify();
                           });
}

void DbusSensor::on_inotify() {
  bool rescan = false;
  for (;;) {
    ssize_t n = ::read(m_inotify, m_buf.data(), m_buf.size());
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(m_buf.data() + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_IGNORED) {
        m_dir_wds.erase(ev->wd);
        continue;
      }
      // A runtime directory or a bus socket came or went; a full overflow
      // means anything may have: look again either way (one readdir).
      rescan = true;
    }
  }
  if (rescan) scan();
  arm_inotify();
}

void DbusSensor::arm_rescan() {
  // The system bus can start after the agent; inotify covers the sessions.
  if (!m_rescan) m_rescan = std::make_unique<boost::asio::steady_timer>(*m_io);
  std::weak_ptr<int> alive = m_alive;
  m_rescan->expires_after(m_options.retry_interval);
  m_rescan->async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    scan();
    arm_rescan();
  });
}

}  // namespace sousveil::dbus
