// SPDX-License-Identifier: Apache-2.0
#include "tui/model.h"

#include <algorithm>

#include "tui/format.h"

namespace sousveil::tui {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 5> kSeverityNames = {"info", "low", "medium", "high", "critical"};

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

template <class T>
std::optional<T> num(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<T>();
}

std::optional<double> time_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return parse_rfc3339(it->get<std::string>());
  return std::nullopt;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Active first; among them the worst severity, then the newest; then ended, newest first.
bool watcher_order(const WatcherRow& a, const WatcherRow& b) {
  if (a.active() != b.active()) return a.active();
  if (a.active() && a.severity != b.severity) return a.severity > b.severity;
  double ta = a.active() ? a.first_seen.value_or(0) : a.ended.value_or(a.last_seen.value_or(0));
  double tb = b.active() ? b.first_seen.value_or(0) : b.ended.value_or(b.last_seen.value_or(0));
  if (ta != tb) return ta > tb;
  return a.id > b.id;
}

void count_sensors(Health& h) {
  h.sensors_running = h.sensors_failed = h.sensors_off = 0;
  for (const auto& x : h.sensors) {
    if (x.ok()) ++h.sensors_running;
    else if (x.state == "disabled") ++h.sensors_off;
    else ++h.sensors_failed;
  }
}

}  // namespace

Severity severity_from(std::string_view s) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == s) return static_cast<Severity>(i);
  return Severity::Info;
}

std::string_view to_string(Severity s) { return kSeverityNames[static_cast<std::size_t>(s)]; }

std::string WatcherRow::program() const {
  if (!exe.empty()) return base_name(exe);
  return comm;
}

std::size_t Snapshot::active_count() const {
  return static_cast<std::size_t>(
      std::count_if(watchers.begin(), watchers.end(), [](const WatcherRow& w) { return w.active(); }));
}

std::optional<WatcherRow> parse_watcher(const json& w, std::string* error) {
  auto fail = [&](std::string what) -> std::optional<WatcherRow> {
    if (error) *error = std::move(what);
    return std::nullopt;
  };
  if (!w.is_object()) return fail("watcher is not an object");
  auto id = num<std::uint64_t>(w, "id");
  if (!id) return fail("watcher without a numeric \"id\"");
  WatcherRow r;
  r.id = *id;
  r.state = str(w, "state");
  if (r.state.empty()) return fail("watcher " + std::to_string(r.id) + " without a \"state\"");
  // The CLI's event stream nests the rule's words in "finding"; the API flattens them.
  const json& f = (w.contains("finding") && w["finding"].is_object()) ? w["finding"] : w;
  r.rule = str(f, "rule");
  r.title = str(f, "title");
  r.category = str(f, "category");
  r.severity_name = str(f, "severity");
  r.severity = severity_from(r.severity_name);
  r.explanation = str(f, "explanation");
  r.mitre = str(f, "mitre");
  r.product = str(f, "product");
  if (r.category.empty()) return fail("watcher " + std::to_string(r.id) + " without a \"category\"");
  if (auto p = w.find("process"); p != w.end() && p->is_object()) {
    r.pid = num<std::uint32_t>(*p, "pid").value_or(0);
    r.start_ticks = num<std::uint64_t>(*p, "start_ticks").value_or(0);
    r.comm = str(*p, "comm");
    r.exe = str(*p, "exe");
    r.uid = num<std::uint32_t>(*p, "uid");
    r.user = str(*p, "user");
    r.unit = str(*p, "unit");
    r.package = str(*p, "package");
    if (auto c = p->find("cmdline"); c != p->end() && c->is_array())
      for (const auto& a : *c)
        if (a.is_string()) r.cmdline.push_back(a.get<std::string>());
    if (auto an = p->find("ancestry"); an != p->end() && an->is_array())
      for (const auto& a : *an)
        if (a.is_object())
          r.ancestry.push_back({num<std::uint32_t>(a, "pid").value_or(0), str(a, "comm"), str(a, "exe")});
  } else {
    return fail("watcher " + std::to_string(r.id) + " without a \"process\" object");
  }
  r.first_seen = time_of(w, "first_seen");
  r.last_seen = time_of(w, "last_seen");
  r.ended = time_of(w, "ended");
  r.end_reason = str(w, "end_reason");
  r.count = num<std::uint64_t>(w, "count").value_or(0);
  if (auto e = w.find("evidence"); e != w.end() && e->is_array())
    for (const auto& x : *e)
      if (x.is_string()) r.evidence.push_back(x.get<std::string>());
  if (auto a = w.find("attempt"); a != w.end() && a->is_boolean()) r.attempt = a->get<bool>();
  auto raw = std::make_shared<json>(w);
  raw->erase("change");
  raw->erase("kind");
  r.raw = std::move(raw);
  return r;
}

