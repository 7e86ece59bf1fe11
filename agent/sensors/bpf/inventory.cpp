// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/inventory.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/boot_clock.h"
#include "sensors/bpf/elf_symbols.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;

// "prog_id:\t12" style lines of /proc/PID/fdinfo/N.
std::optional<std::uint32_t> fdinfo_value(const std::string& text, std::string_view key) {
  auto pos = text.find(std::string(key) + ":");
  if (pos == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(pos + key.size() + 1, 32));
  std::uint32_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// "syscalls/sys_enter_read" for "sys_enter_read": the category from tracefs.
class TracepointNames {
 public:
  std::string qualify(const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos) return name;
    if (auto it = m_cache.find(name); it != m_cache.end()) return it->second;
    std::string out = name;
    for (const char* root : {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}) {
      std::error_code ec;
      for (const auto& cat : fs::directory_iterator(root, ec)) {
        std::error_code dec;
        if (fs::is_directory(cat.path() / name, dec)) {
          out = cat.path().filename().string() + "/" + name;
          break;
        }
      }
      if (out != name || !ec) break;
    }
    m_cache[name] = out;
    return out;
  }

 private:
  std::map<std::string, std::string> m_cache;
};

// "/usr/bin/bash:readline" for a uprobe, or the offset when the file has no symbol there.
std::string uprobe_point(const std::string& file, std::uint64_t offset) {
  auto sym = symbol_at_file_offset(file, offset);
  return file + ":" + (sym ? *sym : hex(offset));
}

std::string kprobe_point(const std::string& func, std::uint64_t offset, std::uint64_t addr) {
  if (func.empty()) return hex(addr);
  return offset ? func + "+" + hex(offset) : func;
}

// bpf_link_info.perf_event (Linux 6.6), which this system's uapi header predates.
struct PerfLinkInfo {
  std::uint32_t type;
  std::uint32_t id;
  std::uint32_t prog_id;
  std::uint32_t _pad0;
  std::uint32_t perf_type;  // enum bpf_perf_event_type
  std::uint32_t _pad1;
  std::uint64_t name;       // file_name, func_name or tp_name
  std::uint32_t name_len;
  std::uint32_t offset;     // uprobe / kprobe offset
  std::uint64_t addr;       // kprobe address (uprobe: cookie)
  std::uint64_t rest[6];
};
static_assert(offsetof(PerfLinkInfo, perf_type) == 16 && offsetof(PerfLinkInfo, name) == 24);
constexpr std::uint32_t kLinkTypePerfEvent = 7;
enum PerfEventType : std::uint32_t { kUprobe = 1, kUretprobe = 2, kKprobe = 3, kKretprobe = 4, kTracepoint = 5 };

// What the programs are attached to, from links and from legacy perf events.
struct Attachments {
  std::map<std::uint32_t, std::vector<std::uint32_t>> owners;  // program -> processes holding it
  std::map<std::uint32_t, std::string> points;                 // program -> attach point
};

void add_owner(Attachments& a, std::uint32_t prog, std::uint32_t pid) {
  auto& v = a.owners[prog];
  if (std::find(v.begin(), v.end(), pid) == v.end()) v.push_back(pid);
}

// Processes holding programs (a program fd, a link fd, or a perf event a program
// was set on with PERF_EVENT_IOC_SET_BPF, which has no link: bpftrace, bcc).
void scan_processes(const ProcFs& procfs, Attachments& a, TracepointNames& tps) {
  for (auto pid : procfs.pids()) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator(procfs.root() / std::to_string(pid) / "fd", ec)) {
      std::error_code lec;
      auto target = fs::read_symlink(fd.path(), lec).string();
      auto name = fd.path().filename().string();
      if (target == "anon_inode:bpf-prog" || target == "anon_inode:bpf_link") {
        auto info = procfs.read_file(std::to_string(pid) + "/fdinfo/" + name);
        if (!info) continue;
        if (auto id = fdinfo_value(*info, "prog_id")) add_owner(a, *id, pid);
      } else if (target == "anon_inode:[perf_event]" && procfs.root() == "/proc") {
        char buf[4096] = {};
        __u32 len = sizeof(buf), prog = 0, type = 0;
        __u64 offset = 0, addr = 0;
        int fdnum = std::atoi(name.c_str());
        if (bpf_task_fd_query(static_cast<int>(pid), fdnum, 0, buf, &len, &prog, &type, &offset, &addr) != 0)
          continue;  // a perf event without a program
        add_owner(a, prog, pid);
        std::string what(buf, strnlen(buf, sizeof(buf)));
        switch (type) {
          case BPF_FD_TYPE_RAW_TRACEPOINT: a.points[prog] = what; break;
          case BPF_FD_TYPE_TRACEPOINT: a.points[prog] = tps.qualify(what); break;
          case BPF_FD_TYPE_KPROBE:
          case BPF_FD_TYPE_KRETPROBE: a.points[prog] = kprobe_point(what, offset, addr); break;
          case BPF_FD_TYPE_UPROBE:
          case BPF_FD_TYPE_URETPROBE: a.points[prog] = uprobe_point(what, offset); break;
          default: break;
        }
      }
    }
  }
}

