// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace sousveil::cli {

// `sousveil rules check|test|list ...`; returns the exit code.
int run_rules_command(const std::vector<std::string>& args);
std::string rules_usage();

}  // namespace sousveil::cli
