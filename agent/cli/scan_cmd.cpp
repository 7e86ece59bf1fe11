// SPDX-License-Identifier: Apache-2.0
#include "cli/scan_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "common/boot_clock.h"
#include "common/utf8.h"
#include "enrich/procfs.h"
#include "output/event_json.h"
#include "output/finding_json.h"
#include "rules/defaults.h"
#include "rules/engine.h"
#include "rules/event_fields.h"
#include "rules/loader.h"
#include "sensors/posture/posture_scanner.h"

namespace sousveil::cli {
namespace {

void out(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }
void err(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stderr); }

}  // namespace

int run_scan(const ScanOptions& o) {
  std::error_code ec;
  if (!std::filesystem::is_directory(o.root, ec)) {
    err("sousveil scan: " + o.root.string() + " is not a directory\n");
    return 1;
  }
  auto sources = o.rule_sources.empty() ? rules::default_rule_sources()
                                        : std::vector<std::filesystem::path>(o.rule_sources.begin(), o.rule_sources.end());
  std::shared_ptr<const rules::Ruleset> ruleset;
  if (o.use_rules) {
    auto loaded = rules::load_rules(sources);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) err(e.format() + "\n");
      return 1;
    }
    ruleset = loaded.ruleset;
  }
  auto cat = catalog::load_catalog({rules::shipped_rules_dir() / "products"});
  if (!cat.ok()) err("sousveil scan: product catalog not loaded: " + cat.errors.front().headline() + "\n");

  posture::ScannerOptions so;
  so.root = o.root;
  so.self_pid = static_cast<std::uint32_t>(getpid());
  posture::Scanner scanner(so, cat.catalog);
  auto t0 = std::chrono::steady_clock::now();
  auto result = scanner.scan();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  posture::Diff diff;
  auto changes = diff.update(result.findings);

  rules::RuleEngine engine(ruleset);
  BootClock clock;
  ProcFs procfs(o.root / "proc");
  auto now = BootClock::now_boot_ns();
  std::size_t findings = 0;
  for (const auto& change : changes) {
    EnrichedEvent ev{posture::to_event(change, now), {}, {}};
    auto& p = ev.process;
    p.pid = change.finding.pid;
    p.comm = change.finding.comm;
    p.uid = p.euid = change.finding.uid;
    p.start_ticks = change.finding.start_ticks;
    if (p.pid) {
      p.exe = procfs.exe(p.pid).value_or("");
      p.cmdline = procfs.cmdline(p.pid);
      p.unit = procfs.unit(p.pid);
    }
    std::vector<rules::Finding> found;
    if (ruleset) {
      rules::EnrichedEventFields fields(ev);
      found = engine.evaluate(fields, to_string(ev.raw.kind), p.product);
    }
    findings += found.size();
    if (o.json) {
      auto j = to_json(ev, clock);
      auto& arr = j["findings"] = nlohmann::json::array();
      for (const auto& f : found) arr.push_back(to_json(f));
      out(j.dump() + "\n");
      continue;
    }
    const auto& info = std::get<PostureInfo>(ev.raw.payload);
    out(fmt::format("{:<24} {:<10} {}\n", info.check, to_string(info.level), valid_utf8(info.evidence())));
    for (const auto& f : found) out(to_pretty_line(f) + "\n");
  }
  for (const auto& e : result.errors) err("sousveil scan: " + valid_utf8(e.text()) + "\n");
  err(fmt::format("posture of {}: {} findings, {} rule findings, {} files and {} processes read in {:.1f} ms, "
                  "{} could not be read\n",
                  o.root.string(), changes.size(), findings, result.files_read, result.processes_read, ms,
                  result.errors.size()));
  return 0;
}

}  // namespace sousveil::cli
