// SPDX-License-Identifier: Apache-2.0
#include "cli/config_cmd.h"

#include <cstdio>
#include <iostream>

#include "config/config.h"

namespace sousveil::cli {
namespace {

constexpr const char* kUsage =
    "usage: sousveil config <check|show> [PATH]\n"
    "  check [PATH]  validate a sousveild config file (default /etc/sousveil/sousveil.conf);\n"
    "                every error names file:line:col and the setting\n"
    "  show [PATH]   print the effective configuration, defaults filled in\n";

}  // namespace

int run_config_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& sub = args[0];
  if (sub != "check" && sub != "show") {
    std::fprintf(stderr, "sousveil config: unknown subcommand '%s'\n%s", sub.c_str(), kUsage);
    return 2;
  }
  if (args.size() > 2 || (args.size() == 2 && args[1].starts_with("-"))) {
    std::fprintf(stderr, "sousveil config %s: takes one path at most\n%s", sub.c_str(), kUsage);
    return 2;
  }
  std::filesystem::path path = args.size() == 2 ? std::filesystem::path(args[1]) : config::kDefaultConfigPath;
  auto c = config::load_config(path);
  if (!c) {
    std::fprintf(stderr, "%s\n", c.error().message.c_str());
    return 1;
  }
  if (sub == "show") std::cout << config::to_yaml(*c);
  else std::cout << path.string() << ": ok\n";
  return 0;
}

}  // namespace sousveil::cli
