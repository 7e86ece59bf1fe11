// SPDX-License-Identifier: Apache-2.0
#include "track/tracker.h"

#include <algorithm>

#include "enrich/procfs.h"

namespace sousveil {

std::string posture_subject_key(const RawEvent& event) {
  const auto* pos = std::get_if<PostureInfo>(&event.payload);
  if (!pos) return {};
  std::string key = pos->check;
  key += '\0';
  key += pos->subject;
  return key;
}

}  // namespace sousveil

namespace sousveil::track {
namespace {

constexpr std::size_t kMaxEvidence = 8;

std::uint64_t to_ns(std::chrono::milliseconds ms) { return static_cast<std::uint64_t>(ms.count()) * 1'000'000ULL; }

// What a person should see as the object of the watching.
std::string evidence_of(const EnrichedEvent& ev) {
  const auto& raw = ev.raw;
  if (const auto* io = std::get_if<IoctlInfo>(&raw.payload)) return io->name + " on " + io->device.path;
  if (const auto* rd = std::get_if<ReadInfo>(&raw.payload)) return "reads " + rd->device.path;
  if (const auto* b = std::get_if<BpfInfo>(&raw.payload))
    return b->op + " " + (b->attach_point.empty() ? b->prog_name : b->attach_point);
  if (const auto* d = raw.device_if()) return d->path.empty() ? d->name : d->path;
  if (const auto* a = std::get_if<AccessInfo>(&raw.payload))
    return a->access + " of " + (ev.target.comm.empty() ? "pid" : ev.target.comm) + "[" + std::to_string(a->target_pid) + "]";
  if (const auto* c = std::get_if<ConnectInfo>(&raw.payload))
    return c->service + " " + (c->display.empty() ? c->path : c->display);
  if (const auto* inj = std::get_if<InjectionInfo>(&raw.payload)) return inj->variable + "=" + inj->library;
  if (const auto* pos = std::get_if<PostureInfo>(&raw.payload)) return pos->evidence();
  return "";
}

}  // namespace

std::string_view to_string(WatcherState s) {
  switch (s) {
    case WatcherState::Pending: return "pending";
    case WatcherState::Active: return "active";
    case WatcherState::Ended: return "ended";
  }
  return "unknown";
}

std::string_view to_string(Change c) { return c == Change::New ? "new" : "ended"; }

std::vector<WatcherChange> Tracker::on_finding(const rules::Finding& finding, const rules::Rule* rule,
                                               const EnrichedEvent& event, std::uint64_t now_ns) {
  std::vector<WatcherChange> out;
  ProcessKey pk{event.process.pid, event.process.start_ticks};
  Key key{pk, finding.rule_id, posture_subject_key(event.raw)};
  const DeviceAccess* device = event.raw.device_if();
  bool refused = event.raw.is_device() && device->err != 0;

  auto it = m_live.find(key);
  if (it == m_live.end()) {
    // Late news of a process that is already gone (read counts are collected
    // after the fact): it belongs to the watcher that ended with it.
    auto gone = std::find_if(m_ended.rbegin(), m_ended.rend(), [&](const Watcher& e) {
      return e.process_key == pk && e.finding.rule_id == finding.rule_id && e.end_reason == "process exited";
    });
    if (gone != m_ended.rend()) {
      gone->count += 1 + event.raw.repeats;
      gone->last_seen_ns = std::max(gone->last_seen_ns, now_ns);
      return out;
    }
    Watcher w;
    w.id = m_next_id++;
    w.process_key = pk;
    w.subject = key.subject;
    w.finding = finding;
    w.process = event.process;
    w.first_seen_ns = now_ns;
    w.attempt = refused;
    it = m_live.emplace(key, std::move(w)).first;
    Policy p;
    if (rule) {
      p.confirm_ns = to_ns(rule->confirm_after);
      if (rule->quiet_after) p.quiet_ns = to_ns(*rule->quiet_after);
    }
    m_policy[key] = p;
  }
  Watcher& w = it->second;
  w.last_seen_ns = now_ns;
  w.count += 1 + event.raw.repeats;
  if (!refused) w.attempt = false;
  if (device && !refused) w.devices.insert({device->major, device->minor});
  std::string what = evidence_of(event);
  if (!what.empty() && w.evidence.size() < kMaxEvidence &&
      std::find(w.evidence.begin(), w.evidence.end(), what) == w.evidence.end())
    w.evidence.push_back(what);
  if (w.state == WatcherState::Pending && m_policy[key].confirm_ns == 0) {
    w.state = WatcherState::Active;
    out.push_back({Change::New, w});
  }
  // A refused attempt is over as soon as it is announced.
  if (w.state == WatcherState::Active && w.attempt) end(w, "attempt refused", now_ns, out);
  if (w.state == WatcherState::Ended) {
    m_ended.push_back(std::move(w));
    m_policy.erase(key);
    m_live.erase(it);
  }
  prune(now_ns);
  return out;
}

void Tracker::end(Watcher& w, std::string reason, std::uint64_t now_ns, std::vector<WatcherChange>& out) {
  w.state = WatcherState::Ended;
  w.end_reason = std::move(reason);
  w.ended_ns = std::max(w.last_seen_ns, now_ns);
  out.push_back({Change::Ended, w});
}

std::vector<WatcherChange> Tracker::on_process_exit(const ProcessKey& process, std::uint64_t now_ns) {
  std::vector<WatcherChange> out;
  for (auto it = m_live.begin(); it != m_live.end();) {
    if (it->first.process != process) {
      ++it;
      continue;
    }
    if (it->second.state == WatcherState::Pending) {
      ++m_unconfirmed;  // gone before confirmation: counted, not announced
    } else {
      end(it->second, "process exited", now_ns, out);
      m_ended.push_back(std::move(it->second));
    }
    m_policy.erase(it->first);
    it = m_live.erase(it);
  }
  prune(now_ns);
  return out;
}

std::vector<WatcherChange> Tracker::on_resolved(const std::string& subject, std::uint64_t now_ns) {
  std::vector<WatcherChange> out;
  if (subject.empty()) return out;
  for (auto it = m_live.begin(); it != m_live.end();) {
    if (it->first.subject != subject) {
      ++it;
      continue;
    }
    if (it->second.state == WatcherState::Pending) {
      ++m_unconfirmed;
    } else {
      end(it->second, "resolved", now_ns, out);
      m_ended.push_back(std::move(it->second));
    }
    m_policy.erase(it->first);
    it = m_live.erase(it);
  }
  prune(now_ns);
  return out;
}

std::vector<WatcherChange> Tracker::tick(std::uint64_t now_ns) {
  std::vector<WatcherChange> out;
  for (auto it = m_live.begin(); it != m_live.end();) {
    Watcher& w = it->second;
    const Policy& p = m_policy[it->first];
    std::optional<std::string> ended;
    if (p.quiet_ns && now_ns >= w.last_seen_ns + *p.quiet_ns) {
      ended = "quiet";
    } else if (!w.devices.empty()) {
      auto holds = m_checker.holds_any(w.process_key, w.devices);
      if (!holds) ended = "process exited";
      else if (!*holds) ended = "device closed";
    }
    if (w.state == WatcherState::Pending) {
      if (ended) {
        ++m_unconfirmed;
        m_policy.erase(it->first);
        it = m_live.erase(it);
        continue;
      }
      if (now_ns >= w.first_seen_ns + p.confirm_ns) {
        w.state = WatcherState::Active;
        out.push_back({Change::New, w});
        if (w.attempt) {
          end(w, "attempt refused", now_ns, out);
          m_ended.push_back(std::move(w));
          m_policy.erase(it->first);
          it = m_live.erase(it);
          continue;
        }
      }
    } else if (ended) {
      end(w, *ended, now_ns, out);
      m_ended.push_back(std::move(w));
      m_policy.erase(it->first);
      it = m_live.erase(it);
      continue;
    }
    ++it;
  }
  prune(now_ns);
  return out;
}

void Tracker::prune(std::uint64_t now_ns) {
  auto retention = to_ns(m_options.ended_retention);
  std::erase_if(m_ended, [&](const Watcher& w) { return w.ended_ns + retention < now_ns; });
  if (m_ended.size() > m_options.max_ended)
    m_ended.erase(m_ended.begin(), m_ended.begin() + static_cast<std::ptrdiff_t>(m_ended.size() - m_options.max_ended));
}

std::vector<Watcher> Tracker::watchers() const {
  std::vector<Watcher> out;
  for (const auto& [k, w] : m_live)
    if (w.state == WatcherState::Active) out.push_back(w);
  std::sort(out.begin(), out.end(), [](const Watcher& a, const Watcher& b) { return a.first_seen_ns > b.first_seen_ns; });
  for (auto it = m_ended.rbegin(); it != m_ended.rend(); ++it) out.push_back(*it);
  return out;
}

std::size_t Tracker::active_count() const {
  return static_cast<std::size_t>(std::count_if(m_live.begin(), m_live.end(), [](const auto& kv) {
    return kv.second.state == WatcherState::Active;
  }));
}

}  // namespace sousveil::track
