// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace sousveil::cli {

enum class Command { Events, Status, Watchers, Dash, Scan, Version, Help };

struct Options {
  Command command = Command::Help;
  bool pretty = false;
  bool json = false;
  bool process_events = false;
  bool use_bpf = true;
  bool snapshot = true;
  bool verbose = false;
  bool use_rules = true;
  std::vector<std::string> rule_sources;  // --rules, in order; empty: the defaults
  std::optional<std::chrono::milliseconds> duration;
  std::optional<std::chrono::milliseconds> ratelimit;
  std::string root = "/";  // scan --root
  std::string socket_path = "/run/sousveil/sousveil.sock";  // the running agent's API
  std::string watcher_state = "all";                        // watchers --state
  bool once = false;  // dash --once: a plain-text snapshot
  bool no_embedded = false;  // dash --no-agent: never start an agent in this process
};

// Parses `sousveil <command> [flags]`. An unknown command or flag, or a bad
// value, is an error naming it.
Result<Options> parse(const std::vector<std::string>& args);

std::string usage();

// Runs the parsed command; returns the exit code.
int run(const Options& options);

}  // namespace sousveil::cli
