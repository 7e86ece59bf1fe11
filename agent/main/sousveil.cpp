// SPDX-License-Identifier: Apache-2.0
// sousveil: the command-line client (events, status, ...).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/history_cmd.h"
#include "cli/rules_cmd.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "rules")
    return sousveil::cli::run_rules_command({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "history")
    return sousveil::cli::run_history_command({args.begin() + 1, args.end()});
  auto options = sousveil::cli::parse(args);
  if (!options) {
    std::fprintf(stderr, "sousveil: %s\n", options.error().message.c_str());
    return 2;
  }
  return sousveil::cli::run(*options);
}
