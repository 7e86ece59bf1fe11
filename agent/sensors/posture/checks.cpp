// SPDX-License-Identifier: Apache-2.0
// The posture checks. Each reads a few files under the scanner's root and adds
// findings; a file it cannot read or parse is named in errors and the scan
// goes on. Facts: shared/reference/bossware-and-transparency.md section 2,
// capture-mechanisms.md ("LD_PRELOAD, PAM and audit").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "enrich/procfs.h"
#include "sensors/posture/posture_scanner.h"

namespace sousveil::posture {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxListed = 8;  // items named in one detail before "and N more"

struct Ctx {
  const ScannerOptions& opts;
  const catalog::Catalog* catalog;
  ScanResult& out;

  // A path on the scanned system ("/etc/passwd") under the root.
  fs::path under(std::string_view abs) const { return opts.root / fs::path(abs).relative_path(); }

  void error(std::string path, std::string message) const { out.errors.push_back({std::move(path), std::move(message)}); }

  // The text of a file, nullopt when it does not exist (silently) or cannot be
  // read (named in errors). A file over the limit is read up to it.
  std::optional<std::string> read(const std::string& abs) const {
    std::ifstream in(under(abs), std::ios::binary);
    if (!in) {
      int err = errno;
      std::error_code ec;
      if (!fs::exists(under(abs), ec)) return std::nullopt;
      error(abs, std::string("cannot read: ") + std::strerror(err ? err : EACCES));
      return std::nullopt;
    }
    std::string text(opts.max_file_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > opts.max_file_bytes) {
      text.resize(opts.max_file_bytes);
      error(abs, "larger than " + std::to_string(opts.max_file_bytes) + " bytes; only the start was read");
    }
    ++out.files_read;
    return text;
  }

  // Names in a directory of the scanned system, sorted; empty when it does not exist.
  std::vector<std::string> list(const std::string& abs_dir, bool regular_only = true) const {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(under(abs_dir), ec);
    if (ec) {
      if (ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
        error(abs_dir, "cannot list: " + ec.message());
      return names;
    }
    for (const auto& e : it) {
      std::error_code e2;
      if (regular_only && !e.is_regular_file(e2)) continue;
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  bool exists(const std::string& abs) const {
    std::error_code ec;
    return fs::exists(under(abs), ec);
  }
};

std::string join_dir(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\v\f");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\v\f");
  return s.substr(b, e - b + 1);
}

// Whitespace runs to one space, and a line bounded for people to read.
std::string tidy(std::string_view s, std::size_t max = 200) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  return out;
}

std::vector<std::string> split_ws(std::string_view s, std::string_view seps = " \t\v\f") {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = s.find_first_not_of(seps, i);
    if (b == std::string_view::npos) break;
    auto e = s.find_first_of(seps, b);
    out.emplace_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    i = e == std::string_view::npos ? s.size() : e;
  }
  return out;
}

std::string listed(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i) {
    if (i) out += sep;
    out += items[i];
  }
  if (items.size() > kMaxListed) out += " and " + std::to_string(items.size() - kMaxListed) + " more";
  return out;
}

std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

struct PasswdEntry {
  std::string name;
  std::uint32_t uid = 0;
  std::string home;
  std::string shell;
};

std::vector<PasswdEntry> read_passwd(const Ctx& c) {
  std::vector<PasswdEntry> users;
  auto text = c.read("/etc/passwd");
  if (!text) return users;
  for (auto line : split_lines(*text)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::size_t start = 0;
    while (true) {
      auto colon = line.find(':', start);
      f.emplace_back(line.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (f.size() < 7) continue;
    PasswdEntry u;
    u.name = f[0];
    u.uid = static_cast<std::uint32_t>(std::strtoul(f[2].c_str(), nullptr, 10));
    u.home = f[5];
    u.shell = f[6];
    users.push_back(std::move(u));
  }
  return users;
}

// Home directories worth looking in: real users' and root's, each once.
std::vector<std::string> homes(const Ctx& c) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& u : read_passwd(c)) {
    if (u.home.empty() || u.home == "/" || u.home == "/nonexistent") continue;
    if (u.uid != 0 && u.uid < 1000) continue;
    if (!u.home.starts_with('/') || !c.exists(u.home)) continue;
    if (seen.insert(u.home).second) out.push_back(u.home);
  }
  return out;
}

