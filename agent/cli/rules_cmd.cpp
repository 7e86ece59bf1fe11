// SPDX-License-Identifier: Apache-2.0
#include "cli/rules_cmd.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/utf8.h"
#include "rules/defaults.h"
#include "rules/engine.h"
#include "rules/event_fields.h"
#include "rules/loader.h"

namespace sousveil::cli {
namespace {

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }
void print_err(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stderr); }

int usage_error(const std::string& message) {
  print_err("sousveil rules: " + message + "; try 'sousveil rules help'\n");
  return 2;
}

rules::LoadResult load_or_report(const std::vector<std::filesystem::path>& sources) {
  auto result = rules::load_rules(sources);
  if (!result.ok()) {
    print_err(result.format_errors());
    print_err(fmt::format("{} error{} in the rules; nothing was loaded\n", result.errors.size(),
                          result.errors.size() == 1 ? "" : "s"));
  }
  return result;
}

int check(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> sources;
  for (const auto& a : args) {
    if (a.starts_with("-")) return usage_error("unknown flag '" + a + "' for 'rules check'");
    sources.emplace_back(a);
  }
  if (sources.empty()) sources = rules::default_rule_sources();
  auto result = load_or_report(sources);
  if (!result.ok()) return 1;
  auto failures = rules::check_examples(*result.ruleset);
  for (const auto& e : failures) print_err(e.format() + "\n");
  std::size_t examples = 0;
  for (const auto& r : result.ruleset->rules()) examples += r.examples_match.size() + r.examples_no_match.size();
  if (!failures.empty()) {
    print_err(fmt::format("{} of {} examples failed\n", failures.size(), examples));
    return 1;
  }
  print(fmt::format("ok: {} rules ({} enabled) from {} files, {} examples pass\n", result.ruleset->rules().size(),
                    result.ruleset->enabled_count(), result.ruleset->sources().size(), examples));
  return 0;
}

int list(const std::vector<std::string>& args) {
  bool json = false;
  std::vector<std::filesystem::path> sources;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") json = true;
    else if (args[i] == "--rules" && i + 1 < args.size()) sources.emplace_back(args[++i]);
    else return usage_error("unknown argument '" + args[i] + "' for 'rules list'");
  }
  if (sources.empty()) sources = rules::default_rule_sources();
  auto result = load_or_report(sources);
  if (!result.ok()) return 1;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : result.ruleset->rules()) {
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& e : r.exceptions) ex.push_back({{"name", e.name}, {"reason", e.reason}});
      out.push_back({{"id", r.id}, {"title", r.title}, {"kinds", r.kinds},
                     {"severity", rules::to_string(r.severity)}, {"category", rules::to_string(r.category)},
                     {"mitre", r.mitre}, {"enabled", r.enabled}, {"disabled_reason", r.disabled_reason},
                     {"file", r.pos.file}, {"line", r.pos.line}, {"exceptions", ex}});
    }
    print(out.dump(2) + "\n");
    return 0;
  }
  for (const auto& r : result.ruleset->rules()) {
    print(fmt::format("{:<44} {:<8} {:<17} {:<8} {}:{}{}\n", r.id, rules::to_string(r.severity),
                      rules::to_string(r.category), r.enabled ? "enabled" : "DISABLED", r.pos.file, r.pos.line,
                      r.enabled ? "" : "  (" + r.disabled_reason + ")"));
  }
  return 0;
}

int test(const std::vector<std::string>& args) {
  std::string events_file;
  std::vector<std::filesystem::path> sources;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--events" && i + 1 < args.size()) events_file = args[++i];
    else if (args[i] == "--rules" && i + 1 < args.size()) sources.emplace_back(args[++i]);
    else return usage_error("unknown argument '" + args[i] + "' for 'rules test'");
  }
  if (events_file.empty()) return usage_error("'rules test' needs --events FILE.jsonl");
  if (sources.empty()) sources = rules::default_rule_sources();
  auto result = load_or_report(sources);
  if (!result.ok()) return 1;
  std::istream* in = &std::cin;
  std::ifstream file;
  if (events_file != "-") {
    file.open(events_file);
    if (!file) {
      print_err("sousveil rules: cannot read " + events_file + "\n");
      return 1;
    }
    in = &file;
  }
  rules::RuleEngine engine(result.ruleset);
  std::size_t line_no = 0, events = 0, findings = 0, bad = 0;
  for (std::string line; std::getline(*in, line);) {
    ++line_no;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      print_err(fmt::format("{}:{}: not a JSON object; skipped\n", events_file, line_no));
      ++bad;
      continue;
    }
    auto kind = j.value("kind", "");
    if (!rules::is_event_kind(kind)) continue;  // events_lost, watcher lines
    ++events;
    rules::JsonEventFields fields(j);
    auto product = j.contains("process") ? j["process"].value("product", "") : "";
    for (const auto& f : engine.evaluate(fields, kind, product)) {
      ++findings;
      nlohmann::json out = {{"line", line_no}, {"rule", f.rule_id}, {"severity", rules::to_string(f.severity)},
                            {"category", rules::to_string(f.category)}, {"title", f.title},
                            {"explanation", valid_utf8(f.explanation)}};
      if (!f.mitre.empty()) out["mitre"] = f.mitre;
      print(out.dump() + "\n");
    }
  }
  print_err(fmt::format("{} events, {} findings, {} malformed lines\n", events, findings, bad));
  return bad > 0 ? 1 : 0;
}

}  // namespace

std::string rules_usage() {
  return "usage: sousveil rules <check|test|list> ...\n"
         "  check [FILE|DIR...]               validate rule files and run their examples\n"
         "                                    (default: the shipped rules and /etc/sousveil/rules.d)\n"
         "  test --events FILE.jsonl [--rules DIR]...\n"
         "                                    replay events (`sousveil events` output, - for stdin)\n"
         "                                    and print the findings as JSON lines\n"
         "  list [--json] [--rules DIR]...    the rules, where they come from, enabled or not\n";
}

int run_rules_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("no subcommand given");
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "check") return check(rest);
  if (args[0] == "list") return list(rest);
  if (args[0] == "test") return test(rest);
  if (args[0] == "help" || args[0] == "--help") {
    print(rules_usage());
    return 0;
  }
  return usage_error("unknown subcommand '" + args[0] + "'");
}

}  // namespace sousveil::cli
