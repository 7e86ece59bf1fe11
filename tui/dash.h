// SPDX-License-Identifier: Apache-2.0
// `sousveil dash`: the dashboard's entry point. A client of the agent's socket
// API; it never loads sensors itself (the embedded agent comes in through
// on_no_agent).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/result.h"

namespace sousveil::tui {

inline constexpr const char* kDefaultSocket = "/run/sousveil/sousveil.sock";

struct DashOptions {
  std::filesystem::path socket_path = kDefaultSocket;
  bool once = false;  // print a plain-text snapshot and exit
  bool json = false;  // print the snapshot as JSON and exit
  // Called at most once, when no agent answers at socket_path (why says what
  // failed). It may start an agent in-process and return the socket it serves;
  // an error is shown and the dashboard keeps retrying socket_path.
  std::function<Result<std::filesystem::path>(const std::string& why)> on_no_agent;
};

// Runs the dashboard until q, SIGINT or SIGTERM; returns the exit code.
int run_dash(const DashOptions& options);

}  // namespace sousveil::tui