using Proc = ProcessEntry;

// Processes under the root's /proc, with their identity; read once per scan.
const std::vector<Proc>& processes(const Ctx& c) {
  if (c.out.processes) return *c.out.processes;
  auto& out = c.out.processes.emplace();
  ProcFs procfs(c.under("/proc"));
  for (auto pid : procfs.pids()) {
    if (pid == c.opts.self_pid) continue;
    auto st = procfs.stat(pid);
    if (!st) continue;
    Proc p{pid, std::move(st->comm), st->start_ticks, 0};
    if (auto ids = procfs.uids(pid)) p.uid = ids->first;
    out.push_back(std::move(p));
  }
  c.out.processes_read = out.size();
  return out;
}

Finding about_process(const Proc& p, std::string check, std::string detail, PostureLevel level) {
  Finding f;
  f.check = std::move(check);
  f.subject = "pid " + std::to_string(p.pid) + " (" + p.comm + ")";
  f.detail = std::move(detail);
  f.level = level;
  f.pid = p.pid;
  f.start_ticks = p.start_ticks;
  f.comm = p.comm;
  f.uid = p.uid;
  return f;
}

void add(const Ctx& c, std::string check, std::string subject, std::string detail, PostureLevel level) {
  Finding f;
  f.check = std::move(check);
  f.subject = std::move(subject);
  f.detail = std::move(detail);
  f.level = level;
  c.out.findings.push_back(std::move(f));
}

// --- checks ---------------------------------------------------------------

void ld_so_preload(const Ctx& c) {
  const std::string path = "/etc/ld.so.preload";
  auto text = c.read(path);
  if (!text) return;
  // glibc splits the file on whitespace and ':'; every entry is loaded into
  // every program started from now on.
  std::vector<std::string> libs;
  for (auto line : split_lines(*text)) {
    auto t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    for (auto& lib : split_ws(t, " \t\v\f:")) libs.push_back(tidy(lib, 256));
  }
  if (libs.empty()) return;
  add(c, "ld-so-preload", path, "preloads " + listed(libs, " ") + " into every program", PostureLevel::Running);
}

void ld_preload_process(const Ctx& c) {
  std::uint64_t unreadable = 0;
  std::string first;
  for (const auto& p : processes(c)) {
    auto path = c.under("/proc/" + std::to_string(p.pid) + "/environ");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      // Kernel threads answer ESRCH, and a process may exit meanwhile: nothing to see.
      if (errno == ESRCH || errno == ENOENT) continue;
      if (unreadable++ == 0)
        first = "pid " + std::to_string(p.pid) + " (" + p.comm + "): " + std::strerror(errno);
      continue;
    }
    std::string env;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0 && env.size() < c.opts.max_file_bytes;)
      env.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    std::vector<std::string> found;
    for (const auto& var : split_nul(env)) {
      for (std::string_view name : {"LD_PRELOAD=", "LD_AUDIT="}) {
        if (!var.starts_with(name) || var.size() == name.size()) continue;
        found.push_back(tidy(var, 256));
      }
    }
    if (found.empty()) continue;
    c.out.findings.push_back(about_process(p, "ld-preload-process", listed(found, " "), PostureLevel::Running));
  }
  if (unreadable > 0)
    c.error("/proc/*/environ", std::to_string(unreadable) + " processes' environment could not be read, so " +
                                   "LD_PRELOAD in them is not seen (first: " + first + ")");
}

void pam_tty_audit(const Ctx& c) {
  const std::string dir = "/etc/pam.d";
  for (const auto& name : c.list(dir)) {
    auto path = join_dir(dir, name);
    auto text = c.read(path);
    if (!text) continue;
    std::vector<std::string> hits;
    for (auto line : split_lines(*text)) {
      auto hash = line.find('#');
      auto t = trim(hash == std::string_view::npos ? line : line.substr(0, hash));
      if (t.find("pam_tty_audit.so") == std::string_view::npos) continue;
      // Only "enable=" switches recording on; "disable=" alone turns it off.
      if (t.find("enable=") == std::string_view::npos) continue;
      bool only_disable = true;
      for (const auto& tok : split_ws(t))
        if (tok.starts_with("enable=")) only_disable = false;
      if (only_disable) continue;
      hits.push_back(tidy(t));
    }
    if (!hits.empty()) add(c, "pam-tty-audit", path, listed(hits, "; "), PostureLevel::Installed);
  }
}

