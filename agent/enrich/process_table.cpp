// SPDX-License-Identifier: Apache-2.0
#include "enrich/process_table.h"

#include <algorithm>
#include <utility>

namespace sousveil {

ProcessRecord& ProcessTable::slot(const ProcessKey& key) {
  auto it = m_by_pid.find(key.pid);
  if (it != m_by_pid.end() && it->second.key == key) return it->second;
  if (it == m_by_pid.end()) make_room();
  // A new process, or a reused pid: the old record is gone for good.
  auto& rec = m_by_pid[key.pid];
  rec = ProcessRecord{};
  rec.key = key;
  return rec;
}

void ProcessTable::make_room() {
  if (m_by_pid.empty() || m_by_pid.size() < m_capacity) return;
  // Exited processes go first, then the oldest; counted, never silent.
  auto victim = std::min_element(m_by_pid.begin(), m_by_pid.end(), [](const auto& a, const auto& b) {
    if (a.second.exited != b.second.exited) return a.second.exited;
    return a.second.key.start_ticks < b.second.key.start_ticks;
  });
  m_by_pid.erase(victim);
  ++m_evicted;
}

void ProcessTable::on_fork(const ProcessKey& child, std::uint32_t ppid, std::uint32_t uid,
                           std::uint32_t euid, const std::string& comm) {
  // A forked child runs its parent's program until it execs.
  const ProcessRecord* parent = find_pid(ppid);
  ProcessRecord inherited;
  if (parent) inherited = *parent;
  auto& rec = slot(child);
  rec.ppid = ppid;
  rec.uid = uid;
  rec.euid = euid;
  rec.comm = comm;
  if (parent) {
    rec.exe = inherited.exe;
    rec.cmdline = inherited.cmdline;
    rec.unit = inherited.unit;
  }
}

void ProcessTable::on_exec(const ProcessKey& key, std::uint32_t ppid, std::uint32_t uid,
                           std::uint32_t euid, const std::string& comm, const std::string& exe,
                           std::vector<std::string> cmdline) {
  auto& rec = slot(key);
  rec.ppid = ppid;
  rec.uid = uid;
  rec.euid = euid;
  rec.comm = comm;
  rec.exe = exe;
  rec.cmdline = std::move(cmdline);
  rec.package.reset();
  rec.exe_inode = 0;
  rec.from_proc = false;  // a new program: /proc details are stale
}

void ProcessTable::on_exit(const ProcessKey& key, std::uint64_t now_ns) {
  auto it = m_by_pid.find(key.pid);
  if (it == m_by_pid.end() || it->second.key != key) return;
  it->second.exited = true;
  it->second.exited_at_ns = now_ns;
}

void ProcessTable::upsert(ProcessRecord record) {
  auto& rec = slot(record.key);
  bool exited = rec.exited;
  auto exited_at = rec.exited_at_ns;
  rec = std::move(record);
  rec.exited = rec.exited || exited;
  if (exited) rec.exited_at_ns = exited_at;
}

const ProcessRecord* ProcessTable::find(const ProcessKey& key) const {
  auto it = m_by_pid.find(key.pid);
  return it != m_by_pid.end() && it->second.key == key ? &it->second : nullptr;
}

ProcessRecord* ProcessTable::find(const ProcessKey& key) {
  return const_cast<ProcessRecord*>(std::as_const(*this).find(key));
}

ProcessRecord* ProcessTable::find_pid(std::uint32_t pid) {
  return const_cast<ProcessRecord*>(std::as_const(*this).find_pid(pid));
}

const ProcessRecord* ProcessTable::find_pid(std::uint32_t pid) const {
  auto it = m_by_pid.find(pid);
  return it != m_by_pid.end() ? &it->second : nullptr;
}

std::size_t ProcessTable::expire(std::uint64_t now_ns, std::uint64_t grace_ns) {
  return std::erase_if(m_by_pid, [&](const auto& kv) {
    return kv.second.exited && kv.second.exited_at_ns + grace_ns <= now_ns;
  });
}

}  // namespace sousveil
