// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <vector>

namespace sousveil::rules {

// Where the shipped rules are: $SOUSVEIL_RULES_DIR, else the source tree's
// rules/ (a build run in place), else the installed /usr/share/sousveil/rules.
std::filesystem::path shipped_rules_dir();
// Local additions and overrides, when the directory exists.
inline const std::filesystem::path kLocalRulesDir = "/etc/sousveil/rules.d";
// Shipped then local: the order the loader needs.
std::vector<std::filesystem::path> default_rule_sources();

}  // namespace sousveil::rules
