// SPDX-License-Identifier: Apache-2.0
// journald output under systemd: log lines keep their priority, and each
// finding and watcher change is one entry with fields an admin can filter on
// (journalctl SOUSVEIL_RULE=... SOUSVEIL_SEVERITY=high SOUSVEIL_PID=...).
#pragma once

#include <spdlog/common.h>

#include <string>
#include <vector>

#include "common/boot_clock.h"
#include "core/agent.h"

namespace sousveil::service {

// A spdlog sink writing to the journal with PRIORITY and SYSLOG_IDENTIFIER.
spdlog::sink_ptr make_journal_log_sink(const std::string& identifier);

// "KEY=value" fields of one journal entry, MESSAGE first.
std::vector<std::string> journal_fields(const rules::Finding& finding, const EnrichedEvent& event);
std::vector<std::string> journal_fields(const track::WatcherChange& change, const BootClock& clock);

// Sends one entry; returns false (and counts it) when journald refuses it.
bool send_journal(const std::vector<std::string>& fields);

// An EventSink that writes findings and watcher changes to the journal.
class JournalSink final : public EventSink {
 public:
  explicit JournalSink(const BootClock& clock) : m_clock(clock) {}
  void on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) override;
  void on_watcher(const track::WatcherChange& change) override;
  void on_lost(std::string_view category, std::uint64_t count) override;
  void on_sensor(const SensorStatus& sensor) override;
  std::uint64_t failed() const { return m_failed; }

 private:
  void send(const std::vector<std::string>& fields);
  const BootClock& m_clock;
  std::uint64_t m_failed = 0;
};

}  // namespace sousveil::service
