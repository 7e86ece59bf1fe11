// SPDX-License-Identifier: Apache-2.0
#include "sensors/pipewire/pipewire_sensor.h"

#include <sys/stat.h>

#include <pipewire/impl-module.h>
#include <pipewire/pipewire.h>
#include <spa/utils/dict.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <mutex>

#include "common/boot_clock.h"
#include "common/logging.h"
#include "sensors/pipewire/capture_graph.h"

namespace sousveil::pipewire {
namespace {

auto log() {
  static auto logger = logging::get("pipewire");
  return logger;
}

bool numeric(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

CaptureGraph::Props to_props(const spa_dict* dict) {
  CaptureGraph::Props props;
  if (!dict) return props;
  const spa_dict_item* item;
  spa_dict_for_each(item, dict) {
    if (item->key && item->value) props.emplace(item->key, item->value);
  }
  return props;
}

}  // namespace

struct PipewireSensor::Daemon {
  PipewireSensor* sensor = nullptr;
  std::string socket;
  CaptureGraph graph;
  pw_loop* loop = nullptr;
  pw_context* context = nullptr;
  pw_core* core = nullptr;
  pw_registry* registry = nullptr;
  spa_hook core_listener{};
  spa_hook registry_listener{};
  std::unique_ptr<boost::asio::posix::stream_descriptor> fd;
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  bool lost = false;

  explicit Daemon(std::string s) : socket(s), graph(std::move(s)) {}
  ~Daemon() {
    alive.reset();
    if (fd) {
      boost::system::error_code ec;
      fd->cancel(ec);
      (void)fd->release();  // the loop owns its fd
    }
    if (registry) {
      spa_hook_remove(&registry_listener);
      pw_proxy_destroy(reinterpret_cast<pw_proxy*>(registry));
    }
    if (core) {
      spa_hook_remove(&core_listener);
      pw_core_disconnect(core);
    }
    if (context) pw_context_destroy(context);
    if (loop) pw_loop_destroy(loop);
  }

  void arm() {
    std::weak_ptr<int> token = alive;
    fd->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, token](const boost::system::error_code& ec) {
      if (ec || token.expired()) return;
      iterate();
    });
  }

  void iterate() {
    std::weak_ptr<int> token = alive;
    pw_loop_enter(loop);
    int r = pw_loop_iterate(loop, 0);
    pw_loop_leave(loop);
    if (token.expired()) return;
    if (r < 0 && r != -EINTR) return fail(fmt::format("loop: {}", std::strerror(-r)));
    if (!lost) arm();
  }

  void fail(std::string reason) {
    if (lost) return;
    lost = true;
    auto* s = sensor;
    auto key = socket;
    std::weak_ptr<int> token = s->m_alive;
    // Not from inside the library's callback: the daemon object goes away.
    boost::asio::post(*s->m_io, [s, key, token, reason = std::move(reason)] {
      if (!token.expired()) s->lost(key, reason);
    });
  }

  void emit(std::vector<CaptureGraph::Capture> captures) {
    for (const auto& c : captures) sensor->emit_capture(c);
  }

  static void on_global(void* data, std::uint32_t id, std::uint32_t, const char* type, std::uint32_t,
                        const spa_dict* props) {
    auto* d = static_cast<Daemon*>(data);
    if (!type) return;
    if (std::strcmp(type, PW_TYPE_INTERFACE_Client) == 0) d->emit(d->graph.add_client(id, to_props(props)));
    else if (std::strcmp(type, PW_TYPE_INTERFACE_Node) == 0) d->emit(d->graph.add_node(id, to_props(props)));
    else if (std::strcmp(type, PW_TYPE_INTERFACE_Link) == 0) d->emit(d->graph.add_link(id, to_props(props)));
  }
  static void on_global_remove(void* data, std::uint32_t id) { static_cast<Daemon*>(data)->graph.remove(id); }
  static void on_error(void* data, std::uint32_t id, int, int res, const char* message) {
    auto* d = static_cast<Daemon*>(data);
    if (id == PW_ID_CORE) d->fail(fmt::format("{} ({})", message ? message : "error", std::strerror(-res)));
  }
};

namespace {

const pw_registry_events kRegistryEvents = [] {
  pw_registry_events e{};
  e.version = PW_VERSION_REGISTRY_EVENTS;
  e.global = &PipewireSensor::Daemon::on_global;
  e.global_remove = &PipewireSensor::Daemon::on_global_remove;
  return e;
}();

const pw_core_events kCoreEvents = [] {
  pw_core_events e{};
  e.version = PW_VERSION_CORE_EVENTS;
  e.error = &PipewireSensor::Daemon::on_error;
  return e;
}();

}  // namespace

PipewireSensor::PipewireSensor(PipewireSensorOptions options)
    : m_options(std::move(options)), m_procfs(m_options.proc_root) {}

PipewireSensor::~PipewireSensor() { stop(); }

