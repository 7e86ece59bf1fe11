// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "enrich/package_index.h"
#include "enrich/process_table.h"
#include "enrich/procfs.h"
#include "model/event.h"

namespace sousveil {

struct EnricherStats {
  std::uint64_t proc_reads = 0;   // processes read from /proc
  std::uint64_t proc_gone = 0;    // gone before they could be read: identity from events only
  std::uint64_t seeded = 0;       // processes found running at start
};

// Attaches process identity to events: exe, cmdline, user, systemd unit and
// ancestry, from the process table and, the first time a process matters, /proc.
class Enricher {
 public:
  static constexpr std::uint64_t kAnyStart = ~0ULL;
  static constexpr int kMaxAncestry = 8;

  Enricher(const ProcFs& procfs, ProcessTable& table, PackageIndex* packages = nullptr)
      : m_procfs(procfs), m_table(table), m_packages(packages) {}

  // Reads every running process into the table (start-up).
  void seed();
  // Keeps the table current from exec, fork and exit events.
  void observe(const RawEvent& event);
  // Who caused the event.
  ProcessInfo identify(const RawEvent& event);
  // Who a process is, by pid alone (the target of ptrace and the like).
  ProcessInfo identify_pid(std::uint32_t pid);

  const EnricherStats& stats() const { return m_stats; }
  ProcessTable& table() { return m_table; }

 private:
  // The process from the table, completed from /proc if it is still there.
  ProcessRecord* lookup(const ProcessKey& key);
  ProcessRecord* read_from_proc(std::uint32_t pid, std::uint64_t expected_start_ticks);
  const std::string& user_name(std::uint32_t uid);
  void fill_package(ProcessRecord* rec, ProcessInfo& info);

  const ProcFs& m_procfs;
  ProcessTable& m_table;
  PackageIndex* m_packages;
  EnricherStats m_stats;
  std::unordered_map<std::uint32_t, std::string> m_users;
};

}  // namespace sousveil
