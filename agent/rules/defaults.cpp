// SPDX-License-Identifier: Apache-2.0
#include "rules/defaults.h"

#include <cstdlib>

#ifndef SOUSVEIL_SOURCE_RULES_DIR
#define SOUSVEIL_SOURCE_RULES_DIR ""
#endif

namespace sousveil::rules {

std::filesystem::path shipped_rules_dir() {
  if (const char* env = std::getenv("SOUSVEIL_RULES_DIR"); env && *env) return env;
  std::error_code ec;
  std::filesystem::path source = SOUSVEIL_SOURCE_RULES_DIR;
  if (!source.empty() && std::filesystem::is_directory(source, ec)) return source;
  return "/usr/share/sousveil/rules";
}

std::vector<std::filesystem::path> default_rule_sources() {
  std::vector<std::filesystem::path> out{shipped_rules_dir()};
  std::error_code ec;
  if (std::filesystem::is_directory(kLocalRulesDir, ec)) out.push_back(kLocalRulesDir);
  return out;
}

}  // namespace sousveil::rules
