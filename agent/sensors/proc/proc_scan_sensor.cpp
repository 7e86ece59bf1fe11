// SPDX-License-Identifier: Apache-2.0
#include "sensors/proc/proc_scan_sensor.h"

#include <filesystem>

namespace sousveil {

std::pair<std::uint32_t, std::uint32_t> decode_tty_nr(std::uint32_t tty_nr) {
  std::uint32_t major = (tty_nr >> 8) & 0xfff;
  std::uint32_t minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
  return {major, minor};
}

std::vector<RawEvent> ProcScanSensor::scan(std::uint64_t now_boot_ns, EventSource source) {
  std::vector<RawEvent> out;
  std::set<Holding> current;
  ++m_stats.scans;
  m_stats.processes_seen = 0;
  m_stats.unreadable = 0;
  for (auto pid : m_procfs.pids()) {
    if (pid == m_self) continue;
    auto st = m_procfs.stat(pid);
    if (!st) continue;
    ++m_stats.processes_seen;
    std::error_code ec;
    if (!std::filesystem::exists(m_procfs.root() / std::to_string(pid) / "fd", ec)) {
      ++m_stats.unreadable;
      continue;
    }
    auto [tty_major, tty_minor] = decode_tty_nr(st->tty_nr);
    for (const auto& fd : m_procfs.char_device_fds(pid)) {
      auto cls = m_table.classify(fd.major, fd.minor);
      if (cls == DeviceClass::None) continue;
      bool terminal = cls == DeviceClass::Tty || cls == DeviceClass::Pty;
      if (terminal && st->tty_nr != 0 && fd.major == tty_major && fd.minor == tty_minor) continue;
      Holding h{pid, st->start_ticks, fd.fd, fd.major, fd.minor};
      current.insert(h);
      if (m_known.count(h)) continue;

      RawEvent ev;
      ev.kind = EventKind::DeviceHeld;
      ev.source = source;
      ev.ts_boot_ns = now_boot_ns;
      ev.process.pid = pid;
      ev.process.tid = pid;
      ev.process.ppid = st->ppid;
      ev.process.comm = st->comm;
      ev.process.start_boot_ns = ticks_to_boot_ns(st->start_ticks);
      if (auto ids = m_procfs.uids(pid)) {
        ev.process.uid = ids->first;
        ev.process.euid = ids->second;
      }
      DeviceAccess a;
      a.device_class = cls;
      a.major = fd.major;
      a.minor = fd.minor;
      a.fd = fd.fd;
      a.flags = fd.flags;
      a.path = fd.target;
      a.name = std::filesystem::path(fd.target).filename().string();
      ev.payload = std::move(a);
      out.push_back(std::move(ev));
    }
  }
  m_known = std::move(current);
  return out;
}

}  // namespace sousveil
