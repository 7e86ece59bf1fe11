// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace sousveil::cli {

// `sousveil config check [PATH]` and `sousveil config show [PATH]`.
// Exit codes: 0 valid, 1 invalid, 2 usage error.
int run_config_command(const std::vector<std::string>& args);

}  // namespace sousveil::cli
