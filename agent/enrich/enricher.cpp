// SPDX-License-Identifier: Apache-2.0
#include "enrich/enricher.h"

#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

namespace sousveil {
ProcessRecord* Enricher::read_from_proc(std::uint32_t pid, std::uint64_t expected_start) {
  auto st = m_procfs.stat(pid);
  if (!st || (expected_start != kAnyStart && st->start_ticks != expected_start)) return nullptr;
  ++m_stats.proc_reads;
  ProcessRecord rec;
  rec.key = {pid, st->start_ticks};
  rec.ppid = st->ppid;
  rec.comm = st->comm;
  rec.exe = m_procfs.exe(pid).value_or("");
  rec.cmdline = m_procfs.cmdline(pid);
  if (auto ids = m_procfs.uids(pid)) {
    rec.uid = ids->first;
    rec.euid = ids->second;
  }
  rec.unit = m_procfs.unit(pid);
  {
    struct stat exe_st {};
    auto exe_link = m_procfs.root() / std::to_string(pid) / "exe";
    if (::stat(exe_link.c_str(), &exe_st) == 0) rec.exe_inode = exe_st.st_ino;
  }
  rec.from_proc = true;
  if (const auto* known = m_table.find(rec.key)) {
    // Kernel threads and zombies have no exe or cmdline in /proc; keep what exec said.
    if (rec.exe.empty()) rec.exe = known->exe;
    if (rec.cmdline.empty()) rec.cmdline = known->cmdline;
  }
  m_table.upsert(std::move(rec));
  return m_table.find({pid, st->start_ticks});
}

void Enricher::seed() {
  for (auto pid : m_procfs.pids())
    if (read_from_proc(pid, kAnyStart)) ++m_stats.seeded;
}

void Enricher::observe(const RawEvent& e) {
  ProcessKey key{e.process.pid, boot_ns_to_ticks(e.process.start_boot_ns)};
  switch (e.kind) {
    case EventKind::ProcessExec: {
      const auto& exec = std::get<ExecInfo>(e.payload);
      m_table.on_exec(key, e.process.ppid, e.process.uid, e.process.euid, e.process.comm,
                      exec.filename, exec.args);
      break;
    }
    case EventKind::ProcessFork:
      m_table.on_fork(key, std::get<ForkInfo>(e.payload).parent_pid, e.process.uid, e.process.euid,
                      e.process.comm);
      break;
    case EventKind::ProcessExit:
      m_table.on_exit(key, e.ts_boot_ns);
      break;
    default:
      break;
  }
}

ProcessRecord* Enricher::lookup(const ProcessKey& key) {
  auto* rec = m_table.find(key);
  if (rec && (rec->from_proc || rec->exited)) return rec;
  if (auto* fresh = read_from_proc(key.pid, key.start_ticks)) return fresh;
  if (!rec) ++m_stats.proc_gone;
  return rec;
}

const std::string& Enricher::user_name(std::uint32_t uid) {
  auto it = m_users.find(uid);
  if (it != m_users.end()) return it->second;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(4096);
  std::string name;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) name = found->pw_name;
  return m_users.emplace(uid, name).first->second;
}

ProcessInfo Enricher::identify(const RawEvent& e) {
  ProcessInfo info;
  info.pid = e.process.pid;
  info.tid = e.process.tid;
  info.ppid = e.process.ppid;
  info.uid = e.process.uid;
  info.euid = e.process.euid;
  info.comm = e.process.comm;
  info.start_ticks = boot_ns_to_ticks(e.process.start_boot_ns);

  auto* rec = lookup({info.pid, info.start_ticks});
  if (rec && !rec->from_proc && rec->exe.starts_with("/")) {
    // Known from its exec alone: the path it was run by may be a link
    // (/bin/sh); name the program itself, as /proc/PID/exe would.
    std::error_code ec;
    auto real = std::filesystem::canonical(rec->exe, ec);
    if (!ec && real != rec->exe) rec->exe = real.string();
  }
  if (rec) {
    info.exe = rec->exe;
    info.cmdline = rec->cmdline;
    info.unit = rec->unit;
    // Gone from /proc before it could be read there: identity from events only.
    info.exited = !rec->from_proc;
    if (info.ppid == 0) info.ppid = rec->ppid;
  } else {
    info.exited = true;
  }
  info.user = user_name(info.uid);
  fill_package(rec, info);

  // Ancestry, parent first. A parent that is gone from /proc and from the
  // table ends the chain.
  std::uint32_t next = info.ppid;
  for (int depth = 0; depth < kMaxAncestry && next != 0; ++depth) {
    const auto* parent = m_table.find_pid(next);
    if (!parent || !parent->from_proc) {
      if (const auto* fresh = read_from_proc(next, kAnyStart)) parent = fresh;
    }
    if (!parent) break;
    info.ancestry.push_back({parent->key.pid, parent->comm, parent->exe});
    if (info.unit.empty()) info.unit = parent->unit;  // a short-lived child runs in its parent's unit
    next = parent->key.pid == 1 ? 0 : parent->ppid;
  }
  return info;
}

}  // namespace sousveil

namespace sousveil {

void Enricher::fill_package(ProcessRecord* rec, ProcessInfo& info) {
  if (!rec) return;
  info.exe_inode = rec->exe_inode;
  if (!m_packages || rec->exe.empty()) return;
  // Cached in the record: a package lookup per process, not per event.
  if (!rec->package) rec->package = m_packages->owner(rec->exe);
  info.package = *rec->package;
}

ProcessInfo Enricher::identify_pid(std::uint32_t pid) {
  ProcessInfo info;
  info.pid = pid;
  auto* rec = m_table.find_pid(pid);
  if (!rec || !rec->from_proc) {
    if (auto* fresh = read_from_proc(pid, kAnyStart)) rec = fresh;
  }
  if (!rec) {
    info.exited = true;
    return info;
  }
  info.ppid = rec->ppid;
  info.start_ticks = rec->key.start_ticks;
  info.comm = rec->comm;
  info.exe = rec->exe;
  info.cmdline = rec->cmdline;
  info.uid = rec->uid;
  info.euid = rec->euid;
  info.unit = rec->unit;
  info.exited = !rec->from_proc;
  info.user = user_name(rec->uid);
  fill_package(rec, info);
  return info;
}

}  // namespace sousveil
