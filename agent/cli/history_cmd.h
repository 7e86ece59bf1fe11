// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace sousveil::cli {

// `sousveil history [verify] ...`; returns the exit code (1: the chain is broken).
int run_history_command(const std::vector<std::string>& args);
std::string history_usage();

}  // namespace sousveil::cli