Result<void> PipewireSensor::start(boost::asio::io_context& io, Emit emit) {
  static std::once_flag once;
  std::call_once(once, [] {
    pw_init(nullptr, nullptr);
    // The library logs to stderr; what matters reaches status through health().
    pw_log_set_level(SPA_LOG_LEVEL_ERROR);
  });
  m_io = &io;
  m_emit = std::move(emit);
  m_alive = std::make_shared<int>(0);
  scan();
  arm_scan();
  return {};
}

void PipewireSensor::stop() {
  m_alive.reset();
  if (m_scan) m_scan->cancel();
  m_scan.reset();
  m_daemons.clear();
}

std::vector<std::string> PipewireSensor::followed() const {
  std::vector<std::string> out;
  for (const auto& [socket, d] : m_daemons) out.push_back(socket);
  return out;
}

SensorStatus PipewireSensor::health() const {
  SensorStatus s{"pipewire", SensorState::Running, {}};
  std::string on;
  for (const auto& [socket, d] : m_daemons) on += (on.empty() ? "" : ", ") + socket;
  s.detail = on.empty() ? fmt::format("no PipeWire daemon runs (no {} socket under {})", m_options.socket_name,
                                      m_options.runtime_root.string())
                        : "following the graph of " + on;
  for (const auto& [socket, why] : m_failures) s.detail += fmt::format("; not followed: {}: {}", socket, why);
  return s;
}

void PipewireSensor::scan() {
  std::error_code ec;
  std::map<std::string, bool> present;
  for (const auto& entry : std::filesystem::directory_iterator(m_options.runtime_root, ec)) {
    if (!numeric(entry.path().filename().string())) continue;
    auto socket = (entry.path() / m_options.socket_name).string();
    struct stat st {};
    if (::stat(socket.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    present[socket] = true;
    if (m_daemons.count(socket)) continue;

    auto d = std::make_unique<Daemon>(socket);
    d->sensor = this;
    d->loop = pw_loop_new(nullptr);
    // No configuration file: a client.conf would load modules (realtime
    // scheduling among them) into the agent. The native protocol is all it needs.
    if (d->loop)
      d->context = pw_context_new(d->loop, pw_properties_new(PW_KEY_CONFIG_NAME, "null", nullptr), 0);
    if (d->context) pw_context_load_module(d->context, "libpipewire-module-protocol-native", nullptr, nullptr);
    if (d->context)
      d->core = pw_context_connect(d->context, pw_properties_new(PW_KEY_REMOTE_NAME, socket.c_str(), nullptr), 0);
    if (!d->core) {
      int err = errno;
      m_failures[socket] = fmt::format("cannot connect: {}", std::strerror(err ? err : EIO));
      continue;
    }
    pw_core_add_listener(d->core, &d->core_listener, &kCoreEvents, d.get());
    d->registry = pw_core_get_registry(d->core, PW_VERSION_REGISTRY, 0);
    pw_registry_add_listener(d->registry, &d->registry_listener, &kRegistryEvents, d.get());
    d->fd = std::make_unique<boost::asio::posix::stream_descriptor>(*m_io, pw_loop_get_fd(d->loop));
    m_failures.erase(socket);
    log()->info("socket={} following=registry", socket);
    auto* raw = d.get();
    m_daemons.emplace(socket, std::move(d));
    raw->iterate();
  }
  // Daemons whose socket went away (logout): their connection is gone too.
  for (auto it = m_daemons.begin(); it != m_daemons.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    log()->info("socket={} following=off reason=\"socket removed\"", it->first);
    it = m_daemons.erase(it);
  }
  for (auto it = m_failures.begin(); it != m_failures.end();)
    it = present.count(it->first) ? std::next(it) : m_failures.erase(it);
}

void PipewireSensor::lost(const std::string& socket, std::string reason) {
  log()->warn("socket={} following=lost reason=\"{}\"", socket, reason);
  m_daemons.erase(socket);
  m_failures[socket] = "connection lost: " + reason + " (retried on the next scan)";
}

void PipewireSensor::arm_scan() {
  if (!m_scan) m_scan = std::make_unique<boost::asio::steady_timer>(*m_io);
  std::weak_ptr<int> token = m_alive;
  m_scan->expires_after(m_options.scan_interval);
  m_scan->async_wait([this, token](const boost::system::error_code& ec) {
    if (ec || token.expired()) return;
    scan();
    arm_scan();
  });
}

void PipewireSensor::emit_capture(const CaptureGraph::Capture& c) {
  RawEvent ev;
  ev.kind = EventKind::PipewireStream;
  ev.source = EventSource::Pipewire;
  ev.ts_boot_ns = BootClock::now_boot_ns();
  ev.process.pid = c.pid;
  ev.process.tid = c.pid;
  ev.process.uid = c.uid;
  ev.process.euid = c.uid;
  if (c.pid) {
    // The start time pins the identity: the pid may be reused once it exits.
    if (auto st = m_procfs.stat(c.pid)) {
      ev.process.start_boot_ns = ticks_to_boot_ns(st->start_ticks);
      ev.process.comm = st->comm;
    }
  }
  ev.payload = c.info;
  m_emit(std::move(ev));
}

}  // namespace sousveil::pipewire