bool DashModel::on_hello(const json& result) {
  if (!result.is_object()) {
    note_malformed("hello: result is not an object");
    return true;
  }
  if (auto p = result.find("peer"); p != result.end() && p->is_object()) {
    m_health.scope = str(*p, "scope");
    m_health.user = str(*p, "user");
  }
  touch();
  return true;
}

bool DashModel::on_status(const json& s) {
  if (!s.is_object()) {
    note_malformed("status: not an object");
    return true;
  }
  Health h = m_health;
  h.have_status = true;
  h.version = str(s, "version");
  h.mode = str(s, "mode");
  h.fidelity = str(s, "fidelity");
  h.uptime_s = num<double>(s, "uptime_s").value_or(0);
  h.sensors.clear();
  if (auto it = s.find("sensors"); it != s.end() && it->is_array()) {
    for (const auto& x : *it) {
      if (!x.is_object()) continue;
      h.sensors.push_back(SensorRow{str(x, "name"), str(x, "state"), str(x, "detail")});
    }
  }
  count_sensors(h);
  std::uint64_t lost = 0;
  if (auto e = s.find("events"); e != s.end() && e->is_object()) lost = num<std::uint64_t>(*e, "lost_total").value_or(0);
  m_status_lost = lost;
  m_pushed_lost = 0;  // the status counts them already
  h.events_lost = m_status_lost;
  if (auto r = s.find("rules"); r != s.end() && r->is_object()) {
    h.rules_error = str(*r, "error");
    h.rules_loaded = num<std::size_t>(*r, "loaded").value_or(0);
  }
  // Uptime ticks every second: only a change a person would see redraws.
  Health before = m_health;
  before.uptime_s = h.uptime_s;
  bool changed = !m_health.have_status || before.version != h.version || before.mode != h.mode ||
                 before.fidelity != h.fidelity || before.events_lost != h.events_lost ||
                 before.rules_error != h.rules_error || before.rules_loaded != h.rules_loaded ||
                 before.sensors.size() != h.sensors.size() ||
                 !std::equal(before.sensors.begin(), before.sensors.end(), h.sensors.begin(),
                             [](const SensorRow& a, const SensorRow& b) {
                               return a.name == b.name && a.state == b.state && a.detail == b.detail;
                             });
  m_health = std::move(h);
  if (changed) touch();
  return changed;
}

bool DashModel::on_watchers(const json& result) {
  const json* list = nullptr;
  if (result.is_object() && result.contains("watchers") && result["watchers"].is_array()) list = &result["watchers"];
  else if (result.is_array()) list = &result;
  if (!list) {
    note_malformed("watchers: result has no \"watchers\" array");
    return true;
  }
  std::map<std::uint64_t, WatcherRow> fresh;
  for (const auto& w : *list) {
    std::string err;
    auto row = parse_watcher(w, &err);
    if (!row) {
      note_malformed("watchers: " + err);
      continue;
    }
    fresh[row->id] = std::move(*row);
  }
  m_watchers = std::move(fresh);
  trim_ended();
  touch();
  return true;
}

bool DashModel::upsert_watcher(const json& w) {
  std::string err;
  auto row = parse_watcher(w, &err);
  if (!row) {
    note_malformed("watcher push: " + err);
    return true;
  }
  // An ended push names the end; the state field follows it even if absent.
  if (str(w, "change") == "ended") row->state = "ended";
  m_watchers[row->id] = std::move(*row);
  trim_ended();
  touch();
  return true;
}

