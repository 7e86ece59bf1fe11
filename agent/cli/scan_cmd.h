// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sousveil::cli {

struct ScanOptions {
  std::filesystem::path root = "/";
  bool json = false;
  bool use_rules = true;
  std::vector<std::string> rule_sources;  // empty: the defaults
};

// `sousveil scan`: one posture scan of ROOT, printed with what the rules make
// of each finding. Returns the exit code.
int run_scan(const ScanOptions& options);

}  // namespace sousveil::cli
