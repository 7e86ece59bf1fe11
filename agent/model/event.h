// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/device_class.h"

namespace sousveil {

// Which process, as the kernel saw it at the time of the event.
struct ProcessRef {
  std::uint32_t pid = 0;  // tgid
  std::uint32_t tid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::uint64_t start_boot_ns = 0;  // with pid, a key that survives pid reuse
  std::string comm;
};

// A sensitive device opened (or refused), or held open.
struct DeviceAccess {
  DeviceClass device_class = DeviceClass::None;
  std::string detail;  // "capture", "event", "vcsa"...
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::string path;  // as the caller gave it, or /proc/PID/fd's target
  std::string name;  // the node's name
  std::uint32_t flags = 0;  // open flags
  std::int32_t fd = -1;
  std::int32_t err = 0;  // positive errno of a failed open, 0 on success
  std::uint32_t syscall_nr = 0;
};

struct ExecInfo {
  std::string filename;
  std::vector<std::string> args;
};

struct ForkInfo {
  std::uint32_t parent_pid = 0;
};

struct ExitInfo {
  std::int32_t exit_code = 0;
};

enum class EventKind : std::uint8_t {
  DeviceOpen,   // an open of a sensitive device, successful or not
  DeviceHeld,   // a sensitive device found already open (snapshot, /proc scan)
  ProcessExec,
  ProcessFork,
  ProcessExit,
};

enum class EventSource : std::uint8_t {
  Ebpf,          // live, from the kernel tracepoints
  EbpfSnapshot,  // from the task_file iterator at start
  ProcScan,      // from scanning /proc: lower fidelity, misses short-lived access
};

std::string_view to_string(EventKind k);
std::string_view to_string(EventSource s);

// What a sensor saw, typed, before anyone decides what it means.
struct RawEvent {
  EventKind kind = EventKind::DeviceOpen;
  EventSource source = EventSource::Ebpf;
  std::uint64_t ts_boot_ns = 0;
  ProcessRef process;
  std::variant<DeviceAccess, ExecInfo, ForkInfo, ExitInfo> payload;

  bool is_device() const { return kind == EventKind::DeviceOpen || kind == EventKind::DeviceHeld; }
  const DeviceAccess& device() const { return std::get<DeviceAccess>(payload); }
  DeviceAccess& device() { return std::get<DeviceAccess>(payload); }
};

// One link of a process's ancestry.
struct Ancestor {
  std::uint32_t pid = 0;
  std::string comm;
  std::string exe;
};

// Who the process is, as far as sousveil could tell.
struct ProcessInfo {
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint32_t ppid = 0;
  std::uint64_t start_ticks = 0;  // /proc/PID/stat starttime: clock ticks since boot
  std::string comm;
  std::string exe;
  std::vector<std::string> cmdline;
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::string user;
  std::string unit;  // systemd unit from the cgroup
  std::string product;  // catalog product id, when the process matches one
  std::vector<Ancestor> ancestry;  // parent first
  bool exited = false;  // gone before it could be read from /proc
};

struct EnrichedEvent {
  RawEvent raw;
  ProcessInfo process;
};

// Access mode of open flags: "read", "write", "read-write".
std::string_view access_mode(std::uint32_t open_flags);
// The open flags a reader cares about, by name (O_NONBLOCK, O_CLOEXEC...).
std::vector<std::string> open_flag_names(std::uint32_t open_flags);

}  // namespace sousveil
