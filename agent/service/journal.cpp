// SPDX-License-Identifier: Apache-2.0
#include "service/journal.h"

#include <spdlog/sinks/systemd_sink.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "common/logging.h"
#include "common/utf8.h"

namespace sousveil::service {
namespace {

// MESSAGE_IDs (journalctl MESSAGE_ID=...), fixed for the life of the project.
constexpr const char* kFindingId = "MESSAGE_ID=5e1d0c3a6b2f4f0e9a7d2c4b8e6f1a01";
constexpr const char* kWatcherNewId = "MESSAGE_ID=5e1d0c3a6b2f4f0e9a7d2c4b8e6f1a02";
constexpr const char* kWatcherEndedId = "MESSAGE_ID=5e1d0c3a6b2f4f0e9a7d2c4b8e6f1a03";
constexpr const char* kLostId = "MESSAGE_ID=5e1d0c3a6b2f4f0e9a7d2c4b8e6f1a04";

// syslog priorities: the person should see high and critical first.
int priority(rules::Severity s) {
  switch (s) {
    case rules::Severity::Critical: return 2;  // crit
    case rules::Severity::High: return 4;      // warning
    case rules::Severity::Medium: return 5;    // notice
    default: return 6;                         // info
  }
}

// A journal field value may hold anything but must not end the entry early:
// sd_journal_sendv frames each field by its length, so only UTF-8 validity matters.
std::string field(const char* key, const std::string& value) { return std::string(key) + "=" + valid_utf8(value); }

void add_process(std::vector<std::string>& out, const ProcessInfo& p) {
  out.push_back(field("SOUSVEIL_PID", std::to_string(p.pid)));
  out.push_back(field("SOUSVEIL_EXE", p.exe));
  out.push_back(field("SOUSVEIL_COMM", p.comm));
  out.push_back(field("SOUSVEIL_UID", std::to_string(p.uid)));
  if (!p.user.empty()) out.push_back(field("SOUSVEIL_USER", p.user));
  if (!p.unit.empty()) out.push_back(field("SOUSVEIL_UNIT", p.unit));
  if (!p.package.empty()) out.push_back(field("SOUSVEIL_PACKAGE", p.package));
}

void add_finding(std::vector<std::string>& out, const rules::Finding& f) {
  out.push_back(field("SOUSVEIL_RULE", f.rule_id));
  out.push_back(field("SOUSVEIL_SEVERITY", std::string(rules::to_string(f.severity))));
  out.push_back(field("SOUSVEIL_CATEGORY", std::string(rules::to_string(f.category))));
  if (!f.mitre.empty()) out.push_back(field("SOUSVEIL_MITRE", f.mitre));
  if (!f.product.empty()) out.push_back(field("SOUSVEIL_PRODUCT", f.product));
}

}  // namespace

spdlog::sink_ptr make_journal_log_sink(const std::string& identifier) {
  auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(identifier);
  sink->set_pattern("%n: %v");
  return sink;
}

std::vector<std::string> journal_fields(const rules::Finding& f, const EnrichedEvent& ev) {
  std::vector<std::string> out;
  out.push_back(field("MESSAGE", std::string(rules::to_string(f.severity)) + " " + f.rule_id + ": " + f.explanation));
  out.push_back("PRIORITY=" + std::to_string(priority(f.severity)));
  out.emplace_back(kFindingId);
  add_finding(out, f);
  out.push_back(field("SOUSVEIL_KIND", std::string(to_string(ev.raw.kind))));
  add_process(out, ev.process);
  return out;
}

std::vector<std::string> journal_fields(const track::WatcherChange& c, const BootClock& clock) {
  const auto& w = c.watcher;
  bool is_new = c.change == track::Change::New;
  std::vector<std::string> out;
  std::string who = w.process.comm + " (pid " + std::to_string(w.process.pid) + ")";
  out.push_back(field("MESSAGE", is_new ? "new watcher: " + who + " " + w.finding.explanation
                                        : "watcher ended: " + who + " " + w.finding.rule_id + ": " + w.end_reason));
  out.push_back("PRIORITY=" + std::to_string(is_new ? priority(w.finding.severity) : 6));
  out.emplace_back(is_new ? kWatcherNewId : kWatcherEndedId);
  out.push_back(field("SOUSVEIL_WATCHER_ID", std::to_string(w.id)));
  out.push_back(field("SOUSVEIL_CHANGE", std::string(track::to_string(c.change))));
  add_finding(out, w.finding);
  add_process(out, w.process);
  out.push_back(field("SOUSVEIL_FIRST_SEEN", BootClock::format_unix_ns(clock.to_unix_ns(w.first_seen_ns))));
  if (!is_new) out.push_back(field("SOUSVEIL_END_REASON", w.end_reason));
  for (std::size_t i = 0; i < w.evidence.size() && i < 8; ++i) out.push_back(field("SOUSVEIL_EVIDENCE", w.evidence[i]));
  return out;
}

bool send_journal(const std::vector<std::string>& fields) {
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

void JournalSink::send(const std::vector<std::string>& fields) {
  if (!send_journal(fields) && m_failed++ == 0)
    logging::get("service")->warn("journald refused an entry; findings still reach the store and socket");
}

void JournalSink::on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) {
  for (const auto& f : findings) send(journal_fields(f, event));
}

void JournalSink::on_watcher(const track::WatcherChange& change) { send(journal_fields(change, m_clock)); }

void JournalSink::on_lost(std::string_view category, std::uint64_t count) {
  send({"MESSAGE=" + std::to_string(count) + " " + std::string(category) + " events lost: the view may be incomplete",
        "PRIORITY=4", kLostId, "SOUSVEIL_LOST_CATEGORY=" + std::string(category),
        "SOUSVEIL_LOST_COUNT=" + std::to_string(count)});
}

void JournalSink::on_sensor(const SensorStatus& sensor) {
  send({field("MESSAGE", "sensor " + sensor.name + " " + std::string(to_string(sensor.state)) + ": " + sensor.detail),
        std::string("PRIORITY=") + (sensor.state == SensorState::Failed ? "4" : "6"), field("SOUSVEIL_SENSOR", sensor.name),
        field("SOUSVEIL_SENSOR_STATE", std::string(to_string(sensor.state)))});
}

}  // namespace sousveil::service
