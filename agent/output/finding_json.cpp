// SPDX-License-Identifier: Apache-2.0
#include "output/finding_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/utf8.h"

namespace sousveil {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

nlohmann::json to_json(const rules::Finding& f) {
  nlohmann::json j = {{"rule", f.rule_id},
                      {"title", f.title},
                      {"severity", rules::to_string(f.severity)},
                      {"category", rules::to_string(f.category)},
                      {"explanation", valid_utf8(f.explanation)}};
  if (!f.mitre.empty()) j["mitre"] = f.mitre;
  if (!f.product.empty()) j["product"] = f.product;
  return j;
}

nlohmann::json to_json(const track::WatcherChange& c, const BootClock& clock) {
  const auto& w = c.watcher;
  auto evidence = nlohmann::json::array();
  for (const auto& e : w.evidence) evidence.push_back(valid_utf8(e));
  nlohmann::json j = {
      {"kind", "watcher"},
      {"change", track::to_string(c.change)},
      {"id", w.id},
      {"state", track::to_string(w.state)},
      {"finding", to_json(w.finding)},
      {"process", {{"pid", w.process.pid}, {"start_ticks", w.process.start_ticks}, {"comm", valid_utf8(w.process.comm)},
                   {"exe", valid_utf8(w.process.exe)}, {"user", valid_utf8(w.process.user)},
                   {"unit", valid_utf8(w.process.unit)}}},
      {"first_seen", BootClock::format_unix_ns(clock.to_unix_ns(w.first_seen_ns))},
      {"last_seen", BootClock::format_unix_ns(clock.to_unix_ns(w.last_seen_ns))},
      {"count", w.count},
      {"evidence", evidence},
  };
  if (c.change == track::Change::Ended) {
    j["end_reason"] = w.end_reason;
    j["ended"] = BootClock::format_unix_ns(clock.to_unix_ns(w.ended_ns));
  }
  return j;
}

std::string to_pretty_line(const rules::Finding& f) {
  return fmt::format("  -> {:<8} {:<14} {}", upper(rules::to_string(f.severity)), rules::to_string(f.category),
                     f.explanation);
}

std::string to_pretty_line(const track::WatcherChange& c, const BootClock& clock) {
  const auto& w = c.watcher;
  std::string when = BootClock::format_unix_ns(clock.to_unix_ns(c.change == track::Change::New ? w.first_seen_ns
                                                                                               : w.ended_ns))
                         .substr(11, 12);
  // A posture finding about a file or package has no process: name what it is about.
  std::string who = w.process.pid == 0 && !w.evidence.empty()
                        ? w.evidence.front()
                        : fmt::format("{}[{}]", w.process.comm, w.process.pid);
  if (c.change == track::Change::New)
    return fmt::format("{} NEW WATCHER #{}: {} {} ({})", when, w.id, who, w.finding.title,
                       rules::to_string(w.finding.category));
  return fmt::format("{} watcher #{} ended: {} {} ({}, {} events)", when, w.id, who, w.finding.title, w.end_reason,
                     w.count);
}

}  // namespace sousveil