void DashModel::trim_ended() {
  std::vector<const WatcherRow*> ended;
  for (const auto& [id, w] : m_watchers)
    if (!w.active()) ended.push_back(&w);
  if (ended.size() <= m_max_ended) return;
  std::sort(ended.begin(), ended.end(), [](const WatcherRow* a, const WatcherRow* b) { return watcher_order(*a, *b); });
  std::vector<std::uint64_t> drop;
  for (std::size_t i = m_max_ended; i < ended.size(); ++i) drop.push_back(ended[i]->id);
  for (auto id : drop) m_watchers.erase(id);
}

bool DashModel::on_finding(const json& f) {
  if (!f.is_object()) {
    note_malformed("finding push: data is not an object");
    return true;
  }
  FindingRow r;
  r.time = time_of(f, "time");
  r.rule = str(f, "rule");
  r.title = str(f, "title");
  r.category = str(f, "category");
  r.severity = severity_from(str(f, "severity"));
  r.kind = str(f, "kind");
  r.object = str(f, "object");
  if (auto p = f.find("process"); p != f.end() && p->is_object()) {
    r.pid = num<std::uint32_t>(*p, "pid").value_or(0);
    std::string exe = str(*p, "exe");
    r.program = exe.empty() ? str(*p, "comm") : base_name(exe);
  }
  m_findings.push_front(std::move(r));
  while (m_findings.size() > m_max_findings) m_findings.pop_back();
  touch();
  return true;
}

bool DashModel::on_sensor(const json& s) {
  if (!s.is_object() || str(s, "name").empty()) {
    note_malformed("sensor push: data without a \"name\"");
    return true;
  }
  SensorRow row{str(s, "name"), str(s, "state"), str(s, "detail")};
  auto it = std::find_if(m_health.sensors.begin(), m_health.sensors.end(),
                         [&](const SensorRow& x) { return x.name == row.name; });
  if (it == m_health.sensors.end()) m_health.sensors.push_back(row);
  else *it = row;
  count_sensors(m_health);
  touch();
  return true;
}

bool DashModel::on_push(const json& m) {
  if (!m.is_object() || !m.contains("event") || !m["event"].is_string()) {
    note_malformed("push without an \"event\" name");
    return true;
  }
  static const json kNull;
  return on_push(m["event"].get<std::string>(), m.contains("data") ? m["data"] : kNull);
}

bool DashModel::on_push(std::string_view topic, const json& data) {
  if (topic == "watcher") return upsert_watcher(data);
  if (topic == "finding") return on_finding(data);
  if (topic == "status") return on_status(data);
  if (topic == "sensor") return on_sensor(data);
  if (topic == "lost") {
    std::uint64_t n = data.is_object() ? num<std::uint64_t>(data, "count").value_or(0) : 0;
    m_pushed_lost += n;
    m_health.events_lost = m_status_lost + m_pushed_lost;
    touch();
    return true;
  }
  if (topic == "lagged") {
    m_health.pushes_dropped += data.is_object() ? num<std::uint64_t>(data, "dropped").value_or(0) : 0;
    touch();
    return true;
  }
  // A newer agent may add topics: say so once rather than fail.
  note_malformed("unknown push topic \"" + std::string(topic) + "\"");
  return true;
}

bool DashModel::on_history(const json& result) {
  HistoryState h;
  h.loaded = true;
  if (!result.is_object() || !result.contains("rows") || !result["rows"].is_array()) {
    h.unavailable = "the agent's history answer has no \"rows\" array";
    m_history = std::move(h);
    touch();
    return true;
  }
  for (const auto& r : result["rows"]) {
    if (!r.is_object()) continue;
    HistoryRowView v;
    v.seq = num<std::uint64_t>(r, "seq").value_or(0);
    v.time = time_of(r, "time");
    v.kind = str(r, "kind");
    v.category = str(r, "category");
    v.rule = str(r, "rule");
    v.severity = str(r, "severity");
    // The store's row names its process in "process" ({pid, uid, exe}).
    const json& who = (r.contains("process") && r["process"].is_object()) ? r["process"] : r;
    v.pid = num<std::uint32_t>(who, "pid");
    v.exe = str(who, "exe");
    if (auto rec = r.find("record"); rec != r.end() && rec->is_object()) {
      const json& f = (rec->contains("finding") && (*rec)["finding"].is_object()) ? (*rec)["finding"] : *rec;
      v.summary = str(f, "title");
      if (v.summary.empty()) v.summary = str(f, "explanation");
      if (v.summary.empty()) v.summary = str(*rec, "detail");
      if (std::string change = str(*rec, "change"); !change.empty()) v.summary = change + ": " + v.summary;
    }
    h.rows.push_back(std::move(v));
  }
  if (auto t = result.find("truncated"); t != result.end() && t->is_boolean()) h.truncated = t->get<bool>();
  m_history = std::move(h);
  touch();
  return true;
}

