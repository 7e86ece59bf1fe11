// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "enrich/procfs.h"
#include "model/device_class.h"
#include "model/event.h"

namespace sousveil {

struct ProcScanStats {
  std::uint64_t scans = 0;
  std::uint64_t processes_seen = 0;  // in the last scan
  std::uint64_t unreadable = 0;      // processes whose fds could not be listed (in the last scan)
};

// The fallback sensor, and the snapshot when eBPF is unavailable: lists the
// sensitive character devices every process holds open, from /proc. It sees
// only what is open at the moment of a scan, so a short read between two scans
// is missed; events say so (source proc-scan).
class ProcScanSensor {
 public:
  ProcScanSensor(const ProcFs& procfs, const DeviceClassTable& table, std::uint32_t self_pid)
      : m_procfs(procfs), m_table(table), m_self(self_pid) {}

  // Device holdings that were not there at the previous scan.
  // source says what triggered the scan: the timer (ProcScan) or an inotify open (Inotify).
  std::vector<RawEvent> scan(std::uint64_t now_boot_ns, EventSource source = EventSource::ProcScan);
  const ProcScanStats& stats() const { return m_stats; }

 private:
  using Holding = std::tuple<std::uint32_t, std::uint64_t, int, std::uint32_t, std::uint32_t>;

  const ProcFs& m_procfs;
  const DeviceClassTable& m_table;
  std::uint32_t m_self;
  std::set<Holding> m_known;
  ProcScanStats m_stats;
};

// /proc/PID/stat's tty_nr to major and minor (the old dev_t encoding).
std::pair<std::uint32_t, std::uint32_t> decode_tty_nr(std::uint32_t tty_nr);

}  // namespace sousveil
