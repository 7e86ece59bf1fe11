// SPDX-License-Identifier: Apache-2.0
#include "service/host.h"

#include "api/store_history.h"
#include "common/boot_clock.h"
#include "common/logging.h"

namespace sousveil::service {
namespace {

auto log() {
  static auto logger = logging::get("service");
  return logger;
}

}  // namespace

store::StoreOptions store_options(const config::StoreConfig& c) {
  store::StoreOptions o;
  o.path = c.path;
  o.max_age = c.max_age;
  o.max_bytes = c.max_bytes;
  o.retention_interval = std::chrono::duration_cast<std::chrono::milliseconds>(c.retention_interval);
  return o;
}

Host::Host(boost::asio::io_context& io, HostOptions options) : m_io(io), m_options(std::move(options)) {}

Host::~Host() { stop(); }

Result<void> Host::open_store() {
  if (!m_options.config.store.enabled) {
    m_store_problem = "switched off in the config (store.enabled: false)";
    return {};
  }
  auto opened = store::Store::open(store_options(m_options.config.store));
  if (!opened) {
    // Better a watcher seen and not kept than one not seen: run on, and say so in status.
    m_store_problem = opened.error().message;
    log()->warn("running without history: {}", m_store_problem);
    return {};
  }
  m_store = std::move(opened).value();
  static const BootClock clock;
  m_store_sink = std::make_unique<store::StoreSink>(*m_store, clock);
  m_store_sink->agent_started(m_options.version);
  m_sinks.add(*m_store_sink);
  m_backend.set_history([this](const api::HistoryQuery& q) { return api::store_history(*m_store, q); });
  log()->info("store={} last_seq={}", m_store->path().string(), m_store->stats().last_seq);
  return {};
}

Result<void> Host::start() {
  if (m_options.log_sink) m_sinks.add(*m_options.log_sink);
  // The socket first: a second agent fails fast, before it touches the store.
  if (m_options.serve) {
    api::ServerOptions so;
    so.socket_path = m_options.socket_path;
    so.group = m_options.socket_group;
    so.audit_group = m_options.config.api.audit_group;
    so.max_queue = m_options.config.api.client_queue;
    so.version = m_options.version;
    m_server = std::make_unique<api::Server>(m_io, so, m_backend);
    if (auto r = m_server->start(); !r) {
      stop();
      return make_error("socket API: " + r.error().message);
    }
  }
  // Then the history, so the first findings (the start-up snapshot) are kept.
  if (auto r = open_store(); !r) {
    stop();
    return r;
  }
  if (m_server) {
    m_api_sink.set_server(m_server.get());
    m_sinks.add(m_api_sink);
  }
  m_agent = std::make_unique<Agent>(m_io, m_options.agent, m_sinks);
  if (auto r = m_agent->start(); !r) {
    stop();
    return r;
  }
  m_backend.attach(*m_agent);
  if (m_store) {
    m_agent->report_sensor("history", SensorState::Running,
                           "SQLite with a SHA-256 chain at " + m_store->path().string());
  } else {
    m_agent->report_sensor("history", m_options.config.store.enabled ? SensorState::Failed : SensorState::Disabled,
                           "no history kept: " + m_store_problem);
  }
  return {};
}

void Host::stop() {
  if (m_stopped) return;
  m_stopped = true;
  if (m_agent) {
    m_agent->flush();
    m_agent->stop();
  }
  if (m_server) m_server->stop();
  if (m_store) {
    m_store_sink->agent_stopped(m_options.version);
    m_store->close();
  }
}

}  // namespace sousveil::service