// One sudoers file: Defaults that switch I/O logging on, and LOG_INPUT/LOG_OUTPUT tags.
std::vector<std::string> sudo_io_lines(std::string_view text) {
  std::vector<std::string> hits;
  std::string logical;
  auto finish = [&](std::string line) {
    // "#include" and "#includedir" are directives; any other '#' starts a comment.
    std::string_view t = trim(line);
    if (t.starts_with("#")) return;
    auto hash = t.find('#');
    if (hash != std::string_view::npos) t = trim(t.substr(0, hash));
    if (t.empty()) return;
    bool found = false;
    if (t.starts_with("Defaults")) {
      auto space = t.find_first_of(" \t");
      if (space != std::string_view::npos)
        for (const auto& tok : split_ws(t.substr(space), " \t,"))
          if (tok == "log_input" || tok == "log_output") found = true;
    }
    for (std::string_view tag : {"LOG_INPUT:", "LOG_OUTPUT:"}) {
      for (auto pos = t.find(tag); pos != std::string_view::npos; pos = t.find(tag, pos + 1))
        if (pos < 2 || t.substr(pos - 2, 2) != "NO") found = true;
    }
    if (found) hits.push_back(tidy(t));
  };
  for (auto line : split_lines(text)) {
    if (!line.empty() && line.back() == '\\') {
      logical.append(line.substr(0, line.size() - 1));
      logical += ' ';
      continue;
    }
    logical.append(line);
    finish(std::move(logical));
    logical.clear();
  }
  if (!logical.empty()) finish(std::move(logical));
  return hits;
}

void sudo_io_log(const Ctx& c) {
  std::vector<std::string> files;
  if (c.exists("/etc/sudoers")) files.push_back("/etc/sudoers");
  // sudo skips names with a '.' or ending in '~' in sudoers.d.
  for (const auto& name : c.list("/etc/sudoers.d"))
    if (name.find('.') == std::string::npos && !name.ends_with('~')) files.push_back("/etc/sudoers.d/" + name);
  for (const auto& path : files) {
    auto text = c.read(path);
    if (!text) continue;
    auto hits = sudo_io_lines(*text);
    if (!hits.empty()) add(c, "sudo-io-log", path, listed(hits, "; "), PostureLevel::Installed);
  }
}

void tlog_shell(const Ctx& c) {
  // Where tlog writes (journal, syslog, file), from its JSON config.
  std::string writer;
  const std::string conf = "/etc/tlog/tlog-rec-session.conf";
  if (auto text = c.read(conf)) {
    auto j = nlohmann::json::parse(*text, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded()) c.error(conf, "not valid JSON; the writer is unknown");
    else if (j.is_object() && j.contains("writer") && j["writer"].is_string()) writer = j["writer"].get<std::string>();
  }
  std::set<std::uint32_t> recording_uids;
  bool recorder_running = false;
  for (const auto& p : processes(c)) {
    if (p.comm.starts_with("tlog-rec-sessio")) {
      recorder_running = true;
      recording_uids.insert(p.uid);
    }
  }
  for (const auto& u : read_passwd(c)) {
    if (basename_of(u.shell) != "tlog-rec-session") continue;
    std::string detail = u.name + " uses " + u.shell + " as login shell";
    if (!writer.empty()) detail += " (records to " + writer + ")";
    bool now = recording_uids.count(u.uid) > 0;
    if (now) detail += "; a session is being recorded now";
    add(c, "tlog-shell", "passwd: " + u.name, detail, now ? PostureLevel::Capturing : PostureLevel::Installed);
  }
  // SSSD can make tlog the shell of some or all users without touching passwd.
  const std::string sssd = "/etc/sssd/sssd.conf";
  if (auto text = c.read(sssd)) {
    bool in_section = false;
    std::string scope, users, groups;
    for (auto line : split_lines(*text)) {
      auto t = trim(line);
      if (t.empty() || t[0] == '#' || t[0] == ';') continue;
      if (t[0] == '[') {
        in_section = t == "[session_recording]";
        continue;
      }
      if (!in_section) continue;
      auto eq = t.find('=');
      if (eq == std::string_view::npos) continue;
      auto key = trim(t.substr(0, eq));
      auto value = std::string(trim(t.substr(eq + 1)));
      if (key == "scope") scope = value;
      if (key == "users") users = value;
      if (key == "groups") groups = value;
    }
    if (scope == "all" || scope == "some") {
      std::string detail = "session_recording scope = " + scope;
      if (scope == "some") detail += " (users: " + (users.empty() ? "none" : users) + "; groups: " + (groups.empty() ? "none" : groups) + ")";
      add(c, "tlog-shell", sssd, detail, recorder_running ? PostureLevel::Capturing : PostureLevel::Installed);
    }
  }
  if (auto text = c.read("/etc/shells")) {
    for (auto line : split_lines(*text)) {
      auto t = trim(line);
      if (!t.empty() && t[0] != '#' && basename_of(t) == "tlog-rec-session") {
        add(c, "tlog-available", "/etc/shells", std::string(t) + " is accepted as a login shell",
            PostureLevel::Installed);
        break;
      }
    }
  }
}

