// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rules/ruleset.h"

namespace sousveil::rules {

// One problem in a rule file: where, what, and the offending line.
struct LoadError {
  SourcePos pos;
  std::string message;
  std::string snippet;  // the line and a caret under the column
  // "file:line:col: message" then the snippet.
  std::string format() const;
  // "file:line:col: message" alone, for one-line summaries.
  std::string headline() const;
};

struct LoadResult {
  std::shared_ptr<const Ruleset> ruleset;  // null when there were errors
  std::vector<LoadError> errors;
  bool ok() const { return errors.empty() && ruleset; }
  std::string format_errors() const;
};

// Loads rule files and directories in order (shipped first, local overrides
// last). All or nothing: any error and no ruleset is returned. A directory
// contributes its *.yaml and *.yml files in name order.
LoadResult load_rules(const std::vector<std::filesystem::path>& sources);

// Runs every rule's examples: each "match" example must fire the rule, each
// "no_match" example must not, and every rule must have at least one of each.
// Returns one error per failing example or untested rule.
std::vector<LoadError> check_examples(const Ruleset& ruleset);

}  // namespace sousveil::rules
