// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sousveil {

// The fields of /proc/PID/stat that sousveil uses.
struct ProcStat {
  std::uint32_t pid = 0;
  std::string comm;
  char state = '?';
  std::uint32_t ppid = 0;
  std::uint32_t tty_nr = 0;  // controlling terminal, in the old dev_t encoding
  std::uint64_t start_ticks = 0;
};

// Parses the text of /proc/PID/stat; comm may hold spaces and parentheses.
Result<ProcStat> parse_proc_stat(std::string_view text);
// The systemd unit of a process from the text of /proc/PID/cgroup: the
// innermost .service or .scope, or "" when there is none.
std::string unit_from_cgroup(std::string_view text);
// Splits NUL-separated argv; a missing final NUL is tolerated.
std::vector<std::string> split_nul(std::string_view bytes);
// Real and effective uid from the text of /proc/PID/status.
std::optional<std::pair<std::uint32_t, std::uint32_t>> uids_from_status(std::string_view text);

// An open fd of a process, and what it points at.
struct FdEntry {
  int fd = -1;
  std::string target;  // readlink of /proc/PID/fd/N
  bool is_char_device = false;
  std::uint32_t major = 0;  // userspace major()/minor() of st_rdev
  std::uint32_t minor = 0;
  std::uint32_t flags = 0;  // from /proc/PID/fdinfo/N
};

// Reads /proc, or a directory laid out like it (tests point it elsewhere).
class ProcFs {
 public:
  explicit ProcFs(std::filesystem::path root = "/proc") : m_root(std::move(root)) {}

  const std::filesystem::path& root() const { return m_root; }

  std::vector<std::uint32_t> pids() const;
  Result<ProcStat> stat(std::uint32_t pid) const;
  std::optional<std::string> exe(std::uint32_t pid) const;
  std::vector<std::string> cmdline(std::uint32_t pid) const;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> uids(std::uint32_t pid) const;
  std::string unit(std::uint32_t pid) const;
  // The thread group (process) a thread id belongs to.
  std::optional<std::uint32_t> tgid_of(std::uint32_t tid) const;
  std::vector<FdEntry> char_device_fds(std::uint32_t pid) const;
  std::optional<std::string> read_file(const std::filesystem::path& relative) const;

 private:
  std::filesystem::path m_root;
};

// Boot-time nanoseconds (the kernel's start_boottime) to /proc's clock ticks.
std::uint64_t boot_ns_to_ticks(std::uint64_t ns);
std::uint64_t ticks_to_boot_ns(std::uint64_t ticks);

}  // namespace sousveil
