// SPDX-License-Identifier: Apache-2.0
#include "api/agent_adapter.h"

#include <stdexcept>

#include "core/status.h"
#include "output/finding_json.h"

namespace sousveil::api {

Agent& AgentBackend::agent() {
  if (!m_agent) throw std::runtime_error("the agent is still starting");
  return *m_agent;
}

nlohmann::json AgentBackend::status() { return to_json(agent().status()); }

std::vector<nlohmann::json> AgentBackend::watchers(WatcherFilter filter) {
  auto& a = agent();
  std::vector<nlohmann::json> out;
  for (const auto& w : a.watchers()) {
    const bool ended = w.state == track::WatcherState::Ended;
    if ((filter == WatcherFilter::Active && ended) || (filter == WatcherFilter::Ended && !ended)) continue;
    out.push_back(watcher_json(w, a.clock()));
  }
  return out;
}

std::optional<Result<nlohmann::json>> AgentBackend::history(const HistoryQuery& query) {
  if (!m_history) return std::nullopt;
  return m_history(query);
}

Result<nlohmann::json> AgentBackend::reload() {
  auto& a = agent();
  if (auto r = a.reload(); !r) return r.error();
  return nlohmann::json{{"rules_loaded", a.status().rules_loaded}};
}

void ApiSink::on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) {
  if (!findings.empty() && wants(kTopicFinding))
    for (const auto& f : findings) m_server->publish(kTopicFinding, finding_push_json(f, event, m_clock));
}

void ApiSink::on_watcher(const track::WatcherChange& change) {
  if (wants(kTopicWatcher)) {
    auto j = watcher_json(change.watcher, m_clock);
    j["change"] = track::to_string(change.change);
    m_server->publish(kTopicWatcher, j);
  }
}

void ApiSink::on_lost(std::string_view category, std::uint64_t count) {
  if (wants(kTopicLost)) m_server->publish(kTopicLost, {{"category", category}, {"count", count}});
}

void ApiSink::on_sensor(const SensorStatus& sensor) {
  if (wants(kTopicSensor))
    m_server->publish(kTopicSensor,
                      {{"name", sensor.name}, {"state", to_string(sensor.state)}, {"detail", sensor.detail}});
}

}  // namespace sousveil::api
