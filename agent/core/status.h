// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "model/sensor_status.h"
#include "sensors/bpf/bpf_sensor.h"

namespace sousveil {


// Events per category: what reached user space, what was lost on the way.
struct CategoryCount {
  std::uint64_t seen = 0;       // produced by the sensor
  std::uint64_t delivered = 0;  // passed on to the output
  std::uint64_t lost = 0;       // dropped because a buffer was full: the view may be incomplete
};

struct Status {
  std::string version;
  std::string mode;      // "ebpf" or "fallback"
  std::string fidelity;  // "full" or "low"
  double uptime_s = 0;
  std::vector<SensorStatus> sensors;
  CategoryCount device;
  CategoryCount process;
  CategoryCount snapshot;
  CategoryCount capture;  // ioctls, process access, connects, injection
  CategoryCount desktop;  // from user-space sensors: X11, D-Bus, posture
  KernelCounters kernel;
  DecodeStats decode;
  std::uint64_t not_a_device = 0;  // failed opens user space found were no device
  std::uint64_t processes_tracked = 0;
  std::uint64_t proc_reads = 0;
  std::uint64_t processes_gone = 0;
  // Rules in force.
  std::size_t rules_loaded = 0;
  std::size_t rules_enabled = 0;
  std::vector<std::string> rule_sources;
  std::string rules_error;  // the last load or reload failure, "" when fine
  std::size_t products = 0;
  std::uint64_t findings = 0;
  std::uint64_t excepted = 0;
  std::size_t watchers_active = 0;
  std::uint64_t watchers_unconfirmed = 0;

  std::uint64_t total_lost() const { return device.lost + process.lost + snapshot.lost + capture.lost + desktop.lost; }
};

nlohmann::json to_json(const Status& s);
// The human form of `sousveil status`.
std::string to_text(const Status& s);

}  // namespace sousveil
