// SPDX-License-Identifier: Apache-2.0
#include "sensors/posture/posture_scanner.h"

#include <unistd.h>

#include "enrich/procfs.h"

namespace sousveil::posture {

namespace fs = std::filesystem;

Scanner::Scanner(ScannerOptions options, std::shared_ptr<const catalog::Catalog> catalog)
    : m_options(std::move(options)), m_catalog(std::move(catalog)) {}

ScanResult Scanner::scan() const {
  ScanResult out;
  for (auto check : {Check::LdSoPreload, Check::LdPreloadProcess, Check::PamTtyAudit, Check::SudoIoLog,
                     Check::TlogShell, Check::AuditdTty, Check::EnterpriseCa, Check::NssDb, Check::BrowserPolicy,
                     Check::Products, Check::RemoteViewService})
    run_check(check, m_options, m_catalog.get(), out);
  return out;
}

std::vector<fs::path> Scanner::watch_paths() const {
  // The directories the checks read; a file is watched through its directory
  // so that one created, replaced by rename or removed is seen too.
  static const char* const kDirs[] = {
      "/etc",  // ld.so.preload, passwd, shells, sudoers, ca-certificates.conf
      "/etc/pam.d",
      "/etc/sudoers.d",
      "/etc/tlog",
      "/etc/sssd",
      "/etc/audit",
      "/etc/audit/rules.d",
      "/usr/local/share/ca-certificates",
      "/etc/ssl/certs",
      "/etc/pki/nssdb",
      "/etc/opt/chrome/policies/managed",
      "/etc/chromium/policies/managed",
      "/etc/firefox/policies",
      "/var/lib/dpkg",  // status, replaced by rename
      "/etc/systemd/system",
      "/usr/lib/systemd/system",
      "/etc/xdg/autostart",
  };
  std::vector<fs::path> out;
  std::error_code ec;
  for (const char* d : kDirs) {
    auto p = m_options.root / fs::path(d).relative_path();
    if (fs::is_directory(p, ec)) out.push_back(p);
  }
  for (const char* lib : {"usr/lib", "usr/lib64"}) {
    fs::directory_iterator it(m_options.root / lib, ec);
    if (ec) continue;
    for (const auto& e : it) {
      auto name = e.path().filename().string();
      if (name.starts_with("firefox") && fs::is_directory(e.path() / "distribution", ec))
        out.push_back(e.path() / "distribution");
    }
  }
  // Users' autostart entries.
  fs::directory_iterator homes(m_options.root / "home", ec);
  if (!ec)
    for (const auto& e : homes)
      if (fs::is_directory(e.path() / ".config/autostart", ec)) out.push_back(e.path() / ".config/autostart");
  if (fs::is_directory(m_options.root / "root/.config/autostart", ec))
    out.push_back(m_options.root / "root/.config/autostart");
  return out;
}

std::vector<Diff::Change> Diff::update(const std::vector<Finding>& findings) {
  std::vector<Change> out;
  std::map<std::pair<std::string, std::string>, Finding> now;
  for (const auto& f : findings) {
    auto key = std::make_pair(f.check, f.subject);
    if (now.count(key)) {
      // Two findings of one check about one subject: keep both details.
      auto& kept = now[key];
      if (kept.detail.find(f.detail) == std::string::npos) kept.detail += "; " + f.detail;
      if (f.level > kept.level) kept.level = f.level;
      continue;
    }
    now.emplace(std::move(key), f);
  }
  for (const auto& [key, f] : now) {
    auto it = m_known.find(key);
    if (it == m_known.end()) out.push_back({f, PostureState::New});
    else if (it->second.detail != f.detail || it->second.level != f.level || it->second.pid != f.pid)
      out.push_back({f, PostureState::Changed});
  }
  for (const auto& [key, f] : m_known)
    if (!now.count(key)) out.push_back({f, PostureState::Resolved});
  m_known = std::move(now);
  return out;
}

RawEvent to_event(const Diff::Change& change, std::uint64_t now_boot_ns) {
  const auto& f = change.finding;
  RawEvent ev;
  ev.kind = EventKind::Posture;
  ev.source = EventSource::Posture;
  ev.ts_boot_ns = now_boot_ns;
  if (f.pid) {
    ev.process.pid = f.pid;
    ev.process.tid = f.pid;
    ev.process.uid = f.uid;
    ev.process.euid = f.uid;
    ev.process.comm = f.comm;
    ev.process.start_boot_ns = ticks_to_boot_ns(f.start_ticks);
  }
  PostureInfo info;
  info.check = f.check;
  info.subject = f.subject;
  info.detail = f.detail;
  info.level = f.level;
  info.state = change.state;
  ev.payload = std::move(info);
  return ev;
}

}  // namespace sousveil::posture
