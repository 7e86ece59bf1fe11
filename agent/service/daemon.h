// SPDX-License-Identifier: Apache-2.0
// sousveild's main loop as a service: config file, sd_notify readiness after
// the sensors are up, the watchdog fed from the loop, STATUS= lines, HUP to
// reload config and rules (a bad config keeps the old one), journald output.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/agent.h"

namespace sousveil::service {

// Passes each callback to every sink added, in order.
class FanOutSink final : public EventSink {
 public:
  void add(EventSink& sink) { m_sinks.push_back(&sink); }
  void on_event(const EnrichedEvent& e, const std::vector<rules::Finding>& f) override {
    for (auto* s : m_sinks) s->on_event(e, f);
  }
  void on_watcher(const track::WatcherChange& c) override {
    for (auto* s : m_sinks) s->on_watcher(c);
  }
  void on_lost(std::string_view category, std::uint64_t count) override {
    for (auto* s : m_sinks) s->on_lost(category, count);
  }
  void on_sensor(const SensorStatus& sensor) override {
    for (auto* s : m_sinks) s->on_sensor(sensor);
  }

 private:
  std::vector<EventSink*> m_sinks;
};

struct DaemonOptions {
  // --config PATH: must exist and be valid. Unset: the default path when it
  // exists, else the built-in defaults.
  std::optional<std::filesystem::path> config_path;
  // Command-line overrides, applied over the file.
  bool no_bpf = false;
  std::vector<std::filesystem::path> rules;
  bool verbose = false;
  std::optional<std::filesystem::path> socket;  // --socket: overrides api.socket
  std::optional<std::string> socket_group;      // --socket-group: overrides api.socket_group
  bool no_socket = false;                       // --no-socket: overrides api.enabled
  // Where the integrator wires the store and the socket API: called after the
  // agent is up and before READY=1, with the config in force.
  std::function<void(Agent&, const config::Config&, FanOutSink&)> on_ready;
};

// The config the daemon would start with, or the error that stops it.
Result<config::Config> initial_config(const std::optional<std::filesystem::path>& path);

// Runs until SIGTERM/SIGINT. Exit codes: 0 stopped, 1 could not start, 2 bad config.
int run_daemon(const DaemonOptions& options);

}  // namespace sousveil::service