// An audit rule that records every command or terminal access; "" when not.
std::string audit_rule_hit(std::string_view line) {
  auto t = trim(line);
  if (t.empty() || t[0] == '#') return {};
  auto toks = split_ws(t);
  if (toks.empty()) return {};
  if (toks[0] == "-w" && toks.size() > 1) {
    for (std::string_view dev : {"/dev/tty", "/dev/pts", "/dev/input", "/dev/vcs", "/dev/console"})
      if (toks[1].starts_with(dev)) return tidy(t);
    return {};
  }
  if (toks[0] != "-a" && toks[0] != "-A") return {};
  if (toks.size() > 1 && toks[1].find("never") != std::string::npos) return {};
  for (std::size_t i = 1; i + 1 < toks.size(); ++i) {
    if (toks[i] != "-S") continue;
    for (const auto& sc : split_ws(toks[i + 1], ","))
      if (sc == "execve" || sc == "execveat" || sc == "all") return tidy(t);
  }
  // "-F path=/dev/pts..." style watches.
  for (const auto& tok : toks)
    if (tok.starts_with("path=/dev/tty") || tok.starts_with("path=/dev/pts") || tok.starts_with("dir=/dev/pts") ||
        tok.starts_with("dir=/dev/input"))
      return tidy(t);
  return {};
}

void auditd_tty(const Ctx& c) {
  std::vector<std::string> files;
  if (c.exists("/etc/audit/audit.rules")) files.push_back("/etc/audit/audit.rules");
  for (const auto& name : c.list("/etc/audit/rules.d"))
    if (name.ends_with(".rules")) files.push_back("/etc/audit/rules.d/" + name);
  if (files.empty()) return;
  bool auditd = false;
  for (const auto& p : processes(c))
    if (p.comm == "auditd") auditd = true;
  for (const auto& path : files) {
    auto text = c.read(path);
    if (!text) continue;
    std::vector<std::string> hits;
    for (auto line : split_lines(*text))
      if (auto hit = audit_rule_hit(line); !hit.empty()) hits.push_back(std::move(hit));
    if (hits.empty()) continue;
    add(c, "auditd-tty", path, listed(hits, "; ") + (auditd ? " (auditd is running)" : ""),
        auditd ? PostureLevel::Running : PostureLevel::Installed);
  }
}

