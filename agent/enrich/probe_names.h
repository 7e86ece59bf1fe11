// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace sousveil {

// Names behind the numbers of perf_event_open: tracepoint ids and the PMU
// types of kprobes and uprobes, read from tracefs and sysfs once, on demand.
class ProbeNames {
 public:
  explicit ProbeNames(std::filesystem::path tracefs = "/sys/kernel/tracing",
                      std::filesystem::path pmu_dir = "/sys/bus/event_source/devices")
      : m_tracefs(std::move(tracefs)), m_pmu_dir(std::move(pmu_dir)) {}

  // "syscalls/sys_enter_read" for a tracepoint id.
  std::optional<std::string> tracepoint(std::uint64_t id);
  // "kprobe", "uprobe", "tracepoint" or "" for a perf_event_attr.type.
  std::string pmu_kind(std::uint32_t type);

 private:
  void load_tracepoints();

  std::filesystem::path m_tracefs;
  std::filesystem::path m_pmu_dir;
  bool m_loaded = false;
  std::map<std::uint64_t, std::string> m_tracepoints;
  std::map<std::uint32_t, std::string> m_pmus;
};

}  // namespace sousveil
