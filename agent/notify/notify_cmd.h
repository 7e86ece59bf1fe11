// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace sousveil::notify {

// `sousveil notify [--socket PATH] [--config PATH] [--min-severity S] [-v]`:
// subscribes to the agent's watcher pushes and posts desktop notifications
// until SIGTERM/SIGINT, reconnecting when the agent restarts.
int run_notify_command(const std::vector<std::string>& args);

}  // namespace sousveil::notify