void scan_links(Attachments& a, TracepointNames& tps) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  for (std::uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
    int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_link_info info{};
    char name[4096] = {};
    info.raw_tracepoint.tp_name = reinterpret_cast<std::uint64_t>(name);
    info.raw_tracepoint.tp_name_len = sizeof(name);
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
        a.points[info.prog_id] = name;
      } else if (info.type == BPF_LINK_TYPE_TRACING && vmlinux && info.tracing.target_obj_id == 0) {
        if (const auto* t = btf__type_by_id(vmlinux, info.tracing.target_btf_id))
          a.points[info.prog_id] = btf__name_by_offset(vmlinux, t->name_off);
      } else if (info.type == kLinkTypePerfEvent) {
        PerfLinkInfo p{};
        std::memset(name, 0, sizeof(name));
        p.name = reinterpret_cast<std::uint64_t>(name);
        p.name_len = sizeof(name);
        std::uint32_t plen = sizeof(p);
        if (bpf_obj_get_info_by_fd(fd, &p, &plen) == 0) {
          std::string what(name, strnlen(name, sizeof(name)));
          switch (p.perf_type) {
            case kUprobe:
            case kUretprobe: a.points[info.prog_id] = uprobe_point(what, p.offset); break;
            case kKprobe:
            case kKretprobe: a.points[info.prog_id] = kprobe_point(what, p.offset, p.addr); break;
            case kTracepoint: a.points[info.prog_id] = tps.qualify(what); break;
            default: break;
          }
        }
      }
    }
    close(fd);
  }
  btf__free(vmlinux);
}

// The kernel's helper functions by address, from /proc/kallsyms: the calls in
// a program's translated instructions are offsets from __bpf_call_base.
class HelperNames {
 public:
  HelperNames() {
    std::ifstream in("/proc/kallsyms");
    std::string line;
    while (std::getline(in, line)) {
      // "ffffffff814bc2f0 T bpf_probe_read_user"
      if (line.size() < 20 || line.find("bpf_") == std::string::npos) continue;
      std::istringstream fields(line);
      std::string addr, type, sym;
      if (!(fields >> addr >> type >> sym)) continue;
      std::uint64_t a = std::strtoull(addr.c_str(), nullptr, 16);
      if (a == 0) continue;  // addresses hidden (kptr_restrict)
      if (sym == "__bpf_call_base") m_base = a;
      else if (sym.starts_with("bpf_")) m_by_addr[a] = sym.substr(4);
    }
  }
  bool usable() const { return m_base != 0; }
  std::string name(std::int32_t imm) const {
    auto it = m_by_addr.find(m_base + static_cast<std::int64_t>(imm));
    if (it == m_by_addr.end()) return "";
    // x86 names the old, user-or-kernel probe_read helpers *_compat.
    if (it->second == "probe_read_compat") return "probe_read";
    if (it->second == "probe_read_compat_str") return "probe_read_str";
    return it->second;
  }

 private:
  std::uint64_t m_base = 0;
  std::map<std::uint64_t, std::string> m_by_addr;
};

// The helpers a loaded program calls, from its translated instructions.
std::vector<std::string> helpers_of(int fd, const bpf_prog_info& info, const HelperNames& names) {
  std::vector<std::string> out;
  if (!names.usable() || info.xlated_prog_len == 0) return out;
  std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
  bpf_prog_info again{};
  again.xlated_prog_len = static_cast<std::uint32_t>(insns.size() * sizeof(bpf_insn));
  again.xlated_prog_insns = reinterpret_cast<std::uint64_t>(insns.data());
  std::uint32_t len = sizeof(again);
  if (bpf_obj_get_info_by_fd(fd, &again, &len) != 0) return out;
  insns.resize(std::min<std::size_t>(insns.size(), again.xlated_prog_len / sizeof(bpf_insn)));
  for (const auto& in : insns) {
    if (in.code != (BPF_JMP | BPF_CALL) || in.src_reg != 0) continue;  // helpers only, not subprograms or kfuncs
    auto n = names.name(in.imm);
    if (!n.empty() && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::vector<RawEvent>> bpf_inventory(const ProcFs& procfs, const std::set<std::uint32_t>& own) {
  std::vector<RawEvent> out;
  TracepointNames tps;
  Attachments att;
  scan_links(att, tps);
  scan_processes(procfs, att, tps);
  std::optional<HelperNames> helper_names;

  bool any = false;
  for (std::uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    any = true;
    if (own.count(id)) continue;
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    int err = bpf_obj_get_info_by_fd(fd, &info, &len);
    if (err != 0) {
      close(fd);
      continue;
    }
    if (!helper_names) helper_names.emplace();
    RawEvent ev;
    ev.kind = EventKind::BpfProgram;
    ev.source = EventSource::Inventory;
    ev.ts_boot_ns = BootClock::now_boot_ns();
    ev.process.uid = info.created_by_uid;
    auto who = att.owners.find(id);
    if (who != att.owners.end() && !who->second.empty()) {
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
    if (auto a = att.points.find(id); a != att.points.end()) b.attach_point = a->second;
    b.helpers = helpers_of(fd, info, *helper_names);
    close(fd);
    ev.payload = std::move(b);
    out.push_back(std::move(ev));
  }
  if (!any && errno == EPERM) return make_error("listing BPF programs needs CAP_SYS_ADMIN");
  return out;
}

}  // namespace sousveil
