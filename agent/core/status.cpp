// SPDX-License-Identifier: Apache-2.0
#include "core/status.h"

#include <fmt/format.h>

namespace sousveil {
namespace {

nlohmann::json count_json(const CategoryCount& c) {
  return {{"seen", c.seen}, {"delivered", c.delivered}, {"lost", c.lost}};
}

}  // namespace

nlohmann::json to_json(const Status& s) {
  nlohmann::json sensors = nlohmann::json::array();
  for (const auto& x : s.sensors)
    sensors.push_back({{"name", x.name}, {"state", to_string(x.state)}, {"detail", x.detail}});
  return {
      {"version", s.version},
      {"mode", s.mode},
      {"fidelity", s.fidelity},
      {"uptime_s", s.uptime_s},
      {"sensors", sensors},
      {"events",
       {{"device", count_json(s.device)},
        {"process", count_json(s.process)},
        {"snapshot", count_json(s.snapshot)},
        {"capture", count_json(s.capture)},
        {"desktop", count_json(s.desktop)},
        {"lost_total", s.total_lost()}}},
      {"kernel_filter",
       {{"opens_seen", s.kernel.open_seen},
        {"opens_not_sensitive", s.kernel.open_filtered},
        {"opens_own_terminal", s.kernel.open_own_tty},
        {"failed_opens_not_device", s.kernel.open_failed_filtered},
        {"repeats_folded", s.kernel.rate_limited},
        {"capture_emitted", s.kernel.capture_emitted}}},
      {"user_space",
       {{"records_decoded", s.decode.decoded},
        {"records_malformed", s.decode.total_errors()},
        {"failed_opens_not_device", s.not_a_device},
        {"processes_tracked", s.processes_tracked},
        {"processes_read_from_proc", s.proc_reads},
        {"processes_gone_before_read", s.processes_gone}}},
      {"rules",
       {{"loaded", s.rules_loaded},
        {"enabled", s.rules_enabled},
        {"sources", s.rule_sources},
        {"error", s.rules_error},
        {"products", s.products}}},
      {"findings", {{"total", s.findings}, {"excepted", s.excepted}}},
      {"watchers", {{"active", s.watchers_active}, {"unconfirmed", s.watchers_unconfirmed}}},
  };
}

std::string to_text(const Status& s) {
  std::string out = fmt::format("sousveil {}  mode {} ({} fidelity)  up {:.1f}s\n", s.version, s.mode,
                                s.fidelity, s.uptime_s);
  out += "sensors:\n";
  for (const auto& x : s.sensors)
    out += fmt::format("  {:<10} {:<9} {}\n", x.name, to_string(x.state), x.detail);
  out += fmt::format("{:<10} {:>10} {:>10} {:>8}\n", "events", "seen", "delivered", "lost");
  auto row = [&](const char* name, const CategoryCount& c) {
    out += fmt::format("  {:<8} {:>10} {:>10} {:>8}\n", name, c.seen, c.delivered, c.lost);
  };
  row("device", s.device);
  row("process", s.process);
  row("snapshot", s.snapshot);
  row("desktop", s.desktop);
  row("capture", s.capture);
  out += fmt::format("kernel filter: {} opens seen, {} not sensitive, {} own terminal, {} failed non-device\n",
                     s.kernel.open_seen, s.kernel.open_filtered, s.kernel.open_own_tty,
                     s.kernel.open_failed_filtered);
  out += fmt::format("user space: {} records, {} malformed, {} processes tracked\n", s.decode.decoded,
                     s.decode.total_errors(), s.processes_tracked);
  out += fmt::format("rules: {} loaded, {} enabled, {} products; {} findings, {} active watchers\n",
                     s.rules_loaded, s.rules_enabled, s.products, s.findings, s.watchers_active);
  if (!s.rules_error.empty()) out += "RULES PROBLEM: " + s.rules_error + "\n";
  if (s.total_lost() > 0)
    out += fmt::format("WARNING: {} events were lost; what sousveil shows may be incomplete\n",
                       s.total_lost());
  return out;
}

}  // namespace sousveil