bool is_hash_link(std::string_view name) {
  // OpenSSL's subject-hash links: 8 hex digits, '.', [r]digits.
  if (name.size() < 10 || name[8] != '.') return false;
  for (std::size_t i = 0; i < 8; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  auto rest = name.substr(9);
  if (!rest.empty() && rest[0] == 'r') rest.remove_prefix(1);
  return !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

void enterprise_ca(const Ctx& c) {
  const std::string local = "/usr/local/share/ca-certificates";
  const std::string certs = "/etc/ssl/certs";
  // What /etc/ssl/certs links to, resolved on the scanned system.
  std::map<std::string, std::string> linked;  // cert entry -> absolute target
  std::set<std::string> plain;
  for (const auto& name : c.list(certs, false)) {
    if (is_hash_link(name) || name == "ca-certificates.crt" || name == "java") continue;
    std::error_code ec;
    auto p = c.under(join_dir(certs, name));
    if (fs::is_symlink(fs::symlink_status(p, ec))) {
      auto target = fs::read_symlink(p, ec).string();
      if (ec) continue;
      if (!target.starts_with('/')) target = join_dir(certs, target);
      linked[join_dir(certs, name)] = fs::path(target).lexically_normal().string();
    } else if (fs::is_regular_file(p, ec)) {
      plain.insert(join_dir(certs, name));
    }
  }
  std::set<std::string> merged;
  for (const auto& [entry, target] : linked) merged.insert(target);

  // Local CAs, the documented way to add one (update-ca-certificates merges them).
  std::vector<std::string> stack{local};
  while (!stack.empty()) {
    auto dir = stack.back();
    stack.pop_back();
    for (const auto& name : c.list(dir, false)) {
      auto path = join_dir(dir, name);
      std::error_code ec;
      if (fs::is_directory(c.under(path), ec)) {
        stack.push_back(path);
        continue;
      }
      if (!name.ends_with(".crt")) continue;
      bool in_store = merged.count(path) > 0;
      add(c, "enterprise-ca", path,
          in_store ? "local certificate authority trusted system-wide"
                   : "local certificate authority, trusted once update-ca-certificates runs",
          PostureLevel::Installed);
    }
  }

  // The ones ca-certificates ships and the administrator selected.
  std::set<std::string> selected;
  if (auto text = c.read("/etc/ca-certificates.conf")) {
    for (auto line : split_lines(*text)) {
      auto t = trim(line);
      if (t.empty() || t[0] == '#' || t[0] == '!') continue;
      selected.insert("/usr/share/ca-certificates/" + std::string(t));
    }
  }
  for (const auto& [entry, target] : linked) {
    if (target.starts_with(local + "/")) continue;  // reported above
    if (selected.count(target)) continue;
    add(c, "enterprise-ca", entry, "trusted certificate not from the ca-certificates list (links to " + target + ")",
        PostureLevel::Installed);
  }
  for (const auto& entry : plain)
    add(c, "enterprise-ca", entry, "certificate placed directly in the system store", PostureLevel::Installed);
}

void nss_db(const Ctx& c) {
  std::vector<std::string> dbs{"/etc/pki/nssdb"};
  for (const auto& home : homes(c)) dbs.push_back(join_dir(home, ".pki/nssdb"));
  for (const auto& db : dbs) {
    for (std::string_view file : {"cert9.db", "cert8.db"}) {
      if (!c.exists(join_dir(db, std::string(file)))) continue;
      // Chrome and Chromium trust what this database holds besides the built-in roots;
      // it exists as soon as they have run, so its presence alone is information.
      add(c, "nss-db", db,
          "NSS certificate database (" + std::string(file) +
              ") used by Chrome and Chromium; list its certificates with: certutil -d sql:" + db + " -L",
          PostureLevel::Installed);
      break;
    }
  }
}

std::string extension_label(const catalog::Catalog* catalog, const std::string& id) {
  if (catalog)
    for (const auto& p : catalog->products())
      if (std::find(p.browser_extensions.begin(), p.browser_extensions.end(), id) != p.browser_extensions.end())
        return id + " (" + p.name + ")";
  return id;
}

std::optional<nlohmann::json> read_json(const Ctx& c, const std::string& path) {
  auto text = c.read(path);
  if (!text) return std::nullopt;
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    c.error(path, std::string("not valid JSON (byte ") + std::to_string(e.byte) + "): " + e.what());
  }
  return std::nullopt;
}

bool forced_mode(const nlohmann::json& settings) {
  if (!settings.is_object() || !settings.contains("installation_mode")) return false;
  const auto& m = settings["installation_mode"];
  return m.is_string() && (m == "force_installed" || m == "normal_installed");
}

void chrome_policies(const Ctx& c, const std::string& dir) {
  for (const auto& name : c.list(dir)) {
    if (!name.ends_with(".json")) continue;
    auto path = join_dir(dir, name);
    auto j = read_json(c, path);
    if (!j) continue;
    if (!j->is_object()) {
      c.error(path, "a policy file is a JSON object");
      continue;
    }
    std::vector<std::string> parts;
    if (j->contains("ExtensionInstallForcelist")) {
      const auto& list = (*j)["ExtensionInstallForcelist"];
      std::vector<std::string> ids;
      if (list.is_array()) {
        for (const auto& item : list)
          if (item.is_string()) {
            auto s = item.get<std::string>();
            ids.push_back(extension_label(c.catalog, s.substr(0, s.find(';'))));
          }
      } else {
        c.error(path, "ExtensionInstallForcelist is not a list");
      }
      if (!ids.empty()) parts.push_back("ExtensionInstallForcelist: " + listed(ids));
    }
    if (j->contains("ExtensionSettings") && (*j)["ExtensionSettings"].is_object()) {
      std::vector<std::string> ids;
      for (const auto& [id, settings] : (*j)["ExtensionSettings"].items())
        if (forced_mode(settings)) ids.push_back(extension_label(c.catalog, id));
      if (!ids.empty()) parts.push_back("ExtensionSettings force-installs " + listed(ids));
    }
    if (!parts.empty()) add(c, "browser-forced-extension", path, listed(parts, "; "), PostureLevel::Installed);
  }
}

void firefox_policy(const Ctx& c, const std::string& path) {
  auto j = read_json(c, path);
  if (!j) return;
  if (!j->is_object() || !j->contains("policies") || !(*j)["policies"].is_object()) {
    c.error(path, "no \"policies\" object");
    return;
  }
  const auto& pol = (*j)["policies"];
  std::vector<std::string> parts;
  if (pol.contains("ExtensionSettings") && pol["ExtensionSettings"].is_object()) {
    std::vector<std::string> ids;
    for (const auto& [id, settings] : pol["ExtensionSettings"].items())
      if (id != "*" && forced_mode(settings)) ids.push_back(extension_label(c.catalog, id));
    if (!ids.empty()) parts.push_back("ExtensionSettings force-installs " + listed(ids));
  }
  if (pol.contains("Extensions") && pol["Extensions"].is_object()) {
    const auto& ext = pol["Extensions"];
    std::vector<std::string> items;
    for (const char* key : {"Install", "Locked"})
      if (ext.contains(key) && ext[key].is_array())
        for (const auto& item : ext[key])
          if (item.is_string()) items.push_back(std::string(key) + " " + item.get<std::string>());
    if (!items.empty()) parts.push_back("Extensions: " + listed(items));
  }
  if (!parts.empty()) add(c, "browser-forced-extension", path, listed(parts, "; "), PostureLevel::Installed);
  if (pol.contains("Certificates") && pol["Certificates"].is_object() && pol["Certificates"].contains("Install") &&
      pol["Certificates"]["Install"].is_array()) {
    std::vector<std::string> certs;
    for (const auto& item : pol["Certificates"]["Install"])
      if (item.is_string()) certs.push_back(item.get<std::string>());
    if (!certs.empty())
      add(c, "enterprise-ca", path + " (Certificates)", "Firefox installs " + listed(certs), PostureLevel::Installed);
  }
}

void browser_policy(const Ctx& c) {
  chrome_policies(c, "/etc/opt/chrome/policies/managed");
  chrome_policies(c, "/etc/chromium/policies/managed");
  for (const auto& dir : {"/usr/lib", "/usr/lib64"}) {
    std::error_code ec;
    for (const auto& name : c.list(dir, false))
      if (name.starts_with("firefox") && c.exists(join_dir(dir, name) + "/distribution/policies.json"))
        firefox_policy(c, join_dir(dir, name) + "/distribution/policies.json");
  }
  firefox_policy(c, "/etc/firefox/policies/policies.json");
}

// Installed packages from the dpkg database: name -> version.
std::map<std::string, std::string> dpkg_installed(const Ctx& c) {
  std::map<std::string, std::string> out;
  auto text = c.read("/var/lib/dpkg/status");
  if (!text) return out;
  std::string package, version;
  bool installed = false;
  auto flush = [&] {
    if (!package.empty() && installed) out[package] = version;
    package.clear();
    version.clear();
    installed = false;
  };
  for (auto line : split_lines(*text)) {
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.starts_with("Package:")) package = std::string(trim(line.substr(8)));
    else if (line.starts_with("Version:")) version = std::string(trim(line.substr(8)));
    else if (line.starts_with("Status:")) installed = trim(line.substr(7)).ends_with(" installed");
  }
  flush();
  return out;
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

void products(const Ctx& c) {
  if (!c.catalog) {
    c.error("product catalog", "not loaded: installed and running products are not checked");
    return;
  }
  auto packages = dpkg_installed(c);
  std::vector<std::string> unit_files;
  for (const auto& dir : {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
                          "/etc/systemd/user", "/usr/lib/systemd/user"})
    for (const auto& name : c.list(dir, false)) unit_files.push_back(join_dir(dir, name));
  std::vector<std::string> autostart;
  for (const auto& name : c.list("/etc/xdg/autostart")) autostart.push_back("/etc/xdg/autostart/" + name);
  for (const auto& home : homes(c))
    for (const auto& name : c.list(join_dir(home, ".config/autostart")))
      autostart.push_back(join_dir(home, ".config/autostart/" + name));

  for (const auto& p : c.catalog->products()) {
    std::vector<std::string> seen;
    for (const auto& pkg : p.packages)
      if (auto it = packages.find(pkg); it != packages.end()) seen.push_back("package " + pkg + " " + it->second);
    for (const auto& pattern : p.units)
      for (const auto& file : unit_files) {
        auto name = basename_of(file);
        if (name == pattern || catalog::unit_matches(pattern, name)) seen.push_back("unit " + file);
      }
    for (const auto& entry : p.autostart)
      for (const auto& file : autostart)
        if (basename_of(file) == entry) seen.push_back("autostart " + file);
    for (const auto& exe : p.executables)
      if (!has_glob(exe) && exe.starts_with('/') && c.exists(exe)) seen.push_back(exe);
    if (!seen.empty()) add(c, "product-installed", p.id, p.name + ": " + listed(seen), PostureLevel::Installed);
  }

  ProcFs procfs(c.under("/proc"));
  for (const auto& proc : processes(c)) {
    auto exe = procfs.exe(proc.pid);
    if (!exe) continue;  // kernel threads, or gone
    std::string path = *exe;
    if (path.ends_with(" (deleted)")) path.resize(path.size() - 10);
    auto unit = procfs.unit(proc.pid);
    const auto* product = c.catalog->match({path, unit, {}});
    if (!product) continue;
    c.out.findings.push_back(about_process(proc, "product-running",
                                           product->id + " (" + product->name + "): " + path +
                                               (unit.empty() ? "" : " in " + unit),
                                           PostureLevel::Running));
  }
}

struct TcpSocket {
  std::string local;
  std::uint16_t local_port = 0;
  std::string remote;
  int state = 0;
  std::uint64_t inode = 0;
};

std::string format_addr(std::string_view hex, bool v6) {
  // /proc/net/tcp prints the address as host-order 32-bit words in hex.
  auto word = [&](std::size_t i) { return static_cast<std::uint32_t>(std::strtoul(std::string(hex.substr(i * 8, 8)).c_str(), nullptr, 16)); };
  if (!v6) {
    if (hex.size() != 8) return std::string(hex);
    auto w = word(0);
    return std::to_string(w & 0xff) + "." + std::to_string((w >> 8) & 0xff) + "." + std::to_string((w >> 16) & 0xff) +
           "." + std::to_string(w >> 24);
  }
  if (hex.size() != 32) return std::string(hex);
  std::string out = "[";
  for (std::size_t i = 0; i < 4; ++i) {
    auto w = word(i);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%x:%x", i ? ":" : "", ((w & 0xff) << 8) | ((w >> 8) & 0xff),
                  (((w >> 16) & 0xff) << 8) | (w >> 24));
    out += buf;
  }
  return out + "]";
}

