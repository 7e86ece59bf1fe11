// SPDX-License-Identifier: Apache-2.0
#include "service/systemd.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>

#include "common/logging.h"

namespace sousveil::service {
namespace {

auto log() {
  static auto logger = logging::get("service");
  return logger;
}

}  // namespace

bool under_systemd() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  const char* invocation = std::getenv("INVOCATION_ID");
  return (stream && *stream) || (invocation && *invocation);
}

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  m_enabled = socket && *socket;
  std::uint64_t usec = 0;
  // 0: off; >0: on for this pid (WATCHDOG_PID, when set, must be ours).
  int r = sd_watchdog_enabled(0, &usec);
  if (r > 0 && usec > 0) m_watchdog = std::chrono::microseconds(usec);
  else if (r < 0) log()->warn("watchdog settings unreadable: WATCHDOG_USEC or WATCHDOG_PID malformed (error {})", r);
}

void Notifier::send(const std::string& message) {
  if (!m_enabled) return;
  if (int r = sd_notify(0, message.c_str()); r < 0)
    log()->warn("sd_notify failed: error={} message={}", -r, message.substr(0, message.find('\n')));
}

void Notifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void Notifier::status(const std::string& status) { send("STATUS=" + status); }
// RELOADING=1 is paired with the READY=1 that follows the reload.
void Notifier::reloading() { send("RELOADING=1\nSTATUS=reloading configuration and rules"); }
void Notifier::stopping() { send("STOPPING=1\nSTATUS=stopping"); }
void Notifier::watchdog() { send("WATCHDOG=1"); }

Watchdog::Watchdog(boost::asio::io_context& io, Notifier& notifier, std::function<std::string()> status_line)
    : m_timer(io), m_notifier(notifier), m_status_line(std::move(status_line)) {}

void Watchdog::start(std::chrono::milliseconds status_every) {
  if (!m_notifier.enabled()) return;
  m_status_every = status_every;
  m_period = status_every;
  if (auto wd = m_notifier.watchdog_interval()) {
    // Half the interval, as sd_watchdog_enabled(3) advises; never busier than 10 ms.
    auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*wd / 2);
    m_period = std::max(std::chrono::milliseconds(10), std::min(half, status_every));
    log()->info("watchdog on: interval={}ms feeding every {}ms", std::chrono::duration_cast<std::chrono::milliseconds>(*wd).count(),
                m_period.count());
    m_notifier.watchdog();
    ++m_pings;
  }
  m_running = true;
  m_last_status = std::chrono::steady_clock::now();
  arm();
}

void Watchdog::stop() {
  m_running = false;
  m_timer.cancel();
}

void Watchdog::arm() {
  m_timer.expires_after(m_period);
  m_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !m_running) return;
    // Reaching here means the loop runs: that is what the watchdog vouches for.
    if (m_notifier.watchdog_interval()) {
      m_notifier.watchdog();
      ++m_pings;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - m_last_status >= m_status_every && m_status_line) {
      m_last_status = now;
      auto line = m_status_line();
      if (line != m_last_line) {
        m_notifier.status(line);
        m_last_line = std::move(line);
      }
    }
    arm();
  });
}

std::string status_line(const Status& s) {
  std::size_t running = 0, failed = 0;
  for (const auto& sensor : s.sensors) {
    if (sensor.state == SensorState::Running || sensor.state == SensorState::Done) ++running;
    if (sensor.state == SensorState::Failed) ++failed;
  }
  std::string line = "watching (" + s.mode + "): " + std::to_string(running) + " sensors up";
  if (failed) line += ", " + std::to_string(failed) + " failed";
  line += "; " + std::to_string(s.watchers_active) + " active watchers; " + std::to_string(s.findings) +
          " findings; " + std::to_string(s.total_lost()) + " events lost";
  if (!s.rules_error.empty()) line += "; RULES NOT LOADED";
  return line;
}

}  // namespace sousveil::service
