// SPDX-License-Identifier: Apache-2.0
#include "enrich/device_resolver.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace sousveil {
namespace {

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The node as the process saw it: through its root and cwd while it lives.
bool stat_as_process(const ProcFs& procfs, std::uint32_t pid, const std::string& path, struct stat& st) {
  std::string pid_dir = (procfs.root() / std::to_string(pid)).string();
  std::string through = path.starts_with("/") ? pid_dir + "/root" + path : pid_dir + "/cwd/" + path;
  if (::stat(through.c_str(), &st) == 0) return true;
  return path.starts_with("/") && ::stat(path.c_str(), &st) == 0;
}

}  // namespace

bool resolve_device(RawEvent& ev, const ProcFs& procfs, const DeviceClassTable& table) {
  auto& d = ev.device();
  if (d.err != 0 && d.device_class == DeviceClass::None) {
    struct stat st {};
    if (!d.path.empty() && stat_as_process(procfs, ev.process.pid, d.path, st)) {
      if (!S_ISCHR(st.st_mode)) return false;
      d.major = major(st.st_rdev);
      d.minor = minor(st.st_rdev);
      d.device_class = table.classify(d.major, d.minor);
    } else {
      d.device_class = classify_dev_path(d.path);
    }
    if (d.device_class == DeviceClass::None) return false;
  }
  if (d.path.empty() && d.fd >= 0) {
    // A held fd (snapshot): the path it was opened by, while the process lives.
    std::error_code ec;
    auto link = procfs.root() / std::to_string(ev.process.pid) / "fd" / std::to_string(d.fd);
    d.path = std::filesystem::read_symlink(link, ec).string();
  }
  if (d.name.empty()) d.name = basename_of(d.path);
  d.detail = device_detail(d.device_class, d.name);
  return true;
}

}  // namespace sousveil

namespace sousveil {
namespace {

// Where a node of this class lives, for when /proc can no longer say.
std::string device_dir(DeviceClass c) {
  switch (c) {
    case DeviceClass::Input: return "/dev/input/";
    case DeviceClass::Pty: return "/dev/pts/";
    case DeviceClass::Drm: return "/dev/dri/";
    case DeviceClass::Sound: return "/dev/snd/";
    case DeviceClass::Usb: return "/dev/bus/usb/";
    default: return "/dev/";
  }
}

std::string fd_path(const ProcFs& procfs, std::uint32_t pid, int fd) {
  std::error_code ec;
  auto link = procfs.root() / std::to_string(pid) / "fd" / std::to_string(fd);
  return std::filesystem::read_symlink(link, ec).string();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool resolve_capture(RawEvent& ev, const ProcFs& procfs, ProbeNames& probes) {
  if (auto* b = std::get_if<BpfInfo>(&ev.payload)) {
    if (b->op != "probe") return true;
    b->prog_type = probes.pmu_kind(b->perf_type);
    if (b->prog_type.empty()) return false;  // some other dynamic PMU: no probe
    if (b->prog_type == "tracepoint") {
      auto name = probes.tracepoint(b->config);
      b->attach_point = name ? *name : "tracepoint id " + std::to_string(b->config);
    } else if (b->prog_type == "uprobe") {
      char off[32];
      std::snprintf(off, sizeof(off), ":0x%llx", static_cast<unsigned long long>(b->offset));
      b->attach_point += off;
    }
    return true;
  }
  if (auto* io = std::get_if<IoctlInfo>(&ev.payload)) {
    if (io->name.empty()) return false;
    io->device.path = fd_path(procfs, ev.process.pid, io->device.fd);
    if (io->device.path.empty()) io->device.path = device_dir(io->device.device_class) + io->device.name;
    io->device.detail = device_detail(io->device.device_class, io->device.name);
    return true;
  }
  if (auto* rd = std::get_if<ReadInfo>(&ev.payload)) {
    rd->device.path = fd_path(procfs, ev.process.pid, rd->device.fd);
    if (rd->device.path.empty()) rd->device.path = device_dir(rd->device.device_class) + rd->device.name;
    rd->device.detail = device_detail(rd->device.device_class, rd->device.name);
    return rd->device.device_class != DeviceClass::None;
  }
  if (auto* c = std::get_if<ConnectInfo>(&ev.payload)) {
    std::string_view path = c->path;
    if (!path.empty() && path[0] == '@') path.remove_prefix(1);
    if (c->service == "x11") {
      auto x = path.rfind("/X");
      if (x != std::string_view::npos) c->display = ":" + std::string(path.substr(x + 2));
      else if (c->port >= 6000) c->display = "tcp:" + std::to_string(c->port - 6000);
      return true;
    }
    auto base = path.substr(path.rfind('/') + 1);
    if (base.starts_with("wayland-") && !ends_with(base, ".lock")) {
      c->service = "wayland";
      c->display = std::string(base);
    } else if (base.starts_with("pipewire-") && !ends_with(base, ".lock")) {
      c->service = "pipewire";
    } else if (ends_with(path, "/pulse/native")) {
      c->service = "pulseaudio";
    } else {
      return false;
    }
    return true;
  }
  if (auto* a = std::get_if<AccessInfo>(&ev.payload)) {
    // ptrace and process_vm_* name a thread; the process is its thread group.
    if (auto tgid = procfs.tgid_of(a->target_pid)) a->target_pid = *tgid;
    return a->target_pid != ev.process.pid;
  }
  return std::holds_alternative<InjectionInfo>(ev.payload);
}

}  // namespace sousveil
