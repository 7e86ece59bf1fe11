// SPDX-License-Identifier: Apache-2.0
#include "output/event_json.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/utf8.h"

namespace sousveil {
namespace {

// Everything a watched program controls goes through valid_utf8.
nlohmann::json text_list(const std::vector<std::string>& items) {
  auto out = nlohmann::json::array();
  for (const auto& s : items) out.push_back(valid_utf8(s));
  return out;
}

nlohmann::json device_json(const DeviceAccess& d) {
  return {{"class", to_string(d.device_class)}, {"detail", d.detail},           {"major", d.major},
          {"minor", d.minor},                   {"path", valid_utf8(d.path)}, {"name", valid_utf8(d.name)}};
}

nlohmann::json process_json(const ProcessInfo& p) {
  nlohmann::json j = {
      {"pid", p.pid},
      {"tid", p.tid},
      {"ppid", p.ppid},
      {"start_ticks", p.start_ticks},
      {"comm", valid_utf8(p.comm)},
      {"exe", valid_utf8(p.exe)},
      {"cmdline", text_list(p.cmdline)},
      {"uid", p.uid},
      {"euid", p.euid},
      {"user", valid_utf8(p.user)},
      {"unit", valid_utf8(p.unit)},
      {"exited", p.exited},
      {"product", p.product},
      {"package", p.package},
  };
  if (p.exe_inode) j["exe_inode"] = p.exe_inode;
  auto& anc = j["ancestry"] = nlohmann::json::array();
  for (const auto& a : p.ancestry)
    anc.push_back({{"pid", a.pid}, {"comm", valid_utf8(a.comm)}, {"exe", valid_utf8(a.exe)}});
  return j;
}

std::string result_text(std::int32_t err) { return std::string(result_name(err)); }

}  // namespace

nlohmann::json to_json(const EnrichedEvent& ev, const BootClock& clock) {
  const auto& raw = ev.raw;
  nlohmann::json j = {
      {"kind", to_string(raw.kind)},
      {"time", BootClock::format_unix_ns(clock.to_unix_ns(raw.ts_boot_ns))},
      {"source", to_string(raw.source)},
      {"process", process_json(ev.process)},
  };
  if (raw.source == EventSource::ProcScan || raw.source == EventSource::Inotify) j["fidelity"] = "low";
  if (raw.repeats > 0) j["repeats"] = raw.repeats;
  if (raw.origin != Origin::Syscall) j["origin"] = to_string(raw.origin);
  if (const auto* io = std::get_if<IoctlInfo>(&raw.payload)) {
    j["device"] = device_json(io->device);
    j["access"] = {{"fd", io->device.fd}};
    j["ioctl"] = {{"cmd", io->cmd}, {"name", io->name}, {"arg", io->arg}};
  } else if (const auto* b = std::get_if<BpfInfo>(&raw.payload)) {
    j["bpf"] = {{"op", b->op},
                {"prog_type", b->prog_type},
                {"prog_name", valid_utf8(b->prog_name)},
                {"attach_point", valid_utf8(b->attach_point)},
                {"helpers", b->helpers}};
  } else if (const auto* rd = std::get_if<ReadInfo>(&raw.payload)) {
    j["device"] = device_json(rd->device);
    j["access"] = {{"fd", rd->device.fd}};
    j["read"] = {{"bytes", rd->bytes}, {"reads", rd->reads}, {"rate", rd->rate}, {"period_s", rd->period_s}};
  } else if (const auto* a = std::get_if<AccessInfo>(&raw.payload)) {
    const auto& t = ev.target;
    j["target"] = {{"pid", a->target_pid}, {"comm", valid_utf8(t.comm)}, {"exe", valid_utf8(t.exe)},
                   {"user", valid_utf8(t.user)}, {"uid", t.uid}, {"access", a->access},
                   {"request", a->request}, {"exited", t.exited}};
  } else if (const auto* c = std::get_if<ConnectInfo>(&raw.payload)) {
    j["socket"] = {{"family", c->family}, {"path", valid_utf8(c->path)}, {"port", c->port},
                   {"service", c->service}, {"display", c->display}};
  } else if (const auto* inj = std::get_if<InjectionInfo>(&raw.payload)) {
    j["injection"] = {{"variable", inj->variable}, {"library", valid_utf8(inj->library)}, {"action", inj->action}};
  } else if (const auto* pos = std::get_if<PostureInfo>(&raw.payload)) {
    j["posture"] = {{"check", pos->check},
                    {"subject", valid_utf8(pos->subject)},
                    {"detail", valid_utf8(pos->detail)},
                    {"evidence", valid_utf8(pos->evidence())},
                    {"level", to_string(pos->level)},
                    {"state", to_string(pos->state)}};
  } else if (const auto* xr = std::get_if<X11Info>(&raw.payload)) {
    j["x11"] = {{"display", xr->display}, {"client", xr->client},  {"request", xr->request},
                {"extension", xr->extension}, {"major", xr->major}, {"minor", xr->minor},
                {"detail", xr->detail}, {"root", xr->root},       {"mask", xr->mask},
                {"count", xr->count}};
    if (!xr->named_by.empty()) j["x11"]["named_by"] = xr->named_by;
    // A rate only where repeats were folded: a first sighting has none.
    if (xr->rate) {
      j["x11"]["rate"] = xr->rate;
      j["x11"]["period_s"] = xr->period_s;
    }
  } else if (const auto* db = std::get_if<DbusInfo>(&raw.payload)) {
    j["dbus"] = {{"bus", db->bus},
                 {"bus_uid", db->bus_uid},
                 {"type", db->type},
                 {"sender", valid_utf8(db->sender)},
                 {"destination", valid_utf8(db->destination)},
                 {"path", valid_utf8(db->path)},
                 {"interface", valid_utf8(db->interface)},
                 {"member", valid_utf8(db->member)},
                 {"detail", valid_utf8(db->detail)}};
  } else if (const auto* pw = std::get_if<PipewireInfo>(&raw.payload)) {
    j["pipewire"] = {{"socket", valid_utf8(pw->socket)},
                     {"node_id", pw->node_id},
                     {"stream", valid_utf8(pw->node_name)},
                     {"media_class", valid_utf8(pw->media_class)},
                     {"node", valid_utf8(pw->source)},
                     {"source_class", valid_utf8(pw->source_class)},
                     {"capture", pw->capture},
                     {"app", valid_utf8(pw->app)},
                     {"state", pw->state}};
  } else if (raw.is_device()) {
    const auto& d = raw.device();
    j["device"] = device_json(d);
    j["access"] = {{"mode", access_mode(d.flags)}, {"flags", open_flag_names(d.flags)}, {"fd", d.fd}};
    j["result"] = result_text(d.err);
    if (d.err != 0) j["error"] = std::strerror(d.err);
  } else if (raw.kind == EventKind::ProcessExec) {
    const auto& x = std::get<ExecInfo>(raw.payload);
    j["exec"] = {{"filename", valid_utf8(x.filename)}, {"args", text_list(x.args)}};
  } else if (raw.kind == EventKind::ProcessFork) {
    j["fork"] = {{"parent_pid", std::get<ForkInfo>(raw.payload).parent_pid}};
  } else if (raw.kind == EventKind::ProcessExit) {
    j["exit"] = {{"code", std::get<ExitInfo>(raw.payload).exit_code}};
  }
  return j;
}

std::string to_pretty_line(const EnrichedEvent& ev, const BootClock& clock) {
  const auto& raw = ev.raw;
  std::string when = BootClock::format_unix_ns(clock.to_unix_ns(raw.ts_boot_ns)).substr(11, 12);
  std::string who = fmt::format("{}[{}] {} ({})", valid_utf8(ev.process.comm), ev.process.pid,
                                ev.process.exe.empty() ? "?" : ev.process.exe,
                                ev.process.user.empty() ? std::to_string(ev.process.uid) : ev.process.user);
  if (raw.is_device()) {
    const auto& d = raw.device();
    std::string what = d.err == 0 ? (raw.kind == EventKind::DeviceHeld ? "holds" : "opened")
                                  : "tried " + result_text(d.err);
    std::string cls(to_string(d.device_class));
    if (!d.detail.empty() && d.detail != cls) cls += "/" + d.detail;
    std::string target = d.path.empty() ? d.name : d.path;
    std::string_view mode = raw.source == EventSource::ProcScan  ? " [proc-scan]"
                            : raw.source == EventSource::Inotify ? " [inotify]"
                                                                 : "";
    return fmt::format("{} {:<12} {:<14} {:<24} {}{}", when, cls, what, target, who, mode);
  }
  if (const auto* io = std::get_if<IoctlInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, to_string(io->device.device_class), io->name,
                       io->device.path, who);
  if (const auto* b = std::get_if<BpfInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "bpf", b->op + " " + b->prog_type,
                       b->attach_point.empty() ? b->prog_name : b->attach_point, who);
  if (const auto* rd = std::get_if<ReadInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, to_string(rd->device.device_class),
                       fmt::format("reads {} B/s", rd->rate), rd->device.path, who);
  if (const auto* a = std::get_if<AccessInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "memory", a->access,
                       fmt::format("{}[{}]", ev.target.comm.empty() ? "?" : ev.target.comm, a->target_pid), who);
  if (const auto* c = std::get_if<ConnectInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, c->service, "connect",
                       c->path.empty() ? "port " + std::to_string(c->port) : c->path, who);
  if (const auto* inj = std::get_if<InjectionInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "injection", inj->variable, inj->library, who);
  if (const auto* pos = std::get_if<PostureInfo>(&raw.payload)) {
    std::string level = pos->state == PostureState::Resolved ? "resolved" : std::string(to_string(pos->level));
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "posture", pos->check, level,
                       valid_utf8(pos->evidence()) + (ev.process.pid ? " -- " + who : ""));
  }
  if (const auto* xr = std::get_if<X11Info>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "x11 " + xr->display, xr->request,
                       xr->rate ? fmt::format("{} {}/s", xr->detail, xr->rate) : xr->detail, who);
  if (const auto* db = std::get_if<DbusInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "dbus", db->member,
                       valid_utf8(db->interface), who);
  if (const auto* pw = std::get_if<PipewireInfo>(&raw.payload))
    return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "pipewire", pw->capture + " " + pw->state,
                       valid_utf8(pw->source.empty() ? pw->media_class : pw->source), who);
  std::string detail;
  if (raw.kind == EventKind::ProcessExec) detail = std::get<ExecInfo>(raw.payload).filename;
  if (raw.kind == EventKind::ProcessExit)
    detail = fmt::format("code {}", std::get<ExitInfo>(raw.payload).exit_code);
  return fmt::format("{} {:<12} {:<14} {:<24} {}", when, "process", to_string(raw.kind), detail, who);
}

}  // namespace sousveil
