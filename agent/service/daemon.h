// SPDX-License-Identifier: Apache-2.0
// sousveild's main loop as a service: config file, sd_notify readiness after
// the sensors are up, the watchdog fed from the loop, STATUS= lines, HUP to
// reload config and rules (a bad config keeps the old one), journald output.
#pragma once

#include "service/host.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/agent.h"

namespace sousveil::service {

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
  std::optional<std::filesystem::path> store;   // --store: overrides store.path
  bool no_store = false;                        // --no-store: overrides store.enabled
};

// The config the daemon would start with, or the error that stops it.
Result<config::Config> initial_config(const std::optional<std::filesystem::path>& path);

// Runs until SIGTERM/SIGINT. Exit codes: 0 stopped, 1 could not start, 2 bad config.
int run_daemon(const DaemonOptions& options);

}  // namespace sousveil::service
