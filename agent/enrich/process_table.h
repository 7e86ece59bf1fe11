// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sousveil {

// A process identity that survives pid reuse: pid plus start time.
struct ProcessKey {
  std::uint32_t pid = 0;
  std::uint64_t start_ticks = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

struct ProcessRecord {
  ProcessKey key;
  std::uint32_t ppid = 0;
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::string comm;
  std::string exe;
  std::vector<std::string> cmdline;
  std::string unit;
  std::uint64_t exe_inode = 0;
  std::optional<std::string> package;  // looked up once, when first needed
  bool from_proc = false;  // exe, cmdline and unit were read from /proc
  bool exited = false;
  std::uint64_t exited_at_ns = 0;
};

// What sousveil knows of every process, kept current by exec, fork and exit
// events and filled in from /proc when a process first matters.
// Exited processes stay a while, so late events can still be attributed.
class ProcessTable {
 public:
  explicit ProcessTable(std::size_t capacity = 65536) : m_capacity(capacity) {}

  void on_fork(const ProcessKey& child, std::uint32_t ppid, std::uint32_t uid, std::uint32_t euid,
               const std::string& comm);
  void on_exec(const ProcessKey& key, std::uint32_t ppid, std::uint32_t uid, std::uint32_t euid,
               const std::string& comm, const std::string& exe, std::vector<std::string> cmdline);
  void on_exit(const ProcessKey& key, std::uint64_t now_ns);
  // Inserts or replaces a record read from /proc.
  void upsert(ProcessRecord record);

  // The record of exactly this process, or nullptr (pid reused, never seen).
  const ProcessRecord* find(const ProcessKey& key) const;
  ProcessRecord* find(const ProcessKey& key);
  // The record that currently holds this pid, whatever its start time.
  const ProcessRecord* find_pid(std::uint32_t pid) const;
  ProcessRecord* find_pid(std::uint32_t pid);

  // Forgets processes that exited more than grace_ns ago; returns how many.
  std::size_t expire(std::uint64_t now_ns, std::uint64_t grace_ns);
  std::size_t size() const { return m_by_pid.size(); }
  std::uint64_t evicted() const { return m_evicted; }

 private:
  ProcessRecord& slot(const ProcessKey& key);
  void make_room();

  std::unordered_map<std::uint32_t, ProcessRecord> m_by_pid;
  std::size_t m_capacity;
  std::uint64_t m_evicted = 0;
};

}  // namespace sousveil
