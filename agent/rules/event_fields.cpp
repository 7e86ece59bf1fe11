// SPDX-License-Identifier: Apache-2.0
#include "rules/event_fields.h"

#include <cerrno>
#include <cstring>

namespace sousveil::rules {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

}  // namespace

FieldValue EnrichedEventFields::get(FieldId id) const {
  const auto& raw = m_event.raw;
  const auto& p = m_event.process;
  const DeviceAccess* d = raw.device_if();
  const bool opened = raw.is_device();
  const auto* io = std::get_if<IoctlInfo>(&raw.payload);
  const auto* rd = std::get_if<ReadInfo>(&raw.payload);
  const auto* bpf = std::get_if<BpfInfo>(&raw.payload);
  const auto* access = std::get_if<AccessInfo>(&raw.payload);
  const auto* sock = std::get_if<ConnectInfo>(&raw.payload);
  const auto* inj = std::get_if<InjectionInfo>(&raw.payload);
  const auto* posture = std::get_if<PostureInfo>(&raw.payload);
  const auto* x = std::get_if<X11Info>(&raw.payload);
  const auto* dbus = std::get_if<DbusInfo>(&raw.payload);
  const auto* pw = std::get_if<PipewireInfo>(&raw.payload);
  const auto& t = m_event.target;
  auto text = [](const std::string& s) { return FieldValue::of(std::string_view(s)); };
  using F = FieldId;
  switch (id) {
    case F::Kind: return FieldValue::of(to_string(raw.kind));
    case F::Source: return FieldValue::of(to_string(raw.source));
    case F::Result: return opened ? FieldValue::of(result_name(d->err)) : FieldValue::missing();
    case F::ReadBytes: return rd ? FieldValue::of(static_cast<std::int64_t>(rd->bytes)) : FieldValue::missing();
    case F::ReadRate: return rd ? FieldValue::of(static_cast<std::int64_t>(rd->rate)) : FieldValue::missing();
    case F::BpfProgType: return bpf ? text(bpf->prog_type) : FieldValue::missing();
    case F::BpfProgName: return bpf ? text(bpf->prog_name) : FieldValue::missing();
    case F::BpfAttachPoint: return bpf ? text(bpf->attach_point) : FieldValue::missing();
    case F::BpfHelpers: return bpf ? FieldValue::of(bpf->helpers) : FieldValue::missing();
    case F::IoctlCmd: return io ? FieldValue::of(static_cast<std::int64_t>(io->cmd)) : FieldValue::missing();
    case F::IoctlName: return io ? text(io->name) : FieldValue::missing();
    case F::IoctlArg: return io ? FieldValue::of(static_cast<std::int64_t>(io->arg)) : FieldValue::missing();
    case F::TargetPid: return access ? FieldValue::of(static_cast<std::int64_t>(access->target_pid)) : FieldValue::missing();
    case F::TargetName: return access ? text(t.comm) : FieldValue::missing();
    case F::TargetExe: return access ? text(t.exe) : FieldValue::missing();
    case F::TargetUser: return access ? text(t.user) : FieldValue::missing();
    case F::TargetUid: return access ? FieldValue::of(static_cast<std::int64_t>(t.uid)) : FieldValue::missing();
    case F::TargetAccess: return access ? text(access->access) : FieldValue::missing();
    case F::SocketPath: return sock ? text(sock->path) : FieldValue::missing();
    case F::SocketFamily: return sock ? text(sock->family) : FieldValue::missing();
    case F::SocketPort: return sock ? FieldValue::of(static_cast<std::int64_t>(sock->port)) : FieldValue::missing();
    case F::SocketService: return sock ? text(sock->service) : FieldValue::missing();
    case F::X11Display: return x ? text(x->display) : FieldValue::missing();
    case F::X11Request: return x ? text(x->request) : FieldValue::missing();
    case F::X11Detail: return x ? text(x->detail) : FieldValue::missing();
    case F::X11Rate: return x && x->rate ? FieldValue::of(static_cast<std::int64_t>(x->rate)) : FieldValue::missing();
    case F::X11Extension: return x ? text(x->extension) : FieldValue::missing();
    case F::X11Client: return x ? FieldValue::of(static_cast<std::int64_t>(x->client)) : FieldValue::missing();
    case F::X11Mask: return x ? FieldValue::of(x->mask) : FieldValue::missing();
    case F::X11Count: return x ? FieldValue::of(static_cast<std::int64_t>(x->count)) : FieldValue::missing();
    case F::X11Root: return x ? FieldValue::of(std::string_view(x->root ? "true" : "false")) : FieldValue::missing();
    case F::DbusBus: return dbus ? text(dbus->bus) : FieldValue::missing();
    case F::DbusInterface: return dbus ? text(dbus->interface) : FieldValue::missing();
    case F::DbusMember: return dbus ? text(dbus->member) : FieldValue::missing();
    case F::DbusPath: return dbus ? text(dbus->path) : FieldValue::missing();
    case F::DbusDestination: return dbus ? text(dbus->destination) : FieldValue::missing();
    case F::DbusDetail: return dbus ? text(dbus->detail) : FieldValue::missing();
    case F::PipewireMediaClass: return pw ? text(pw->media_class) : FieldValue::missing();
    case F::PipewireNode: return pw ? text(pw->source) : FieldValue::missing();
    case F::PipewireCapture: return pw ? text(pw->capture) : FieldValue::missing();
    case F::InjectionVariable: return inj ? text(inj->variable) : FieldValue::missing();
    case F::InjectionLibrary: return inj ? text(inj->library) : FieldValue::missing();
    case F::PostureCheck: return posture ? text(posture->check) : FieldValue::missing();
    case F::PostureEvidence:
      if (!posture) return FieldValue::missing();
      if (!m_evidence) m_evidence = posture->evidence();
      return FieldValue::of(std::string_view(*m_evidence));
    case F::PostureLevel: return posture ? FieldValue::of(to_string(posture->level)) : FieldValue::missing();
    case F::PostureSubject: return posture ? text(posture->subject) : FieldValue::missing();
    case F::PostureDetail: return posture ? text(posture->detail) : FieldValue::missing();
    case F::PostureState: return posture ? FieldValue::of(to_string(posture->state)) : FieldValue::missing();
    case F::DeviceClass: return d ? FieldValue::of(to_string(d->device_class)) : FieldValue::missing();
    case F::DeviceDetail: return d ? FieldValue::of(std::string_view(d->detail)) : FieldValue::missing();
    case F::DeviceMajor: return d ? FieldValue::of(static_cast<std::int64_t>(d->major)) : FieldValue::missing();
    case F::DeviceMinor: return d ? FieldValue::of(static_cast<std::int64_t>(d->minor)) : FieldValue::missing();
    case F::DevicePath: return d ? FieldValue::of(std::string_view(d->path)) : FieldValue::missing();
    case F::DeviceName: return d ? FieldValue::of(std::string_view(d->name)) : FieldValue::missing();
    case F::AccessMode: return opened ? FieldValue::of(access_mode(d->flags)) : FieldValue::missing();
    case F::AccessFlags:
      if (!opened) return FieldValue::missing();
      if (!m_flags) m_flags = open_flag_names(d->flags);
      return FieldValue::of(*m_flags);
    case F::AccessFd: return d ? FieldValue::of(static_cast<std::int64_t>(d->fd)) : FieldValue::missing();
    case F::ProcessName: return FieldValue::of(std::string_view(p.comm));
    case F::ProcessExe: return FieldValue::of(std::string_view(p.exe));
    case F::ProcessCmdline: return FieldValue::of(p.cmdline);
    case F::ProcessArgs:
      if (!m_args_built) {
        m_args = join(p.cmdline);
        m_args_built = true;
      }
      return FieldValue::of(std::string_view(m_args));
    case F::ProcessPid: return FieldValue::of(static_cast<std::int64_t>(p.pid));
    case F::ProcessPpid: return FieldValue::of(static_cast<std::int64_t>(p.ppid));
    case F::ProcessUid: return FieldValue::of(static_cast<std::int64_t>(p.uid));
    case F::ProcessEuid: return FieldValue::of(static_cast<std::int64_t>(p.euid));
    case F::ProcessUser: return FieldValue::of(std::string_view(p.user));
    case F::ProcessUnit: return FieldValue::of(std::string_view(p.unit));
    case F::ProcessPackage: return FieldValue::of(std::string_view(p.package));
    case F::ProcessExeInode:
      return p.exe_inode ? FieldValue::of(static_cast<std::int64_t>(p.exe_inode)) : FieldValue::missing();
    case F::ProcessProduct:
      return FieldValue::of(std::string_view(p.product));
    case F::ParentName:
      return p.ancestry.empty() ? FieldValue::missing() : FieldValue::of(std::string_view(p.ancestry[0].comm));
    case F::ParentExe:
      return p.ancestry.empty() ? FieldValue::missing() : FieldValue::of(std::string_view(p.ancestry[0].exe));
    case F::AncestorNames:
      if (!m_ancestor_names) {
        m_ancestor_names.emplace();
        for (const auto& a : p.ancestry) m_ancestor_names->push_back(a.comm);
      }
      return FieldValue::of(*m_ancestor_names);
    case F::AncestorExes:
      if (!m_ancestor_exes) {
        m_ancestor_exes.emplace();
        for (const auto& a : p.ancestry) m_ancestor_exes->push_back(a.exe);
      }
      return FieldValue::of(*m_ancestor_exes);
    default:
      // Fields of sensors this event did not come from.
      return FieldValue::missing();
  }
}

