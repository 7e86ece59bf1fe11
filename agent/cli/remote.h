// SPDX-License-Identifier: Apache-2.0
// CLI commands answered by the running agent over its socket.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "cli/cli.h"
#include "core/status.h"

namespace sousveil::cli {

// `sousveil status` from the running agent. nullopt when no agent answers (or
// the flags ask for a private run): the caller then runs one itself.
std::optional<int> remote_status(const Options& options);
// `sousveil watchers [--json] [--state S]`: needs a running agent.
int run_watchers(const Options& options);
// The inverse of to_json(Status), for printing the agent's answer as text.
Status status_from_json(const nlohmann::json& j);
// One line per watcher for a person.
std::string watcher_line(const nlohmann::json& watcher);

}  // namespace sousveil::cli
