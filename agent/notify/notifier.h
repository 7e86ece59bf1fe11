// SPDX-License-Identifier: Apache-2.0
// Turns "watcher" pushes from the agent's socket into freedesktop desktop
// notifications: one per new watcher, naming the program, the product and
// what it can capture, severity as urgency. A storm becomes one summary.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace sousveil::notify {

// The freedesktop urgency hint: 0 low, 1 normal, 2 critical.
enum class Urgency : std::uint8_t { Low = 0, Normal = 1, Critical = 2 };

struct Notification {
  std::string summary;
  std::string body;  // freedesktop body markup: text escaped
  Urgency urgency = Urgency::Normal;
  std::chrono::milliseconds expire_timeout{0};  // 0: the server decides (sent as -1)
};

// Where notifications go: org.freedesktop.Notifications on the session bus, or a fake in tests.
class NotificationServer {
 public:
  virtual ~NotificationServer() = default;
  // Returns the server's notification id.
  virtual Result<std::uint32_t> notify(const Notification& n) = 0;
};

struct NotifierOptions {
  std::string min_severity = "low";
  std::chrono::milliseconds storm_window{10'000};
  std::size_t storm_threshold = 3;
  std::chrono::milliseconds expire_timeout{0};
  // New watchers arriving this close together are looked at as one batch,
  // so a burst becomes one summary instead of a few singles then a summary.
  std::chrono::milliseconds gather{300};
};

Urgency urgency_for(std::string_view severity);
// What a category means for the person: "keystrokes", "the screen", ...
std::string capture_words(std::string_view category);
// A single watcher's notification (pure: unit tested).
Notification single_notification(const nlohmann::json& watcher);
// The summary of a storm: "12 new watchers" and who.
Notification summary_notification(const std::vector<nlohmann::json>& watchers);

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;
  Notifier(NotificationServer& server, NotifierOptions options);

  // A push's data: a watcher object with "change". Returns an error for a
  // malformed one (named), and ignores ended watchers and those below min_severity.
  Result<void> on_watcher(const nlohmann::json& watcher, Clock::time_point now);
  // Sends what is due; returns when it next needs to be called, if ever.
  std::optional<Clock::time_point> tick(Clock::time_point now);
  // Sends whatever is gathered now (at exit).
  void flush(Clock::time_point now);

  std::uint64_t sent() const { return m_sent; }
  std::uint64_t summaries() const { return m_summaries; }
  std::uint64_t failed() const { return m_failed; }
  std::uint64_t ignored() const { return m_ignored; }

 private:
  std::size_t budget(Clock::time_point now);
  void send(const Notification& n);
  void release(Clock::time_point now);

  NotificationServer& m_server;
  NotifierOptions m_options;
  int m_min_rank = 1;
  std::vector<nlohmann::json> m_batch;
  std::optional<Clock::time_point> m_deadline;
  std::deque<Clock::time_point> m_recent;  // notifications sent in the last storm window
  std::uint64_t m_sent = 0;
  std::uint64_t m_summaries = 0;
  std::uint64_t m_failed = 0;
  std::uint64_t m_ignored = 0;
};

}  // namespace sousveil::notify