JsonEventFields::JsonEventFields(const nlohmann::json& event) : m_event(event) {}

FieldValue JsonEventFields::get(FieldId id) const {
  const auto& info = field_info(id);
  std::string_view path = info.json;
  auto idx = static_cast<std::size_t>(id);
  auto star = path.find("/*/");
  if (star != std::string_view::npos) {
    // A walk over an array: "/process/ancestry/*/exe".
    if (!m_lists[idx]) {
      m_lists[idx].emplace();
      auto array_ptr = nlohmann::json::json_pointer(std::string(path.substr(0, star)));
      auto leaf = std::string(path.substr(star + 3));
      if (m_event.contains(array_ptr) && m_event.at(array_ptr).is_array())
        for (const auto& item : m_event.at(array_ptr))
          if (item.is_object() && item.contains(leaf) && item[leaf].is_string())
            m_lists[idx]->push_back(item[leaf].get<std::string>());
    }
    return FieldValue::of(*m_lists[idx]);
  }
  auto ptr = nlohmann::json::json_pointer(std::string(path));
  if (!m_event.contains(ptr)) {
    if (id == FieldId::ProcessArgs) {
      // Derived from the cmdline when the JSON does not carry it.
      auto cmd = get(FieldId::ProcessCmdline);
      if (cmd.type == FieldValue::Type::List) {
        m_strings[idx] = cmd.to_text();
        return FieldValue::of(std::string_view(*m_strings[idx]));
      }
    }
    if (id == FieldId::PostureEvidence) {
      // "subject: detail", as live events compute it.
      auto subject = get(FieldId::PostureSubject), detail = get(FieldId::PostureDetail);
      if (subject.type == FieldValue::Type::String) {
        m_strings[idx] = std::string(subject.string);
        if (detail.type == FieldValue::Type::String && !detail.string.empty())
          *m_strings[idx] += ": " + std::string(detail.string);
        return FieldValue::of(std::string_view(*m_strings[idx]));
      }
    }
    return FieldValue::missing();
  }
  const auto& v = m_event.at(ptr);
  switch (info.type) {
    case FieldType::Number:
      if (v.is_number_integer()) return FieldValue::of(v.get<std::int64_t>());
      if (v.is_number_unsigned()) return FieldValue::of(static_cast<std::int64_t>(v.get<std::uint64_t>()));
      return FieldValue::missing();
    case FieldType::String:
      if (v.is_string()) return FieldValue::of(std::string_view(v.get_ref<const std::string&>()));
      if (v.is_number() || v.is_boolean()) {
        m_strings[idx] = v.dump();
        return FieldValue::of(std::string_view(*m_strings[idx]));
      }
      return FieldValue::missing();
    case FieldType::List:
      if (!m_lists[idx]) {
        m_lists[idx].emplace();
        if (v.is_array())
          for (const auto& item : v)
            if (item.is_string()) m_lists[idx]->push_back(item.get<std::string>());
      }
      return FieldValue::of(*m_lists[idx]);
  }
  return FieldValue::missing();
}

}  // namespace sousveil::rules
