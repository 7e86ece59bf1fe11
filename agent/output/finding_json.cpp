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

nlohmann::json process_json(const ProcessInfo& p, bool with_ancestry) {
  auto cmdline = nlohmann::json::array();
  for (const auto& a : p.cmdline) cmdline.push_back(valid_utf8(a));
  nlohmann::json j = {{"pid", p.pid},
                      {"start_ticks", p.start_ticks},
                      {"comm", valid_utf8(p.comm)},
                      {"exe", valid_utf8(p.exe)},
                      {"cmdline", std::move(cmdline)},
                      {"uid", p.uid},
                      {"user", valid_utf8(p.user)},
                      {"unit", valid_utf8(p.unit)},
                      {"package", valid_utf8(p.package)}};
  if (with_ancestry) {
    auto ancestry = nlohmann::json::array();
    for (const auto& a : p.ancestry)
      ancestry.push_back({{"pid", a.pid}, {"comm", valid_utf8(a.comm)}, {"exe", valid_utf8(a.exe)}});
    j["ancestry"] = std::move(ancestry);
  }
  return j;
}

nlohmann::json watcher_json(const track::Watcher& w, const BootClock& clock) {
  auto evidence = nlohmann::json::array();
  for (const auto& e : w.evidence) evidence.push_back(valid_utf8(e));
  nlohmann::json j = {
      {"id", w.id},
      {"state", track::to_string(w.state)},
      {"rule", w.finding.rule_id},
      {"title", valid_utf8(w.finding.title)},
      {"category", rules::to_string(w.finding.category)},
      {"severity", rules::to_string(w.finding.severity)},
      {"explanation", valid_utf8(w.finding.explanation)},
      {"mitre", w.finding.mitre},
      {"product", w.finding.product},
      {"process", process_json(w.process, true)},
      {"first_seen", BootClock::format_unix_ns(clock.to_unix_ns(w.first_seen_ns))},
      {"last_seen", BootClock::format_unix_ns(clock.to_unix_ns(w.last_seen_ns))},
      {"count", w.count},
      {"evidence", std::move(evidence)},
      {"attempt", w.attempt},
  };
  if (w.state == track::WatcherState::Ended) {
    j["ended"] = BootClock::format_unix_ns(clock.to_unix_ns(w.ended_ns));
    j["end_reason"] = w.end_reason;
  }
  return j;
}

namespace {

// What the event touched, in one string a person recognises.
std::string object_of(const RawEvent& ev) {
  if (const auto* d = ev.device_if()) return d->path.empty() ? d->name : d->path;
  if (const auto* c = std::get_if<ConnectInfo>(&ev.payload)) return c->display.empty() ? c->path : c->display;
  if (const auto* a = std::get_if<AccessInfo>(&ev.payload)) return fmt::format("pid {}", a->target_pid);
  if (const auto* i = std::get_if<InjectionInfo>(&ev.payload)) return i->library;
  if (const auto* x = std::get_if<ExecInfo>(&ev.payload)) return x->filename;
  if (const auto* b = std::get_if<BpfInfo>(&ev.payload)) return b->attach_point.empty() ? b->prog_name : b->attach_point;
  return "";
}

}  // namespace

nlohmann::json finding_push_json(const rules::Finding& f, const EnrichedEvent& ev, const BootClock& clock) {
  nlohmann::json j = {{"rule", f.rule_id},
                      {"title", valid_utf8(f.title)},
                      {"category", rules::to_string(f.category)},
                      {"severity", rules::to_string(f.severity)},
                      {"explanation", valid_utf8(f.explanation)},
                      {"product", f.product},
                      {"kind", to_string(ev.raw.kind)},
                      {"time", BootClock::format_unix_ns(clock.to_unix_ns(ev.raw.ts_boot_ns))},
                      {"process", process_json(ev.process, false)},
                      {"object", valid_utf8(object_of(ev.raw))}};
  if (ev.raw.kind == EventKind::ProcessAccess) j["target"] = process_json(ev.target, false);
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
