// SPDX-License-Identifier: Apache-2.0
// The service's configuration file (/etc/sousveil/sousveil.conf, YAML).
// Strict: an unknown key, a wrong type or a value out of range is an error
// naming file:line:col and the key path; nothing half-applies.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/agent.h"

namespace sousveil::config {

inline const std::filesystem::path kDefaultConfigPath = "/etc/sousveil/sousveil.conf";

struct SensorsConfig {
  bool ebpf = true;
  bool snapshot = true;
  bool user = true;  // X11, D-Bus, posture
  std::uint32_t ringbuf_bytes = 8U << 20;
  std::chrono::milliseconds ratelimit{1000};
};

struct RulesConfig {
  std::vector<std::filesystem::path> dirs;  // empty: shipped rules then /etc/sousveil/rules.d
  std::vector<std::filesystem::path> catalog;  // empty: the shipped product catalog
};

// What the store needs (the integrator hands it to the store).
struct StoreConfig {
  bool enabled = true;
  std::filesystem::path path = "/var/lib/sousveil/history.db";
  std::chrono::seconds max_age{std::chrono::hours(24 * 90)};  // 0: no age limit
  std::uint64_t max_bytes = 1ULL << 30;                        // 0: no size limit
  std::chrono::seconds retention_interval{3600};               // how often retention runs
};

// What the socket API needs.
struct ApiConfig {
  bool enabled = true;
  std::filesystem::path socket = "/run/sousveil/sousveil.sock";
  std::string socket_group = "sousveil";
  std::string audit_group = "sousveil-audit";
  std::size_t client_queue = 1024;
};

// What `sousveil notify` does with new watchers.
struct NotifyConfig {
  std::string min_severity = "low";  // info, low, medium, high, critical
  std::chrono::milliseconds storm_window{10'000};
  std::size_t storm_threshold = 3;  // more new watchers than this in one window: one summary
  std::chrono::milliseconds expire_timeout{0};  // 0: the notification server decides
};

struct HousekeepingConfig {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds fallback_interval{3000};
  std::chrono::seconds exited_grace{60};
  std::chrono::seconds ended_retention{600};
  std::size_t max_ended = 500;
};

struct Config {
  spdlog::level::level_enum log_level = spdlog::level::info;
  SensorsConfig sensors;
  RulesConfig rules;
  StoreConfig store;
  ApiConfig api;
  NotifyConfig notify;
  HousekeepingConfig housekeeping;
  std::string source;  // the file it came from, or "(defaults)"
};

// Parses YAML text; `name` is used in error messages. Empty text is all defaults.
Result<Config> parse_config(const std::string& text, const std::string& name);
// Reads and parses a file. A missing file is an error (the caller decides
// whether the default path may be absent).
Result<Config> load_config(const std::filesystem::path& path);

AgentOptions to_agent_options(const Config& config);

// Human-readable one-per-line summary of what differs between two configs
// ("store.max_age: 90d -> 30d"), for the reload log.
std::vector<std::string> describe_changes(const Config& before, const Config& after);

// The effective configuration, as YAML that parse_config accepts.
std::string to_yaml(const Config& config);

}  // namespace sousveil::config
