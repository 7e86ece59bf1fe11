// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/decoder.h"

#include <linux/types.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "enrich/procfs.h"
#include "model/ioctl_table.h"

#include <bpf/libbpf.h>

extern "C" {
#include "sousveil_abi.h"
}

namespace sousveil {
namespace {

template <std::size_t N>
std::string bounded(const char (&s)[N]) {
  return std::string(s, strnlen(s, N));
}

template <class T>
bool read_exact(std::span<const std::byte> rec, T& out) {
  if (rec.size() != sizeof(T)) return false;
  std::memcpy(&out, rec.data(), sizeof(T));
  return out.hdr.size == sizeof(T);
}

ProcessRef process_from(const sv_header& h) {
  ProcessRef p;
  p.pid = h.pid;
  p.tid = h.tid;
  p.ppid = h.ppid;
  p.uid = h.uid;
  p.euid = h.euid;
  p.start_boot_ns = h.start_boot_ns;
  p.comm = bounded(h.comm);
  return p;
}

// The helpers the kernel found in a program's instructions at load.
std::vector<std::string> helper_names(std::uint32_t bits) {
  std::vector<std::string> out;
  if (bits & SV_HELPER_PROBE_READ_USER) out.emplace_back("probe_read_user");
  if (bits & SV_HELPER_PROBE_READ) out.emplace_back("probe_read");
  if (bits & SV_HELPER_PROBE_WRITE_USER) out.emplace_back("probe_write_user");
  if (bits & SV_HELPER_COPY_FROM_USER) out.emplace_back("copy_from_user");
  if (bits & SV_HELPER_OVERRIDE_RETURN) out.emplace_back("override_return");
  if (bits & SV_HELPER_SEND_SIGNAL) out.emplace_back("send_signal");
  if (bits & SV_HELPER_UNSCANNED) out.emplace_back("unscanned");
  return out;
}

Error fail(DecodeStats& stats, DecodeError why, const char* what) {
  ++stats.errors[static_cast<int>(why)];
  return make_error(what);
}

}  // namespace

Result<RawEvent> decode_record(std::span<const std::byte> rec, const DeviceClassTable& table,
                               DecodeStats& stats) {
  sv_header h;
  if (rec.size() < sizeof(h)) return fail(stats, DecodeError::Short, "record shorter than its header");
  std::memcpy(&h, rec.data(), sizeof(h));
  if (h.size != rec.size()) return fail(stats, DecodeError::SizeMismatch, "record size does not match its header");

  RawEvent ev;
  ev.ts_boot_ns = h.ts_boot_ns;
  ev.process = process_from(h);
  if (h.origin > SV_ORIGIN_IO_URING) return fail(stats, DecodeError::BadClass, "origin out of range");
  ev.origin = static_cast<Origin>(h.origin);
  switch (h.kind) {
    case SV_EV_DEVICE_OPEN: {
      sv_device_event d;
      if (!read_exact(rec, d)) return fail(stats, DecodeError::SizeMismatch, "device record has the wrong size");
      if (d.dev_class >= kDeviceClassCount) return fail(stats, DecodeError::BadClass, "device class out of range");
      ev.kind = EventKind::DeviceOpen;
      ev.repeats = d.repeats;
      DeviceAccess a;
      a.major = d.major;
      a.minor = d.minor;
      a.fd = d.fd;
      a.err = d.err;
      a.flags = d.flags;
      a.syscall_nr = d.syscall_nr;
      a.name = bounded(d.name);
      a.path = bounded(d.path);
      // The kernel's class is a filter; the table is the authority when the node is known.
      a.device_class = d.err == 0 ? table.classify_or(d.major, d.minor, d.dev_class) : DeviceClass::None;
      ev.payload = std::move(a);
      break;
    }
    case SV_EV_SNAPSHOT_FD: {
      sv_snapshot_fd_event s;
      if (!read_exact(rec, s)) return fail(stats, DecodeError::SizeMismatch, "snapshot record has the wrong size");
      if (s.dev_class >= kDeviceClassCount) return fail(stats, DecodeError::BadClass, "device class out of range");
      ev.kind = EventKind::DeviceHeld;
      ev.source = EventSource::EbpfSnapshot;
      DeviceAccess a;
      a.major = s.major;
      a.minor = s.minor;
      a.fd = s.fd;
      a.flags = s.flags;
      a.name = bounded(s.name);
      a.device_class = table.classify_or(s.major, s.minor, s.dev_class);
      ev.payload = std::move(a);
      break;
    }
    case SV_EV_PROCESS_EXEC: {
      sv_exec_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "exec record has the wrong size");
      ev.kind = EventKind::ProcessExec;
      ExecInfo info;
      info.filename = bounded(x.filename);
      auto len = x.args_len < sizeof(x.args) ? x.args_len : sizeof(x.args);
      info.args = split_nul(std::string_view(x.args, len));
      ev.payload = std::move(info);
      break;
    }
    case SV_EV_PROCESS_FORK: {
      sv_fork_event f;
      if (!read_exact(rec, f)) return fail(stats, DecodeError::SizeMismatch, "fork record has the wrong size");
      ev.kind = EventKind::ProcessFork;
      ev.payload = ForkInfo{f.parent_pid};
      break;
    }
    case SV_EV_PROCESS_EXIT: {
      sv_exit_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "exit record has the wrong size");
      ev.kind = EventKind::ProcessExit;
      ev.payload = ExitInfo{x.exit_code};
      break;
    }
    case SV_EV_IOCTL: {
      sv_ioctl_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "ioctl record has the wrong size");
      if (x.dev_class >= kDeviceClassCount) return fail(stats, DecodeError::BadClass, "device class out of range");
      ev.kind = EventKind::DeviceIoctl;
      ev.repeats = x.repeats;
      IoctlInfo io;
      io.device.major = x.major;
      io.device.minor = x.minor;
      io.device.fd = x.fd;
      io.device.name = bounded(x.name);
      io.device.device_class = table.classify_or(x.major, x.minor, x.dev_class);
      io.cmd = x.cmd;
      const auto* spec = find_ioctl(x.cmd, io.device.device_class);
      io.name = spec ? std::string(spec->name) : "";
      io.arg = spec && spec->arg != IoctlArg::Value ? x.arg_value : x.arg;
      ev.payload = std::move(io);
      break;
    }
    case SV_EV_PROCESS_ACCESS: {
      sv_process_access_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "access record has the wrong size");
      static constexpr const char* kAccess[] = {"",         "ptrace-attach", "ptrace-seize", "ptrace-peek",
                                                "ptrace-poke", "vm-read",     "vm-write",     "proc-mem"};
      if (x.access == 0 || x.access >= std::size(kAccess))
        return fail(stats, DecodeError::BadClass, "process access kind out of range");
      ev.kind = EventKind::ProcessAccess;
      ev.repeats = x.repeats;
      ev.payload = AccessInfo{x.target_pid, kAccess[x.access], x.request};
      break;
    }
    case SV_EV_CONNECT: {
      sv_connect_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "connect record has the wrong size");
      ev.kind = EventKind::SocketConnect;
      ev.repeats = x.repeats;
      ConnectInfo c;
      c.family = x.family == 1 ? "unix" : x.family == 2 ? "inet" : x.family == 10 ? "inet6" : "other";
      c.port = x.port;
      if (x.family == 1) {
        auto len = std::min<std::size_t>(x.path_len, sizeof(x.path));
        if (len > 0 && x.path[0] == '\0')  // abstract: "@name", the name up to its first NUL
          c.path = "@" + std::string(x.path + 1, strnlen(x.path + 1, len - 1));
        else
          c.path = std::string(x.path, strnlen(x.path, len));
      }
      c.service = x.service == SV_SERVICE_X11 ? "x11" : "";
      ev.payload = std::move(c);
      break;
    }
    case SV_EV_INJECTION: {
      sv_injection_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "injection record has the wrong size");
      ev.kind = EventKind::LibraryInjection;
      InjectionInfo inj;
      switch (x.what) {
        case SV_INJ_LD_PRELOAD: inj = {"LD_PRELOAD", bounded(x.value), "exec"}; break;
        case SV_INJ_LD_AUDIT: inj = {"LD_AUDIT", bounded(x.value), "exec"}; break;
        case SV_INJ_PRELOAD_FILE_WRITE: inj = {"/etc/ld.so.preload", bounded(x.value), "write"}; break;
        case SV_INJ_PRELOAD_FILE_RENAME: inj = {"/etc/ld.so.preload", bounded(x.value), "rename"}; break;
        case SV_INJ_ENV_UNSCANNED: inj = {"environment", "", "exec-unscanned"}; break;
        default: return fail(stats, DecodeError::BadClass, "injection kind out of range");
      }
      ev.payload = std::move(inj);
      break;
    }
    case SV_EV_BPF: {
      sv_bpf_event x;
      if (!read_exact(rec, x)) return fail(stats, DecodeError::SizeMismatch, "bpf record has the wrong size");
      if (x.op < SV_BPF_PROG_LOAD || x.op > SV_BPF_PERF_PROBE)
        return fail(stats, DecodeError::BadClass, "bpf operation out of range");
      ev.kind = EventKind::BpfProgram;
      BpfInfo b;
      b.op = x.op == SV_BPF_PROG_LOAD ? "load" : x.op == SV_BPF_RAW_TP_OPEN ? "raw-tracepoint" : "probe";
      b.raw_prog_type = x.prog_type;
      b.perf_type = x.attach_type;
      b.config = x.config;
      b.offset = x.offset;
      std::string name = bounded(x.name);
      if (x.op == SV_BPF_PROG_LOAD) {
        b.prog_name = name;
        b.helpers = helper_names(x.helpers);
        const char* type = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(x.prog_type));
        b.prog_type = type ? type : "type " + std::to_string(x.prog_type);
      } else if (x.op == SV_BPF_RAW_TP_OPEN) {
        b.prog_type = "raw_tracepoint";
        b.attach_point = name;
      } else {
        b.attach_point = name;  // kprobe function or uprobe file; tracepoints are named by user space
      }
      ev.payload = std::move(b);
      break;
    }
    default:
      return fail(stats, DecodeError::UnknownKind, "unknown record kind");
  }
  ++stats.decoded;
  return ev;
}

}  // namespace sousveil
