// SPDX-License-Identifier: Apache-2.0
#include "model/event.h"

#include <fcntl.h>

#include <cstring>

namespace sousveil {

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::DeviceOpen: return "device_open";
    case EventKind::DeviceHeld: return "device_held";
    case EventKind::ProcessExec: return "process_exec";
    case EventKind::ProcessFork: return "process_fork";
    case EventKind::ProcessExit: return "process_exit";
    case EventKind::DeviceIoctl: return "device_ioctl";
    case EventKind::ProcessAccess: return "process_access";
    case EventKind::SocketConnect: return "socket_connect";
    case EventKind::LibraryInjection: return "library_injection";
    case EventKind::DeviceRead: return "device_read";
    case EventKind::BpfProgram: return "bpf_program";
    case EventKind::Posture: return "posture";
    case EventKind::X11Request: return "x11_request";
    case EventKind::DbusCall: return "dbus_call";
    case EventKind::PipewireStream: return "pipewire_stream";
  }
  return "unknown";
}

std::string_view to_string(EventSource s) {
  switch (s) {
    case EventSource::Ebpf: return "ebpf";
    case EventSource::EbpfSnapshot: return "ebpf-snapshot";
    case EventSource::ProcScan: return "proc-scan";
    case EventSource::Inventory: return "inventory";
    case EventSource::X11: return "x11";
    case EventSource::Dbus: return "dbus";
    case EventSource::Pipewire: return "pipewire";
    case EventSource::Posture: return "posture";
    case EventSource::Inotify: return "inotify";
  }
  return "unknown";
}

std::string_view to_string(PostureLevel l) {
  switch (l) {
    case PostureLevel::Installed: return "installed";
    case PostureLevel::Running: return "running";
    case PostureLevel::Capturing: return "capturing";
  }
  return "unknown";
}

std::string_view to_string(PostureState s) {
  switch (s) {
    case PostureState::New: return "new";
    case PostureState::Changed: return "changed";
    case PostureState::Resolved: return "resolved";
  }
  return "unknown";
}

std::string_view to_string(Origin o) {
  switch (o) {
    case Origin::Syscall: return "syscall";
    case Origin::CompatSyscall: return "compat-syscall";
    case Origin::IoUring: return "io_uring";
  }
  return "unknown";
}

std::string_view result_name(std::int32_t err) {
  if (err == 0) return "ok";
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

std::string_view access_mode(std::uint32_t open_flags) {
  switch (open_flags & O_ACCMODE) {
    case O_RDONLY: return "read";
    case O_WRONLY: return "write";
    case O_RDWR: return "read-write";
  }
  return "unknown";
}

std::vector<std::string> open_flag_names(std::uint32_t f) {
  std::vector<std::string> out;
  auto add = [&](std::uint32_t bit, const char* name) {
    if (f & bit) out.emplace_back(name);
  };
  add(O_CREAT, "O_CREAT");
  add(O_EXCL, "O_EXCL");
  add(O_NOCTTY, "O_NOCTTY");
  add(O_TRUNC, "O_TRUNC");
  add(O_APPEND, "O_APPEND");
  add(O_NONBLOCK, "O_NONBLOCK");
  add(O_SYNC & ~O_DSYNC, "O_SYNC");
  add(O_CLOEXEC, "O_CLOEXEC");
  add(O_PATH, "O_PATH");
  return out;
}

}  // namespace sousveil
