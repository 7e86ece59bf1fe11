// SPDX-License-Identifier: Apache-2.0
#include "sensors/dbus/dbus_watch.h"

#include <algorithm>
#include <fmt/format.h>

namespace sousveil::dbus {
namespace {

constexpr std::string_view kInterfaces[] = {
    // What an app asks (xdg-desktop-portal, /org/freedesktop/portal/desktop).
    "org.freedesktop.portal.ScreenCast",
    "org.freedesktop.portal.Screenshot",
    "org.freedesktop.portal.RemoteDesktop",
    "org.freedesktop.portal.InputCapture",
    "org.freedesktop.portal.Camera",
    "org.freedesktop.portal.Clipboard",
    // What the portal asks its back end; anyone else calling these skips the prompt.
    "org.freedesktop.impl.portal.ScreenCast",
    "org.freedesktop.impl.portal.Screenshot",
    "org.freedesktop.impl.portal.RemoteDesktop",
    "org.freedesktop.impl.portal.InputCapture",
    "org.freedesktop.impl.portal.Clipboard",
    // GNOME's own interfaces: no prompt at all.
    "org.gnome.Mutter.ScreenCast",
    "org.gnome.Mutter.ScreenCast.Session",
    "org.gnome.Mutter.RemoteDesktop",
    "org.gnome.Mutter.RemoteDesktop.Session",
    "org.gnome.Shell.Screenshot",
};

// Granting a permission that the portals then trust (screenshot, camera...);
// the store's reads are the portals' own, frequent and harmless.
constexpr std::string_view kPermissionStore = "org.freedesktop.impl.portal.PermissionStore";
constexpr std::string_view kPermissionWrites[] = {"SetPermission", "Set", "SetValue"};

constexpr std::string_view kDriver = "org.freedesktop.DBus";

}  // namespace

std::span<const std::string_view> watched_interfaces() { return kInterfaces; }

bool is_watched_interface(std::string_view interface) {
  return std::find(std::begin(kInterfaces), std::end(kInterfaces), interface) != std::end(kInterfaces);
}

std::vector<std::string> monitor_match_rules() {
  std::vector<std::string> rules;
  for (auto i : kInterfaces) rules.push_back(fmt::format("type='method_call',interface='{}'", i));
  for (auto m : kPermissionWrites)
    rules.push_back(fmt::format("type='method_call',interface='{}',member='{}'", kPermissionStore, m));
  rules.push_back(
      "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'");
  return rules;
}

BodyDetail body_detail_wanted(std::string_view interface, std::string_view member) {
  if (interface == "org.freedesktop.portal.Screenshot" && member == "Screenshot") return BodyDetail::ScreenshotOptions;
  if (interface == kPermissionStore) return BodyDetail::PermissionTable;
  if (interface == kDriver && member == "NameOwnerChanged") return BodyDetail::NameOwnerChanged;
  return BodyDetail::None;
}

std::optional<DbusInfo> translate(const BusMessage& m, const BusId& bus) {
  if (m.type != BusMessage::Type::MethodCall) return std::nullopt;
  bool permission_write = m.interface == kPermissionStore &&
                          std::find(std::begin(kPermissionWrites), std::end(kPermissionWrites), m.member) !=
                              std::end(kPermissionWrites);
  if (!permission_write && !is_watched_interface(m.interface)) return std::nullopt;
  DbusInfo info;
  info.bus = bus.system ? "system" : "session";
  info.bus_uid = bus.system ? 0 : bus.uid;
  info.type = "method_call";
  info.sender = m.sender;
  info.destination = m.destination;
  info.path = m.path;
  info.interface = m.interface;
  info.member = m.member;
  if (m.interactive) info.detail = *m.interactive ? "interactive=true" : "interactive=false";
  else if (permission_write && !m.table.empty()) info.detail = "table=" + m.table;
  return info;
}

std::optional<OwnerChange> owner_change(const BusMessage& m) {
  if (m.type != BusMessage::Type::Signal || m.interface != kDriver || m.member != "NameOwnerChanged" ||
      m.sender != kDriver)
    return std::nullopt;
  // Only unique names (":1.42") are connections; well-known names move between them.
  if (!m.name.starts_with(':')) return std::nullopt;
  if (!m.new_owner.empty() && m.old_owner.empty()) return OwnerChange{m.name, true};
  if (m.new_owner.empty() && !m.old_owner.empty()) return OwnerChange{m.name, false};
  return std::nullopt;
}

const Credentials* CredentialsCache::find(std::string_view unique_name) const {
  auto it = m_entries.find(std::string(unique_name));
  if (it == m_entries.end()) return nullptr;
  ++m_stats.hits;
  return &it->second;
}

bool CredentialsCache::wait(const std::string& unique_name, RawEvent&& event) {
  auto [it, fresh] = m_pending.try_emplace(unique_name);
  it->second.events.push_back(std::move(event));
  if (fresh) ++m_stats.lookups;
  return fresh;
}

bool CredentialsCache::prefetch(const std::string& unique_name) {
  if (m_entries.count(unique_name)) return false;
  auto [it, fresh] = m_pending.try_emplace(unique_name);
  if (fresh) ++m_stats.lookups;
  return fresh;
}

std::vector<RawEvent> CredentialsCache::resolved(const std::string& unique_name, std::optional<Credentials> creds) {
  std::vector<RawEvent> events;
  auto it = m_pending.find(unique_name);
  bool gone = false;
  if (it != m_pending.end()) {
    events = std::move(it->second.events);
    gone = it->second.gone;
    m_pending.erase(it);
  }
  if (!creds) {
    ++m_stats.failures;
    return events;
  }
  for (auto& ev : events) apply(*creds, ev.process);
  if (!gone) insert(unique_name, std::move(*creds));
  return events;
}

void CredentialsCache::insert(const std::string& unique_name, Credentials creds) {
  if (m_entries.insert_or_assign(unique_name, std::move(creds)).second) m_order.push_back(unique_name);
  // Left connections are normally dropped by name; the bound covers missed signals.
  while (m_entries.size() > m_max_size && !m_order.empty()) {
    if (m_entries.erase(m_order.front())) ++m_stats.evicted;
    m_order.pop_front();
  }
  if (m_order.size() > 2 * m_max_size) {
    // Names already dropped still sit in the order queue: compact it.
    std::deque<std::string> live;
    for (auto& n : m_order)
      if (m_entries.count(n)) live.push_back(std::move(n));
    m_order = std::move(live);
  }
}

void CredentialsCache::drop(const std::string& unique_name) {
  m_entries.erase(unique_name);
  if (auto it = m_pending.find(unique_name); it != m_pending.end()) it->second.gone = true;
}

void CredentialsCache::clear() {
  m_entries.clear();
  m_order.clear();
  m_pending.clear();
}

void apply(const Credentials& creds, ProcessRef& process) {
  process.pid = creds.pid;
  process.tid = creds.pid;
  process.uid = creds.uid;
  process.euid = creds.uid;
  process.start_boot_ns = creds.start_boot_ns;
  process.comm = creds.comm;
}

}  // namespace sousveil::dbus
