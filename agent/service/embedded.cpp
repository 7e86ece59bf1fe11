// SPDX-License-Identifier: Apache-2.0
#include "service/embedded.h"

#include <future>

#include "common/logging.h"
#include "service/daemon.h"
#include "service/host.h"

#ifndef SOUSVEIL_VERSION
#define SOUSVEIL_VERSION "0.0.0"
#endif

namespace sousveil::service {

Result<std::unique_ptr<EmbeddedAgent>> EmbeddedAgent::start(const std::filesystem::path& socket_path) {
  auto cfg = initial_config(std::nullopt);
  if (!cfg) return make_error("bad configuration: " + cfg.error().message);
  std::unique_ptr<EmbeddedAgent> self(new EmbeddedAgent());
  self->m_socket_path = socket_path;

  HostOptions options;
  options.agent = config::to_agent_options(*cfg);
  options.config = std::move(cfg).value();
  options.serve = true;
  options.socket_path = socket_path;
  options.socket_group = options.config.api.socket_group;
  options.version = SOUSVEIL_VERSION;

  std::promise<Result<void>> started;
  auto ready = started.get_future();
  auto* io = &self->m_io;
  // The agent lives and dies on its own thread; the dashboard only talks to its socket.
  self->m_thread = std::thread([io, options = std::move(options), &started]() mutable {
    Host host(*io, std::move(options));
    auto r = host.start();
    bool ok = static_cast<bool>(r);
    started.set_value(std::move(r));
    if (!ok) return;
    auto guard = boost::asio::make_work_guard(*io);
    io->run();
    host.stop();
  });
  auto r = ready.get();
  if (!r) {
    self->m_thread.join();
    return make_error("could not start an agent here: " + r.error().message);
  }
  logging::get("service")->info("embedded agent serving {}", socket_path.string());
  return self;
}

EmbeddedAgent::~EmbeddedAgent() {
  m_io.stop();
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace sousveil::service
