// SPDX-License-Identifier: Apache-2.0
// The agent's side of the systemd service contract: readiness, status lines,
// reload and stop notices, and the watchdog fed from the agent's own loop so a
// hung loop stops feeding it and systemd restarts the service.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"

namespace sousveil::service {

// True when started by systemd (its journal stream or invocation id is set).
bool under_systemd();

// sd_notify(3) messages. Each is a no-op without NOTIFY_SOCKET.
class Notifier {
 public:
  Notifier();
  bool enabled() const { return m_enabled; }
  void ready(const std::string& status);
  void status(const std::string& status);
  void reloading();
  void stopping();
  void watchdog();
  // WATCHDOG_USEC for this process (sd_watchdog_enabled), if the watchdog is on.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return m_watchdog; }

 private:
  void send(const std::string& message);
  bool m_enabled = false;
  std::optional<std::chrono::microseconds> m_watchdog;
};

// Feeds WATCHDOG=1 at half the interval from a timer on the agent's io_context,
// and refreshes STATUS= from the status callback at the same pace.
class Watchdog {
 public:
  Watchdog(boost::asio::io_context& io, Notifier& notifier, std::function<std::string()> status_line);
  // Starts the timer when the watchdog is on (or status refreshes every `status_every`).
  void start(std::chrono::milliseconds status_every = std::chrono::seconds(5));
  void stop();
  std::uint64_t pings() const { return m_pings; }

 private:
  void arm();
  boost::asio::steady_timer m_timer;
  Notifier& m_notifier;
  std::function<std::string()> m_status_line;
  std::chrono::milliseconds m_period{0};
  std::chrono::milliseconds m_status_every{0};
  std::chrono::steady_clock::time_point m_last_status{};
  std::string m_last_line;
  std::uint64_t m_pings = 0;
  bool m_running = false;
};

// One short line for STATUS=: mode, sensors, watchers, losses, rules problems.
std::string status_line(const Status& status);

}  // namespace sousveil::service
