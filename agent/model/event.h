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

// A sensitive ioctl on a classified device fd.
struct IoctlInfo {
  DeviceAccess device;  // the fd's device at the time of use
  std::uint32_t cmd = 0;
  std::string name;     // EVIOCGRAB, TIOCSTI...; from the ioctl table
  std::uint64_t arg = 0;  // the value that matters: the argument, or what it points to
};

// Another program's BPF: a load, a raw tracepoint, a probe it opened.
struct BpfInfo {
  std::string op;           // load, raw-tracepoint, probe
  std::string prog_type;    // kprobe, tracepoint, raw_tracepoint, tracing, lsm, uprobe...
  std::string prog_name;
  std::string attach_point; // "syscalls/sys_enter_read", "input_handle_event", "/usr/bin/bash:0x8c2a0"
  std::vector<std::string> helpers;  // notable helpers, where known
  std::uint32_t raw_prog_type = 0;
  std::uint32_t perf_type = 0;
  std::uint64_t config = 0;
  std::uint64_t offset = 0;
};

// Bytes read from a sensitive device over a period, counted in the kernel.
struct ReadInfo {
  DeviceAccess device;
  std::uint64_t bytes = 0;  // in the period
  std::uint64_t reads = 0;
  std::uint64_t rate = 0;   // bytes per second over the period
  double period_s = 0;
};

// One process reaching into another.
struct AccessInfo {
  std::uint32_t target_pid = 0;
  std::string access;  // ptrace-attach, ptrace-seize, ptrace-peek, ptrace-poke, vm-read, vm-write, proc-mem
  std::uint32_t request = 0;
};

// A connect() to a display or audio server.
struct ConnectInfo {
  std::string family;   // unix, inet, inet6
  std::string path;     // unix path; abstract names start with '@'
  std::uint16_t port = 0;
  std::string service;  // x11, wayland, pipewire, pulseaudio
  std::string display;  // ":0" for X11
};

// A library forced into programs.
struct InjectionInfo {
  std::string variable;  // LD_PRELOAD, LD_AUDIT, /etc/ld.so.preload
  std::string library;   // the value, or the path written
  std::string action;    // exec, write, rename
};

// State on disk or in /proc that means someone can record you (posture
// scanner). One event when a finding appears, changes or goes away.
enum class PostureLevel : std::uint8_t { Installed, Running, Capturing };
enum class PostureState : std::uint8_t { New, Changed, Resolved };

struct PostureInfo {
  std::string check;    // ld-so-preload, pam-tty-audit, remote-view-service...
  std::string subject;  // the path, package, unit or process it is about
  std::string detail;   // what was found there
  PostureLevel level = PostureLevel::Installed;
  PostureState state = PostureState::New;
  // "subject: detail", for people and for rules (posture.evidence).
  std::string evidence() const { return detail.empty() ? subject : subject + ": " + detail; }
};

// A capture-relevant request one X client sent to its X server, seen through
// the RECORD extension. Only the request's kind and its target are decoded:
// never pixels, keys or clipboard contents (requests carry none).
struct X11Info {
  std::string display;        // ":0"
  std::uint32_t client = 0;   // the client's resource-id base
  std::string request;        // GetImage, ShmGetImage, XISelectEvents, RecordCreateContext...
  std::string extension;      // "" for the core protocol, else MIT-SHM, XInputExtension...
  std::uint8_t major = 0;     // opcode as sent (an extension's major is the server's choice)
  std::uint8_t minor = 0;
  std::string detail;         // root, window, raw-keys-root, clipboard, key-press, all-clients...
  bool root = false;          // aimed at a root window (the whole screen)
  std::vector<std::string> mask;  // decoded event mask: RawKeyPress, KeyPress...
  std::uint32_t count = 1;    // requests folded into this event
  double period_s = 0;        // over which count was taken; 0 for a first sighting
  std::uint32_t rate = 0;     // count per second when folded; 0 for a first sighting
  // How the client was named: "x-resource" (the server's peer credentials),
  // "connect" (the client left before the server could say; the one process
  // the kernel saw connect to this display just before), or "" (unknown).
  std::string named_by;
};

// A capture-relevant message on a D-Bus bus (portal, compositor). Names only:
// never a message body beyond a flag that says what kind of request it is.
struct DbusInfo {
  std::string bus;          // "system" or "session"
  std::uint32_t bus_uid = 0;  // owner of a session bus
  std::string type;         // method_call, signal
  std::string sender;       // unique name (":1.42")
  std::string destination;  // well-known or unique name
  std::string path;
  std::string interface;
  std::string member;
  std::string detail;       // "interactive=false", "table=screenshot"...; empty when none
};

