// SPDX-License-Identifier: Apache-2.0
// An agent inside the calling program, on its own thread: what `sousveil dash`
// starts for root where no agent answers, so one command shows everything.
#pragma once

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace sousveil::service {

class EmbeddedAgent {
 public:
  // Loads the config (/etc/sousveil/sousveil.conf when present), serves the
  // socket API at socket_path and keeps history in the configured store when
  // no other agent holds it. Returns once the sensors are up, or why not.
  static Result<std::unique_ptr<EmbeddedAgent>> start(const std::filesystem::path& socket_path);
  // Stops the agent (store flushed, socket removed) and joins its thread.
  ~EmbeddedAgent();
  EmbeddedAgent(const EmbeddedAgent&) = delete;
  EmbeddedAgent& operator=(const EmbeddedAgent&) = delete;

  const std::filesystem::path& socket_path() const { return m_socket_path; }

 private:
  EmbeddedAgent() = default;

  std::filesystem::path m_socket_path;
  boost::asio::io_context m_io{1};
  std::thread m_thread;
};

}  // namespace sousveil::service