bool DashModel::on_history_error(std::string reason) {
  m_history = HistoryState{};
  m_history.loaded = true;
  m_history.unavailable = std::move(reason);
  touch();
  return true;
}

bool DashModel::on_connected() {
  bool changed = !m_health.connected || !m_health.connection.empty();
  m_health.connected = true;
  m_health.connection.clear();
  m_health.pushes_dropped = 0;
  if (changed) touch();
  return changed;
}

bool DashModel::on_disconnected(std::string reason) {
  bool changed = m_health.connected || m_health.connection != reason;
  m_health.connected = false;
  m_health.connection = std::move(reason);
  if (changed) touch();
  return changed;
}

void DashModel::note_malformed(std::string what) {
  ++m_health.malformed;
  m_health.last_malformed = std::move(what);
  touch();
}

std::shared_ptr<const Snapshot> DashModel::snapshot() {
  if (m_cached && m_cached->generation == m_generation) return m_cached;
  auto s = std::make_shared<Snapshot>();
  s->generation = m_generation;
  for (std::size_t i = 0; i < kIndicators.size(); ++i) {
    s->indicators[i].category = kIndicators[i].category;
    s->indicators[i].label = kIndicators[i].label;
  }
  for (const auto& [id, w] : m_watchers) {
    if (w.category == "posture") {
      s->posture.push_back(w);
      continue;
    }
    s->watchers.push_back(w);
    if (!w.active()) continue;
    for (auto& ind : s->indicators) {
      if (ind.category != w.category) continue;
      ind.lit = true;
      ++ind.active;
      ind.worst = std::max(ind.worst, w.severity);
    }
  }
  std::sort(s->watchers.begin(), s->watchers.end(), watcher_order);
  std::sort(s->posture.begin(), s->posture.end(), watcher_order);
  s->recent_findings.assign(m_findings.begin(), m_findings.end());
  s->health = m_health;
  s->blind_spots = blind_spots(m_health);
  s->history = m_history;
  m_cached = std::move(s);
  return m_cached;
}

std::vector<BlindSpot> blind_spots(const Health& h) {
  std::vector<BlindSpot> out;
  if (!h.connected && !h.connection.empty())
    out.push_back({"everything, right now", "the dashboard is not connected to the agent: " + h.connection});
  for (const auto& s : h.sensors)
    if (!s.ok() && !s.redundant())
      out.push_back({"what the " + s.name + " sensor watches", s.state + (s.detail.empty() ? "" : ": " + s.detail)});
  if (h.mode == "fallback")
    out.push_back({"short-lived opens, ioctls, reads and memory access",
                   "eBPF is not loaded: the /proc fallback only sees what is open when it looks"});
  if (h.events_lost > 0)
    out.push_back({"some events (" + format_count(h.events_lost) + " lost)",
                   "a buffer was full; the view may be incomplete"});
  if (h.pushes_dropped > 0)
    out.push_back({"some live updates (" + format_count(h.pushes_dropped) + " dropped)",
                   "this dashboard read too slowly; the lists are re-read on reconnect"});
  if (h.scope == "own")
    out.push_back({"other users' programs that watch only their own session",
                   "you are not root or in the audit group: the agent shows you what concerns you"});
  if (!h.rules_error.empty()) out.push_back({"what the failed rules would match", "rules problem: " + h.rules_error});
  // Limits of the method, true whatever the setup.
  out.push_back({"capture inside the compositor or the X server itself",
                 "a display server needs no request to read its own screen or input"});
  out.push_back({"hardware keyloggers, cameras and capture cards outside the machine",
                 "nothing in the kernel sees a device in the cable"});
  out.push_back({"programs loaded before the agent as kernel modules",
                 "a module can hide from every user-space and eBPF view"});
  out.push_back({"what a remote administrator does on another machine with data already sent",
                 "sousveil sees who captures here, not where the data goes next"});
  return out;
}

}  // namespace sousveil::tui