std::vector<TcpSocket> read_tcp(const Ctx& c, const std::string& path, bool v6) {
  std::vector<TcpSocket> out;
  auto text = c.read(path);
  if (!text) return out;
  bool header = true;
  for (auto line : split_lines(*text)) {
    if (header) {
      header = false;
      continue;
    }
    auto f = split_ws(line);
    if (f.size() < 10) continue;
    auto colon = f[1].find(':'), rcolon = f[2].find(':');
    if (colon == std::string::npos || rcolon == std::string::npos) continue;
    TcpSocket s;
    s.local_port = static_cast<std::uint16_t>(std::strtoul(f[1].substr(colon + 1).c_str(), nullptr, 16));
    s.local = format_addr(std::string_view(f[1]).substr(0, colon), v6) + ":" + std::to_string(s.local_port);
    s.remote = format_addr(std::string_view(f[2]).substr(0, rcolon), v6) + ":" +
               std::to_string(std::strtoul(f[2].substr(rcolon + 1).c_str(), nullptr, 16));
    s.state = static_cast<int>(std::strtol(f[3].c_str(), nullptr, 16));
    s.inode = std::strtoull(f[9].c_str(), nullptr, 10);
    out.push_back(std::move(s));
  }
  return out;
}

// The remote-viewing services by port. Ports confirmed in
// bossware-and-transparency.md section 2 (VNC 5900+, RDP 3389, xrdp-sesman
// 3350, AnyDesk 7070); TeamViewer's 5938 is its documented listener.
std::string_view service_of(std::uint16_t port) {
  if (port >= 5900 && port <= 5999) return "VNC";
  switch (port) {
    case 3389: return "RDP";
    case 3350: return "xrdp-sesman";
    case 5938: return "TeamViewer";
    case 7070: return "AnyDesk";
  }
  return {};
}

