// SPDX-License-Identifier: Apache-2.0
// Wires the socket API to the agent: the Backend that answers from an Agent,
// and the EventSink that publishes what the agent sees.
#pragma once

#include <functional>
#include <optional>

#include "api/server.h"
#include "common/boot_clock.h"
#include "core/agent.h"

namespace sousveil::api {

// Answers status, watchers and reload from the agent; history from a store
// once one is connected (set_history), "unavailable" until then.
class AgentBackend final : public Backend {
 public:
  using HistoryFn = std::function<Result<nlohmann::json>(const HistoryQuery&)>;

  AgentBackend() = default;
  explicit AgentBackend(Agent& agent) : m_agent(&agent) {}
  // The agent is made after the server has claimed its socket; no request is
  // served before the io_context runs, which is after attach.
  void attach(Agent& agent) { m_agent = &agent; }
  void set_history(HistoryFn history) { m_history = std::move(history); }

  nlohmann::json status() override;
  std::vector<nlohmann::json> watchers(WatcherFilter filter) override;
  std::optional<Result<nlohmann::json>> history(const HistoryQuery& query) override;
  Result<nlohmann::json> reload() override;

 private:
  Agent& agent();

  Agent* m_agent = nullptr;
  HistoryFn m_history;
};

// Publishes watcher changes, findings, sensor changes and losses to the
// server's subscribers (other sinks sit beside it in the service's FanOutSink).
// JSON is built only when someone is subscribed.
class ApiSink final : public EventSink {
 public:
  void set_server(Server* server) { m_server = server; }

  void on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) override;
  void on_watcher(const track::WatcherChange& change) override;
  void on_lost(std::string_view category, std::uint64_t count) override;
  void on_sensor(const SensorStatus& sensor) override;

 private:
  bool wants(std::string_view topic) const { return m_server && m_server->has_subscribers(topic); }

  Server* m_server = nullptr;
  BootClock m_clock;
};

}  // namespace sousveil::api
