// SPDX-License-Identifier: Apache-2.0
#include "rules/fields.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace sousveil::rules {
namespace {

using enum FieldType;

// Order follows FieldId; fields.cpp's static_assert keeps them aligned.
constexpr FieldInfo kFields[] = {
    {FieldId::Kind, "kind", String, "/kind", "event kind: device_open, device_held, x11_request..."},
    {FieldId::Source, "source", String, "/source", "ebpf, ebpf-snapshot, proc-scan, inotify, x11, dbus, posture"},
    {FieldId::Result, "result", String, "/result", "ok, or the errno name of a refused attempt (ENXIO...)"},
    {FieldId::DeviceClass, "device.class", String, "/device/class", "input, hidraw, usb, uinput, uhid, vcs, tty, pty, fb, drm, video, sound, mem"},
    {FieldId::DeviceDetail, "device.detail", String, "/device/detail", "capture, playback, event, vcsa, card, render..."},
    {FieldId::DeviceMajor, "device.major", Number, "/device/major", "device major number"},
    {FieldId::DeviceMinor, "device.minor", Number, "/device/minor", "device minor number"},
    {FieldId::DevicePath, "device.path", String, "/device/path", "path of the device node as opened"},
    {FieldId::DeviceName, "device.name", String, "/device/name", "name of the device node"},
    {FieldId::AccessMode, "access.mode", String, "/access/mode", "read, write, read-write"},
    {FieldId::AccessFlags, "access.flags", List, "/access/flags", "open flags by name"},
    {FieldId::AccessFd, "access.fd", Number, "/access/fd", "file descriptor"},
    {FieldId::IoctlCmd, "ioctl.cmd", Number, "/ioctl/cmd", "ioctl request number"},
    {FieldId::IoctlName, "ioctl.name", String, "/ioctl/name", "ioctl request name: EVIOCGRAB, TIOCSTI, VIDIOC_STREAMON..."},
    {FieldId::IoctlArg, "ioctl.arg", Number, "/ioctl/arg", "ioctl argument value where it is a value (EVIOCGRAB 1 = grab)"},
    {FieldId::ReadBytes, "read.bytes", Number, "/read/bytes", "bytes read from the device in the period"},
    {FieldId::ReadRate, "read.rate", Number, "/read/rate", "bytes per second read from the device"},
    {FieldId::TargetPid, "target.pid", Number, "/target/pid", "the other process (ptrace, process_vm_readv, /proc/PID/mem)"},
    {FieldId::TargetName, "target.name", String, "/target/comm", "the other process's name"},
    {FieldId::TargetExe, "target.exe", String, "/target/exe", "the other process's executable"},
    {FieldId::TargetUser, "target.user", String, "/target/user", "the other process's user"},
    {FieldId::TargetUid, "target.uid", Number, "/target/uid", "the other process's uid"},
    {FieldId::TargetAccess, "target.access", String, "/target/access", "ptrace-attach, ptrace-seize, ptrace-peek, ptrace-poke, vm-read, vm-write, proc-mem"},
    {FieldId::SocketPath, "socket.path", String, "/socket/path", "unix socket path (abstract ones start with @)"},
    {FieldId::SocketFamily, "socket.family", String, "/socket/family", "unix, inet, inet6"},
    {FieldId::SocketPort, "socket.port", Number, "/socket/port", "TCP port"},
    {FieldId::SocketService, "socket.service", String, "/socket/service", "x11, wayland, pipewire, pulseaudio"},
    {FieldId::X11Display, "x11.display", String, "/x11/display", "X display, e.g. :0"},
    {FieldId::X11Request, "x11.request", String, "/x11/request", "GetImage, ShmGetImage, XISelectEvents, RecordCreateContext, QueryKeymap..."},
    {FieldId::X11Detail, "x11.detail", String, "/x11/detail", "decoded detail: raw-keys-root, all-clients, clipboard..."},
    {FieldId::X11Rate, "x11.rate", Number, "/x11/rate", "requests per second, on the events that fold repeats (absent on a first sighting)"},
    {FieldId::X11Extension, "x11.extension", String, "/x11/extension", "extension of the request: MIT-SHM, XInputExtension, RECORD, XFIXES, XTEST, Composite; empty for core"},
    {FieldId::X11Client, "x11.client", Number, "/x11/client", "the X client's resource-id base"},
    {FieldId::X11Mask, "x11.mask", List, "/x11/mask", "decoded event mask: RawKeyPress, KeyPress, DeviceKeyPress..."},
    {FieldId::X11Count, "x11.count", Number, "/x11/count", "requests this event stands for"},
    {FieldId::X11Root, "x11.root", String, "/x11/root", "true when the request targets a root window (the whole screen)"},
    {FieldId::DbusBus, "dbus.bus", String, "/dbus/bus", "system or session"},
    {FieldId::DbusInterface, "dbus.interface", String, "/dbus/interface", "D-Bus interface called"},
    {FieldId::DbusMember, "dbus.member", String, "/dbus/member", "D-Bus method called"},
    {FieldId::DbusPath, "dbus.path", String, "/dbus/path", "D-Bus object path"},
    {FieldId::DbusDestination, "dbus.destination", String, "/dbus/destination", "bus name called: org.freedesktop.portal.Desktop..."},
    {FieldId::DbusDetail, "dbus.detail", String, "/dbus/detail", "what kind of request: interactive=false, table=screenshot..."},
    {FieldId::PipewireMediaClass, "pipewire.media_class", String, "/pipewire/media_class", "Stream/Input/Audio, Stream/Input/Video..."},
    {FieldId::PipewireNode, "pipewire.node", String, "/pipewire/node", "node name of the captured source"},
    {FieldId::PipewireCapture, "pipewire.capture", String, "/pipewire/capture", "camera, screen, microphone, audio-loopback, video, audio"},
    {FieldId::BpfProgType, "bpf.prog_type", String, "/bpf/prog_type", "kprobe, tracepoint, raw_tracepoint, tracing, lsm..."},
    {FieldId::BpfProgName, "bpf.prog_name", String, "/bpf/prog_name", "BPF program name"},
    {FieldId::BpfAttachPoint, "bpf.attach_point", String, "/bpf/attach_point", "tracepoint, function or uprobe target"},
    {FieldId::BpfHelpers, "bpf.helpers", List, "/bpf/helpers", "notable helpers used: probe_read_user, probe_write_user..."},
    {FieldId::InjectionVariable, "injection.variable", String, "/injection/variable", "LD_PRELOAD, LD_AUDIT, /etc/ld.so.preload"},
    {FieldId::InjectionLibrary, "injection.library", String, "/injection/library", "the library injected"},
    {FieldId::PostureCheck, "posture.check", String, "/posture/check", "posture check id: pam-tty-audit, sudo-io-log, tlog-shell..."},
    {FieldId::PostureEvidence, "posture.evidence", String, "/posture/evidence", "file or state that shows it"},
    {FieldId::PostureLevel, "posture.level", String, "/posture/level", "installed, running, capturing"},
    {FieldId::PostureSubject, "posture.subject", String, "/posture/subject", "the path, package, unit or process the finding is about"},
    {FieldId::PostureDetail, "posture.detail", String, "/posture/detail", "what was found there"},
    {FieldId::PostureState, "posture.state", String, "/posture/state", "new, changed, resolved"},
    {FieldId::ProcessName, "process.name", String, "/process/comm", "kernel task name"},
    {FieldId::ProcessExe, "process.exe", String, "/process/exe", "executable path"},
    {FieldId::ProcessExeInode, "process.exe_inode", Number, "/process/exe_inode", "inode of the executable"},
    {FieldId::ProcessCmdline, "process.cmdline", List, "/process/cmdline", "argv, one element per argument"},
    {FieldId::ProcessArgs, "process.args", String, "/process/args", "argv joined with spaces"},
    {FieldId::ProcessPid, "process.pid", Number, "/process/pid", "process id"},
    {FieldId::ProcessPpid, "process.ppid", Number, "/process/ppid", "parent process id"},
    {FieldId::ProcessUid, "process.uid", Number, "/process/uid", "real uid"},
    {FieldId::ProcessEuid, "process.euid", Number, "/process/euid", "effective uid"},
    {FieldId::ProcessUser, "process.user", String, "/process/user", "real user name"},
    {FieldId::ProcessUnit, "process.unit", String, "/process/unit", "systemd unit"},
    {FieldId::ProcessPackage, "process.package", String, "/process/package", "Debian package owning the executable"},
    {FieldId::ProcessProduct, "process.product", String, "/process/product", "catalog product id the process matches"},
    {FieldId::ParentName, "parent.name", String, "/process/ancestry/0/comm", "parent's task name"},
    {FieldId::ParentExe, "parent.exe", String, "/process/ancestry/0/exe", "parent's executable"},
    {FieldId::AncestorNames, "ancestors.name", List, "/process/ancestry/*/comm", "task names of all ancestors"},
    {FieldId::AncestorExes, "ancestors.exe", List, "/process/ancestry/*/exe", "executables of all ancestors"},
};
static_assert(std::size(kFields) == kFieldCount, "one FieldInfo per FieldId");
constexpr bool fields_in_id_order() {
  for (std::size_t i = 0; i < std::size(kFields); ++i)
    if (static_cast<std::size_t>(kFields[i].id) != i) return false;
  return true;
}
static_assert(fields_in_id_order(), "kFields must follow the order of FieldId");

constexpr std::string_view kKinds[] = {
    "device_open",        // sensitive device opened or refused (eBPF)
    "device_held",        // sensitive device already open (snapshot, /proc scan)
    "device_read",        // bytes read from a sensitive device, as a rate
    "device_ioctl",       // a sensitive ioctl (EVIOCGRAB, TIOCSTI, VIDIOC_STREAMON...)
    "process_access",     // ptrace, process_vm_readv/writev, /proc/PID/mem of another process
    "socket_connect",     // connect to a display or audio server
    "bpf_program",        // a BPF program loaded or found attached
    "library_injection",  // LD_PRELOAD/LD_AUDIT at exec, /etc/ld.so.preload written
    "x11_request",        // a capture-relevant X11 request by a client
    "dbus_call",          // a portal or compositor capture call on D-Bus
    "pipewire_stream",    // a PipeWire capture stream
    "posture",            // a configuration or installed product that records
    "process_exec",
};

}  // namespace

std::span<const FieldInfo> all_fields() { return kFields; }

const FieldInfo& field_info(FieldId id) { return kFields[static_cast<std::size_t>(id)]; }

std::optional<FieldId> field_by_name(std::string_view name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, FieldId> m;
    for (const auto& f : kFields) m.emplace(f.name, f.id);
    return m;
  }();
  auto it = index.find(name);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

std::span<const std::string_view> all_event_kinds() { return kKinds; }

bool is_event_kind(std::string_view kind) {
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

std::string FieldValue::to_text() const {
  switch (type) {
    case Type::Missing: return "?";
    case Type::Number: return std::to_string(number);
    case Type::String: return std::string(string);
    case Type::List: {
      std::string out;
      for (const auto& s : *list) {
        if (!out.empty()) out += ' ';
        out += s;
      }
      return out;
    }
  }
  return "?";
}

}  // namespace sousveil::rules
