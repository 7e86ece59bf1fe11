// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/inventory.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "common/boot_clock.h"

namespace sousveil {
namespace {

// "prog_id:\t12" style lines of /proc/PID/fdinfo/N.
std::optional<std::uint32_t> fdinfo_value(const std::string& text, std::string_view key) {
  auto pos = text.find(std::string(key) + ":");
  if (pos == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(pos + key.size() + 1, 32));
  std::uint32_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

// Which processes hold each program, directly or through a link.
std::map<std::uint32_t, std::vector<std::uint32_t>> owners(const ProcFs& procfs) {
  std::map<std::uint32_t, std::vector<std::uint32_t>> out;
  for (auto pid : procfs.pids()) {
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator(procfs.root() / std::to_string(pid) / "fd", ec)) {
      std::error_code lec;
      auto target = std::filesystem::read_symlink(fd.path(), lec).string();
      if (target != "anon_inode:bpf-prog" && target != "anon_inode:bpf_link") continue;
      auto info = procfs.read_file(std::to_string(pid) + "/fdinfo/" + fd.path().filename().string());
      if (!info) continue;
      if (auto id = fdinfo_value(*info, "prog_id")) {
        auto& v = out[*id];
        if (std::find(v.begin(), v.end(), pid) == v.end()) v.push_back(pid);
      }
    }
  }
  return out;
}

}  // namespace

Result<std::vector<RawEvent>> bpf_inventory(const ProcFs& procfs, const std::set<std::uint32_t>& own) {
  std::vector<RawEvent> out;
  // Attach points by program, from the links.
  std::map<std::uint32_t, std::string> attach;
  struct btf* vmlinux = btf__load_vmlinux_btf();
  for (std::uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
    int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_link_info info{};
    char tp_name[128] = {};
    info.raw_tracepoint.tp_name = reinterpret_cast<std::uint64_t>(tp_name);
    info.raw_tracepoint.tp_name_len = sizeof(tp_name);
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
        attach[info.prog_id] = tp_name;
      } else if (info.type == BPF_LINK_TYPE_TRACING && vmlinux && info.tracing.target_obj_id == 0) {
        if (const auto* t = btf__type_by_id(vmlinux, info.tracing.target_btf_id))
          attach[info.prog_id] = btf__name_by_offset(vmlinux, t->name_off);
      }
    }
    close(fd);
  }
  btf__free(vmlinux);

  auto held = owners(procfs);
  bool any = false;
  for (std::uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    any = true;
    if (own.count(id)) continue;
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    int err = bpf_obj_get_info_by_fd(fd, &info, &len);
    close(fd);
    if (err != 0) continue;
    RawEvent ev;
    ev.kind = EventKind::BpfProgram;
    ev.source = EventSource::Inventory;
    ev.ts_boot_ns = BootClock::now_boot_ns();
    ev.process.uid = info.created_by_uid;
    auto who = held.find(id);
    if (who != held.end() && !who->second.empty()) {
      ev.process.pid = who->second.front();
      ev.process.tid = ev.process.pid;
      if (auto st = procfs.stat(ev.process.pid)) {
        ev.process.comm = st->comm;
        ev.process.ppid = st->ppid;
        ev.process.start_boot_ns = ticks_to_boot_ns(st->start_ticks);
      }
    }
    BpfInfo b;
    b.op = "loaded";
    const char* type = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(info.type));
    b.prog_type = type ? type : "type " + std::to_string(info.type);
    b.prog_name = std::string(info.name, strnlen(info.name, sizeof(info.name)));
    b.raw_prog_type = info.type;
    if (auto a = attach.find(id); a != attach.end()) b.attach_point = a->second;
    ev.payload = std::move(b);
    out.push_back(std::move(ev));
  }
  if (!any && errno == EPERM) return make_error("listing BPF programs needs CAP_SYS_ADMIN");
  return out;
}

}  // namespace sousveil
