// SPDX-License-Identifier: Apache-2.0
#include "sensors/posture/posture_sensor.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/boot_clock.h"
#include "common/logging.h"
#include "rules/defaults.h"

namespace sousveil::posture {
namespace {

namespace fs = std::filesystem;

auto log() {
  static auto logger = logging::get("posture");
  return logger;
}

constexpr std::uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                   IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;

// In /etc only these names matter; the rest of /etc changes for other reasons.
bool etc_name_matters(std::string_view name) {
  static const std::set<std::string_view> kNames = {
      "ld.so.preload", "passwd", "shells", "sudoers", "sudoers.d", "ca-certificates.conf", "pam.d", "audit",
      "tlog",          "sssd",   "firefox", "chromium", "opt",     "pki",                  "xdg",  "ssl"};
  return kNames.count(name) > 0;
}

}  // namespace

PostureSensor::PostureSensor(SensorOptions options) : m_options(std::move(options)) {}

PostureSensor::~PostureSensor() { stop(); }

Result<void> PostureSensor::start(boost::asio::io_context& io, Emit emit) {
  std::error_code ec;
  if (!fs::is_directory(m_options.root, ec))
    return make_error("posture root " + m_options.root.string() + " is not a directory");
  m_emit = std::move(emit);
  auto sources = m_options.catalog_sources;
  if (sources.empty()) sources.push_back(rules::shipped_rules_dir() / "products");
  std::shared_ptr<const catalog::Catalog> cat;
  auto loaded = catalog::load_catalog(sources);
  if (loaded.ok()) {
    cat = loaded.catalog;
  } else {
    m_catalog_error = "product catalog not loaded (" + loaded.errors.front().headline() +
                      "): installed and running products are not checked";
    log()->warn("{}", m_catalog_error);
  }
  ScannerOptions so;
  so.root = m_options.root;
  so.self_pid = static_cast<std::uint32_t>(getpid());
  m_scanner.emplace(so, cat);

  m_timer = std::make_unique<boost::asio::steady_timer>(io);
  m_settle = std::make_unique<boost::asio::steady_timer>(io);
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    // Still useful on the timer alone; say so.
    m_inotify_error = std::string("inotify unavailable (") + std::strerror(errno) + "): changes are seen on the timer only";
    log()->warn("{}", m_inotify_error);
  } else {
    m_inotify = std::make_unique<boost::asio::posix::stream_descriptor>(io, fd);
    watch_dirs();
    read_inotify();
  }
  m_running = true;
  rescan("start");
  arm_timer();
  return {};
}

void PostureSensor::stop() {
  m_running = false;
  if (m_timer) m_timer->cancel();
  if (m_settle) m_settle->cancel();
  if (m_inotify) {
    boost::system::error_code ec;
    m_inotify->close(ec);
    m_inotify.reset();
  }
  m_watches.clear();
}

SensorStatus PostureSensor::health() const {
  SensorStatus s;
  s.name = "posture";
  if (!m_running) {
    s.state = SensorState::Disabled;
    s.detail = "stopped";
    return s;
  }
  s.state = SensorState::Running;
  s.detail = std::to_string(m_diff.size()) + " findings under " + m_options.root.string() + ", rescanned every " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(m_options.interval).count()) + " s";
  if (m_inotify) s.detail += " and on changes in " + std::to_string(m_watches.size()) + " watched directories";
  if (!m_inotify_error.empty()) s.detail += "; " + m_inotify_error;
  if (!m_catalog_error.empty()) s.detail += "; " + m_catalog_error;
  if (!m_errors.empty())
    s.detail += "; " + std::to_string(m_errors.size()) + " unreadable (first: " + *m_errors.begin() + ")";
  return s;
}

void PostureSensor::watch_dirs() {
  if (!m_inotify) return;
  for (const auto& dir : m_scanner->watch_paths()) {
    int wd = inotify_add_watch(m_inotify->native_handle(), dir.c_str(), kDirMask);
    if (wd < 0) {
      log()->warn("cannot watch {}: {}", dir.string(), std::strerror(errno));
      continue;
    }
    m_watches[wd] = dir;
  }
}

void PostureSensor::read_inotify() {
  m_inotify->async_read_some(boost::asio::buffer(m_buf), [this](const boost::system::error_code& ec, std::size_t n) {
    if (ec || !m_running) return;
    bool matters = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(m_buf.data() + off);
      std::string_view name = e->len ? std::string_view(e->name, strnlen(e->name, e->len)) : std::string_view();
      if (e->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF)) {
        matters = true;
        if (e->mask & IN_IGNORED) m_watches.erase(e->wd);
      } else if (auto it = m_watches.find(e->wd); it != m_watches.end()) {
        auto rel = it->second.lexically_relative(m_options.root).string();
        if (rel == "etc") matters |= etc_name_matters(name);
        else if (rel == "var/lib/dpkg") matters |= name == "status";
        else matters = true;
      }
      off += sizeof(inotify_event) + e->len;
    }
    if (matters) arm_settle();
    read_inotify();
  });
}

void PostureSensor::arm_settle() {
  if (m_settle_armed) return;
  m_settle_armed = true;
  m_settle->expires_after(m_options.settle);
  m_settle->async_wait([this](const boost::system::error_code& ec) {
    m_settle_armed = false;
    if (ec || !m_running) return;
    rescan("change");
  });
}

void PostureSensor::arm_timer() {
  m_timer->expires_after(m_options.interval);
  m_timer->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !m_running) return;
    rescan("timer");
    arm_timer();
  });
}

void PostureSensor::rescan(std::string_view why) {
  auto t0 = std::chrono::steady_clock::now();
  auto result = m_scanner->scan();
  auto changes = m_diff.update(result.findings);
  m_last_scan_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ++m_scans;
  std::set<std::string> errors;
  // Without root, other users' files and processes are closed to us: expected,
  // said in health() and at info level rather than warned about.
  auto level = geteuid() == 0 ? spdlog::level::warn : spdlog::level::info;
  for (const auto& e : result.errors) {
    auto text = e.text();
    if (!m_errors.count(text)) log()->log(level, "posture: {}", text);
    errors.insert(std::move(text));
  }
  m_errors = std::move(errors);
  log()->debug("posture scan reason={} findings={} changes={} files={} processes={} ms={:.1f}", why,
               result.findings.size(), changes.size(), result.files_read, result.processes_read, m_last_scan_ms);
  // A directory that appeared (sudoers.d, a policy dir) is watched from now on.
  watch_dirs();
  auto now = BootClock::now_boot_ns();
  for (const auto& c : changes) m_emit(to_event(c, now));
}

}  // namespace sousveil::posture
