// SPDX-License-Identifier: Apache-2.0
// Protocol messages as the agent sends them (docs/api.md), for the dashboard's tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sousveil::tui::testing {

// 2026-11-29T10:00:00Z: "now" in these tests.
inline constexpr double kNow = 1795946400.0;

inline nlohmann::json given_status(std::uint64_t lost = 0, const char* x11_state = "failed") {
  return nlohmann::json::parse(R"({
    "version":"0.1.0","mode":"ebpf","fidelity":"full","uptime_s":61.5,
    "sensors":[{"name":"bpf","state":"running","detail":"tracepoints attached"},
               {"name":"x11","state":")" + std::string(x11_state) + R"(","detail":"no X display: DISPLAY is not set"}],
    "events":{"device":{"seen":10,"delivered":10,"lost":0},"lost_total":)" + std::to_string(lost) + R"(},
    "rules":{"loaded":84,"enabled":84,"sources":[],"error":"","products":26},
    "watchers":{"active":2,"unconfirmed":0}})");
}

inline nlohmann::json given_watcher(std::uint64_t id, const std::string& category, const std::string& state = "active",
                                    const std::string& severity = "high", const std::string& first_seen = "2026-11-29T09:55:48.000000000Z",
                                    const std::string& exe = "/usr/bin/head", std::uint32_t pid = 3438) {
  nlohmann::json w = {
      {"id", id},
      {"state", state},
      {"rule", "vcs-read"},
      {"title", "Reads the text of the virtual consoles"},
      {"category", category},
      {"severity", severity},
      {"explanation", "head (/usr/bin/head) opened /dev/vcs: it can read everything shown on the text consoles."},
      {"mitre", "T1056.001"},
      {"product", ""},
      {"process",
       {{"pid", pid}, {"start_ticks", 12345}, {"comm", "head"}, {"exe", exe},
        {"cmdline", {"head", "-c1", "/dev/vcs"}}, {"uid", 0}, {"user", "root"}, {"unit", "session-1.scope"},
        {"package", "coreutils"}, {"ancestry", {{{"pid", 3400}, {"comm", "bash"}, {"exe", "/usr/bin/bash"}},
                                                 {{"pid", 1}, {"comm", "systemd"}, {"exe", "/usr/lib/systemd/systemd"}}}}}},
      {"first_seen", first_seen},
      {"last_seen", "2026-11-29T09:59:58.000000000Z"},
      {"count", 42},
      {"evidence", {"/dev/vcs"}},
      {"attempt", false},
  };
  if (state == "ended") {
    w["ended"] = "2026-11-29T09:58:00.000000000Z";
    w["end_reason"] = "process exited";
  }
  return w;
}

inline nlohmann::json push(const std::string& event, nlohmann::json data) {
  return {{"v", 1}, {"event", event}, {"data", std::move(data)}};
}

}  // namespace sousveil::tui::testing