// A client of a PipeWire daemon that owns a capture stream.
struct PipewireInfo {
  std::string socket;        // the daemon's socket (/run/user/1000/pipewire-0)
  std::uint32_t node_id = 0; // the stream node
  std::string node_name;     // the stream's node.name
  std::string media_class;   // Stream/Input/Audio, Stream/Input/Video
  std::string source;        // node.name of the linked source, "" while unlinked
  std::string source_class;  // media.class of that source (Audio/Source, Video/Source...)
  std::string capture;       // camera, screen, microphone, audio-loopback, video, audio
  std::string app;           // application.name as the client says (self-reported)
  std::string state;         // started (stream appeared), linked, ended
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
  DeviceIoctl,
  ProcessAccess,
  SocketConnect,
  LibraryInjection,
  DeviceRead,
  BpfProgram,
  Posture,
  X11Request,   // a capture-relevant X11 request by another client
  DbusCall,
  PipewireStream,
};

// How the program asked the kernel: the per-syscall tracepoints miss the last two.
enum class Origin : std::uint8_t {
  Syscall,        // a native system call
  CompatSyscall,  // a 32-bit (ia32) system call
  IoUring,        // an io_uring request
};

enum class EventSource : std::uint8_t {
  Ebpf,          // live, from the kernel tracepoints
  EbpfSnapshot,  // from the task_file iterator at start
  ProcScan,      // from scanning /proc: lower fidelity, misses short-lived access
  Inventory,     // from listing what is loaded (BPF programs) at start
  Posture,       // from the posture scanner (files on disk, /proc)
  Inotify,       // a /proc scan triggered by an inotify open of a device node (no-eBPF mode)
  X11,           // from the X server's RECORD extension and X-Resource
  Dbus,          // a D-Bus monitor connection
  Pipewire,      // a PipeWire daemon's registry
};

std::string_view to_string(EventKind k);
std::string_view to_string(EventSource s);
std::string_view to_string(Origin o);
std::string_view to_string(PostureLevel l);
std::string_view to_string(PostureState s);

// What a sensor saw, typed, before anyone decides what it means.
struct RawEvent {
  EventKind kind = EventKind::DeviceOpen;
  EventSource source = EventSource::Ebpf;
  std::uint64_t ts_boot_ns = 0;
  std::uint32_t repeats = 0;  // identical events the kernel folded into this one
  Origin origin = Origin::Syscall;
  ProcessRef process;
  std::variant<DeviceAccess, ExecInfo, ForkInfo, ExitInfo, IoctlInfo, AccessInfo, ConnectInfo, InjectionInfo,
               ReadInfo, BpfInfo, X11Info, DbusInfo, PipewireInfo, PostureInfo>
      payload;

  bool is_device() const { return kind == EventKind::DeviceOpen || kind == EventKind::DeviceHeld; }
  const DeviceAccess& device() const { return std::get<DeviceAccess>(payload); }
  DeviceAccess& device() { return std::get<DeviceAccess>(payload); }
  // The device this event is about, if any (opens, held fds, ioctls).
  const DeviceAccess* device_if() const {
    if (is_device()) return &std::get<DeviceAccess>(payload);
    if (const auto* io = std::get_if<IoctlInfo>(&payload)) return &io->device;
    if (const auto* rd = std::get_if<ReadInfo>(&payload)) return &rd->device;
    return nullptr;
  }
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
  std::string package;  // Debian package owning the executable
  std::uint64_t exe_inode = 0;
  std::vector<Ancestor> ancestry;  // parent first
  bool exited = false;  // gone before it could be read from /proc
};

struct EnrichedEvent {
  RawEvent raw;
  ProcessInfo process;
  ProcessInfo target;  // the other process, for process_access
};

// "ok", or the errno's name ("ENXIO", "EACCES"...) of a refused attempt.
std::string_view result_name(std::int32_t err);

// Access mode of open flags: "read", "write", "read-write".
std::string_view access_mode(std::uint32_t open_flags);
// The open flags a reader cares about, by name (O_NONBLOCK, O_CLOEXEC...).
std::vector<std::string> open_flag_names(std::uint32_t open_flags);

}  // namespace sousveil