void remote_view_service(const Ctx& c) {
  std::vector<TcpSocket> all;
  for (auto [path, v6] : {std::pair{"/proc/net/tcp", false}, std::pair{"/proc/net/tcp6", true}}) {
    auto s = read_tcp(c, path, v6);
    all.insert(all.end(), s.begin(), s.end());
  }
  constexpr int kEstablished = 0x01, kListen = 0x0A;
  std::map<std::uint16_t, std::vector<const TcpSocket*>> listening;
  for (const auto& s : all)
    if (s.state == kListen && !service_of(s.local_port).empty()) listening[s.local_port].push_back(&s);
  if (listening.empty()) return;

  // Who owns each listening socket: its inode among the processes' fds.
  std::map<std::uint64_t, const Proc*> owner;
  const auto& procs = processes(c);
  std::set<std::uint64_t> wanted;
  for (const auto& [port, socks] : listening)
    for (const auto* s : socks) wanted.insert(s->inode);
  for (const auto& p : procs) {
    std::error_code ec;
    fs::directory_iterator it(c.under("/proc/" + std::to_string(p.pid) + "/fd"), ec);
    if (ec) continue;
    for (const auto& e : it) {
      auto target = fs::read_symlink(e.path(), ec).string();
      if (ec || !target.starts_with("socket:[")) continue;
      auto inode = std::strtoull(target.c_str() + 8, nullptr, 10);
      if (wanted.count(inode) && !owner.count(inode)) owner[inode] = &p;
    }
  }
  ProcFs procfs(c.under("/proc"));
  for (const auto& [port, socks] : listening) {
    std::vector<std::string> addrs;
    const Proc* who = nullptr;
    for (const auto* s : socks) {
      addrs.push_back(s->local);
      if (!who && owner.count(s->inode)) who = owner[s->inode];
    }
    std::vector<std::string> viewers;
    for (const auto& s : all)
      if (s.state == kEstablished && s.local_port == port) viewers.push_back(s.remote);
    std::string detail = std::string(service_of(port)) + " listening on " + listed(addrs);
    if (who) {
      auto exe = procfs.exe(who->pid);
      detail += " by " + who->comm + " (pid " + std::to_string(who->pid) + (exe ? ", " + *exe : "") + ")";
    } else {
      detail += " (owner not found)";
    }
    auto level = viewers.empty() ? PostureLevel::Running : PostureLevel::Capturing;
    if (!viewers.empty()) detail += "; connected now from " + listed(viewers);
    Finding f;
    if (who) f = about_process(*who, "", "", level);
    f.check = "remote-view-service";
    f.subject = "tcp port " + std::to_string(port);
    f.detail = std::move(detail);
    f.level = level;
    c.out.findings.push_back(std::move(f));
  }
}

}  // namespace

void run_check(Check check, const ScannerOptions& options, const catalog::Catalog* catalog, ScanResult& out) {
  Ctx c{options, catalog, out};
  switch (check) {
    case Check::LdSoPreload: return ld_so_preload(c);
    case Check::LdPreloadProcess: return ld_preload_process(c);
    case Check::PamTtyAudit: return pam_tty_audit(c);
    case Check::SudoIoLog: return sudo_io_log(c);
    case Check::TlogShell: return tlog_shell(c);
    case Check::AuditdTty: return auditd_tty(c);
    case Check::EnterpriseCa: return enterprise_ca(c);
    case Check::NssDb: return nss_db(c);
    case Check::BrowserPolicy: return browser_policy(c);
    case Check::Products: return products(c);
    case Check::RemoteViewService: return remote_view_service(c);
  }
}

}  // namespace sousveil::posture
