// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "core/agent.h"

namespace sousveil {

struct RunOptions {
  AgentOptions agent;
  std::optional<std::chrono::milliseconds> duration;  // stop by itself after this long
  // Called once the agent is up (sensors attached, snapshot done).
  std::function<void(Agent&)> on_ready;
  // Called after the loop ends, before teardown, with the final status.
  std::function<void(const Status&)> on_finish;
  // Run on this io_context (shared with e.g. the socket API) instead of a private one.
  boost::asio::io_context* io = nullptr;
};

// Runs an agent on its own io_context until SIGINT or SIGTERM (or the
// duration), reloading on SIGHUP. Returns the process exit code.
int run_agent(const RunOptions& options, EventSink& sink);

}  // namespace sousveil
