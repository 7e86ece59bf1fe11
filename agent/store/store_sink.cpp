// SPDX-License-Identifier: Apache-2.0
#include "store/store_sink.h"

#include <unistd.h>

#include <memory>

#include "common/utf8.h"

namespace sousveil::store {
namespace {

std::int64_t now_unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json text_list(const std::vector<std::string>& items) {
  auto out = nlohmann::json::array();
  for (const auto& s : items) out.push_back(valid_utf8(s));
  return out;
}

nlohmann::json process_json(const ProcessInfo& p, bool with_ancestry) {
  nlohmann::json j = {{"pid", p.pid},
                      {"start_ticks", p.start_ticks},
                      {"comm", valid_utf8(p.comm)},
                      {"exe", valid_utf8(p.exe)},
                      {"cmdline", text_list(p.cmdline)},
                      {"uid", p.uid},
                      {"user", valid_utf8(p.user)},
                      {"unit", valid_utf8(p.unit)},
                      {"package", valid_utf8(p.package)}};
  if (with_ancestry) {
    auto& anc = j["ancestry"] = nlohmann::json::array();
    for (const auto& a : p.ancestry)
      anc.push_back({{"pid", a.pid}, {"comm", valid_utf8(a.comm)}, {"exe", valid_utf8(a.exe)}});
  }
  return j;
}

std::string time_text(std::int64_t unix_ns) { return BootClock::format_unix_ns(static_cast<std::uint64_t>(unix_ns)); }

}  // namespace

std::string event_object(const EnrichedEvent& ev) {
  const auto& raw = ev.raw;
  if (const auto* d = raw.device_if()) return valid_utf8(d->path.empty() ? d->name : d->path);
  if (const auto* c = std::get_if<ConnectInfo>(&raw.payload))
    return valid_utf8(!c->display.empty() ? c->display : !c->path.empty() ? c->path : c->service);
  if (const auto* a = std::get_if<AccessInfo>(&raw.payload))
    return "pid " + std::to_string(a->target_pid) + (ev.target.comm.empty() ? "" : " (" + valid_utf8(ev.target.comm) + ")");
  if (const auto* i = std::get_if<InjectionInfo>(&raw.payload)) return valid_utf8(i->library);
  if (const auto* b = std::get_if<BpfInfo>(&raw.payload))
    return valid_utf8(b->attach_point.empty() ? b->prog_name : b->attach_point);
  if (const auto* e = std::get_if<ExecInfo>(&raw.payload)) return valid_utf8(e->filename);
  return "";
}

Record finding_record(const EnrichedEvent& ev, const rules::Finding& f, const BootClock& clock) {
  Record r;
  r.kind = RecordKind::Finding;
  r.time_ns = static_cast<std::int64_t>(clock.to_unix_ns(ev.raw.ts_boot_ns));
  r.category = std::string(rules::to_string(f.category));
  r.rule = f.rule_id;
  r.severity = std::string(rules::to_string(f.severity));
  r.pid = ev.process.pid;
  r.uid = ev.process.uid;
  if (std::holds_alternative<AccessInfo>(ev.raw.payload)) r.target_uid = ev.target.uid;
  r.exe = valid_utf8(ev.process.exe);
  nlohmann::json j = {{"rule", f.rule_id},
                      {"title", valid_utf8(f.title)},
                      {"category", r.category},
                      {"severity", r.severity},
                      {"explanation", valid_utf8(f.explanation)},
                      {"product", f.product},
                      {"kind", to_string(ev.raw.kind)},
                      {"time", time_text(r.time_ns)},
                      {"process", process_json(ev.process, false)},
                      {"object", event_object(ev)}};
  if (!f.mitre.empty()) j["mitre"] = f.mitre;
  if (r.target_uid) j["target"] = process_json(ev.target, false);
  r.json = j.dump();
  return r;
}

Record watcher_record(const track::WatcherChange& c, const BootClock& clock) {
  const auto& w = c.watcher;
  const bool ended = c.change == track::Change::Ended;
  Record r;
  r.kind = RecordKind::Watcher;
  r.time_ns = static_cast<std::int64_t>(clock.to_unix_ns(ended ? w.ended_ns : w.first_seen_ns));
  r.category = std::string(rules::to_string(w.finding.category));
  r.rule = w.finding.rule_id;
  r.severity = std::string(rules::to_string(w.finding.severity));
  r.pid = w.process.pid;
  r.uid = w.process.uid;
  r.exe = valid_utf8(w.process.exe);
  r.watcher_id = w.id;
  nlohmann::json j = {{"id", w.id},
                      {"change", track::to_string(c.change)},
                      {"state", track::to_string(w.state)},
                      {"rule", w.finding.rule_id},
                      {"title", valid_utf8(w.finding.title)},
                      {"category", r.category},
                      {"severity", r.severity},
                      {"explanation", valid_utf8(w.finding.explanation)},
                      {"mitre", w.finding.mitre},
                      {"product", w.finding.product},
                      {"process", process_json(w.process, true)},
                      {"first_seen", time_text(static_cast<std::int64_t>(clock.to_unix_ns(w.first_seen_ns)))},
                      {"last_seen", time_text(static_cast<std::int64_t>(clock.to_unix_ns(w.last_seen_ns)))},
                      {"count", w.count},
                      {"evidence", text_list(w.evidence)},
                      {"attempt", w.attempt}};
  if (ended) {
    j["ended"] = time_text(r.time_ns);
    j["end_reason"] = w.end_reason;
  }
  r.json = j.dump();
  return r;
}

Record lost_record(std::string_view category, std::uint64_t count, std::int64_t time_ns) {
  Record r;
  r.kind = RecordKind::Lost;
  r.time_ns = time_ns;
  r.category = std::string(category);
  r.json = nlohmann::json{{"kind", "lost"}, {"time", time_text(time_ns)}, {"category", category}, {"count", count}}
               .dump();
  return r;
}

Record sensor_record(const SensorStatus& s, std::int64_t time_ns) {
  Record r;
  r.kind = RecordKind::Sensor;
  r.time_ns = time_ns;
  r.json = nlohmann::json{{"kind", "sensor"},
                          {"time", time_text(time_ns)},
                          {"name", s.name},
                          {"state", to_string(s.state)},
                          {"detail", valid_utf8(s.detail)}}
               .dump();
  return r;
}

Record agent_record(bool started, std::string_view version, std::int64_t time_ns) {
  Record r;
  r.kind = RecordKind::Agent;
  r.time_ns = time_ns;
  r.pid = static_cast<std::uint32_t>(::getpid());
  r.uid = static_cast<std::uint32_t>(::getuid());
  r.json = nlohmann::json{{"kind", "agent"},
                          {"time", time_text(time_ns)},
                          {"event", started ? "started" : "stopped"},
                          {"version", version},
                          {"pid", *r.pid}}
               .dump();
  return r;
}

StoreSink::StoreSink(Store& store, const BootClock& clock, OnStored on_stored)
    : m_store(store), m_clock(clock), m_on_stored(std::move(on_stored)) {}

void StoreSink::put(Record record) {
  if (!m_on_stored) {
    m_store.append(std::move(record));
    return;
  }
  // The callback needs the record after the store took it: keep a copy of the small part.
  auto copy = std::make_shared<Record>(record);
  m_store.append(std::move(record), [copy, cb = m_on_stored](Result<std::uint64_t> seq) { cb(*copy, std::move(seq)); });
}

void StoreSink::on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) {
  for (const auto& f : findings) put(finding_record(event, f, m_clock));
}

void StoreSink::on_watcher(const track::WatcherChange& change) {
  put(watcher_record(change, m_clock));
}

void StoreSink::on_lost(std::string_view category, std::uint64_t count) {
  put(lost_record(category, count, now_unix_ns()));
}

void StoreSink::on_sensor(const SensorStatus& sensor) {
  put(sensor_record(sensor, now_unix_ns()));
}

void StoreSink::agent_started(std::string_view version) { put(agent_record(true, version, now_unix_ns())); }

void StoreSink::agent_stopped(std::string_view version) { put(agent_record(false, version, now_unix_ns())); }

}  // namespace sousveil::store
