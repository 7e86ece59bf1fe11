// SPDX-License-Identifier: Apache-2.0
// The agent with everything around it: the history store, the socket API and
// the log. sousveild runs one as a service; `sousveil dash` runs one
// in-process where no agent answers (the zero-setup path).
#pragma once

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/agent_adapter.h"
#include "api/server.h"
#include "common/result.h"
#include "config/config.h"
#include "core/agent.h"
#include "store/store.h"
#include "store/store_sink.h"

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

struct HostOptions {
  config::Config config;  // store, api and everything the agent reads
  AgentOptions agent;     // from the config, with command-line overrides applied
  bool serve = true;      // the socket API
  std::filesystem::path socket_path;
  std::string socket_group;
  EventSink* log_sink = nullptr;  // stderr lines or journald entries
  std::string version;
};

// Start order: the history store (so the first findings are kept), the socket
// (claimed before the sensors load, so a second agent fails fast), then the
// agent. Stop is the reverse, and runs on every path.
class Host {
 public:
  Host(boost::asio::io_context& io, HostOptions options);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  Result<void> start();
  void stop();

  Agent& agent() { return *m_agent; }
  const store::Store* store() const { return m_store.get(); }
  const std::filesystem::path& socket_path() const { return m_options.socket_path; }

 private:
  Result<void> open_store();

  boost::asio::io_context& m_io;
  HostOptions m_options;
  FanOutSink m_sinks;
  std::unique_ptr<store::Store> m_store;
  std::unique_ptr<store::StoreSink> m_store_sink;
  std::string m_store_problem;  // why there is no history, "" when there is
  api::AgentBackend m_backend;
  api::ApiSink m_api_sink;
  std::unique_ptr<api::Server> m_server;
  std::unique_ptr<Agent> m_agent;
  bool m_stopped = false;
};

// The store settings of a config.
store::StoreOptions store_options(const config::StoreConfig& c);

}  // namespace sousveil::service
