// SPDX-License-Identifier: Apache-2.0
#include "enrich/procfs.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

namespace sousveil {
namespace {

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::uint64_t ticks_per_second() {
  static const std::uint64_t hz = [] {
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? static_cast<std::uint64_t>(v) : 100;
  }();
  return hz;
}

}  // namespace

std::uint64_t boot_ns_to_ticks(std::uint64_t ns) { return ns / (1'000'000'000ULL / ticks_per_second()); }
std::uint64_t ticks_to_boot_ns(std::uint64_t ticks) {
  return ticks * (1'000'000'000ULL / ticks_per_second());
}

Result<ProcStat> parse_proc_stat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return make_error("stat: no (comm) field");
  ProcStat st;
  if (!parse_number(text.substr(0, open == 0 ? 0 : open - 1), st.pid))
    return make_error("stat: bad pid");
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after comm, 1-based from the state (field 3 of proc(5)).
  std::vector<std::string_view> f;
  std::string_view rest = text.substr(close + 1);
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    std::size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j > i) f.push_back(rest.substr(i, j - i));
    i = j;
  }
  // state(3) ppid(4) ... tty_nr(7) ... starttime(22)
  if (f.size() < 20) return make_error("stat: too few fields");
  st.state = f[0].empty() ? '?' : f[0][0];
  std::int64_t tty = 0;
  if (!parse_number(f[1], st.ppid) || !parse_number(f[4], tty) || !parse_number(f[19], st.start_ticks))
    return make_error("stat: bad number");
  st.tty_nr = static_cast<std::uint32_t>(tty);
  return st;
}

std::string unit_from_cgroup(std::string_view text) {
  // cgroup v2: "0::/user.slice/user-1000.slice/session-2.scope"
  std::string unit;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':', line.find(':') + 1);
    if (colon == std::string::npos) continue;
    std::string_view path(line);
    path.remove_prefix(colon + 1);
    std::size_t pos = 0;
    while (pos < path.size()) {
      auto next = path.find('/', pos);
      auto part = path.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
      auto ends = [&](std::string_view suf) {
        return part.size() > suf.size() && part.substr(part.size() - suf.size()) == suf;
      };
      if (ends(".service") || ends(".scope")) unit = std::string(part);
      if (next == std::string_view::npos) break;
      pos = next + 1;
    }
    if (!unit.empty() && line.rfind("0::", 0) == 0) break;  // the v2 line decides
  }
  return unit;
}

std::vector<std::string> split_nul(std::string_view bytes) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < bytes.size()) {
    auto end = bytes.find('\0', start);
    if (end == std::string_view::npos) end = bytes.size();
    out.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> uids_from_status(std::string_view text) {
  auto pos = text.find("\nUid:");
  if (pos == std::string_view::npos) return std::nullopt;
  std::istringstream in{std::string(text.substr(pos + 5, 64))};
  std::uint32_t real = 0, effective = 0;
  if (!(in >> real >> effective)) return std::nullopt;
  return std::make_pair(real, effective);
}

std::optional<std::string> ProcFs::read_file(const std::filesystem::path& relative) const {
  std::ifstream in(m_root / relative, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::vector<std::uint32_t> ProcFs::pids() const {
  std::vector<std::uint32_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(m_root, ec)) {
    std::uint32_t pid = 0;
    if (parse_number(entry.path().filename().string(), pid)) out.push_back(pid);
  }
  return out;
}

Result<ProcStat> ProcFs::stat(std::uint32_t pid) const {
  auto text = read_file(std::to_string(pid) + "/stat");
  if (!text) return make_error("process " + std::to_string(pid) + " is gone");
  return parse_proc_stat(*text);
}

std::optional<std::string> ProcFs::exe(std::uint32_t pid) const {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(m_root / std::to_string(pid) / "exe", ec);
  if (ec) return std::nullopt;
  return target.string();
}

std::vector<std::string> ProcFs::cmdline(std::uint32_t pid) const {
  auto text = read_file(std::to_string(pid) + "/cmdline");
  return text ? split_nul(*text) : std::vector<std::string>{};
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> ProcFs::uids(std::uint32_t pid) const {
  auto text = read_file(std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  return uids_from_status("\n" + *text);
}

std::optional<std::uint32_t> ProcFs::tgid_of(std::uint32_t tid) const {
  auto text = read_file(std::to_string(tid) + "/status");
  if (!text) return std::nullopt;
  auto pos = text->find("\nTgid:");
  if (pos == std::string::npos) return std::nullopt;
  std::istringstream in(text->substr(pos + 6, 24));
  std::uint32_t tgid = 0;
  if (!(in >> tgid)) return std::nullopt;
  return tgid;
}

std::string ProcFs::unit(std::uint32_t pid) const {
  auto text = read_file(std::to_string(pid) + "/cgroup");
  return text ? unit_from_cgroup(*text) : std::string();
}

std::vector<FdEntry> ProcFs::char_device_fds(std::uint32_t pid) const {
  std::vector<FdEntry> out;
  std::error_code ec;
  auto dir = m_root / std::to_string(pid) / "fd";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    FdEntry fe;
    if (!parse_number(entry.path().filename().string(), fe.fd)) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) continue;
    fe.is_char_device = true;
    fe.major = major(st.st_rdev);
    fe.minor = minor(st.st_rdev);
    std::error_code lec;
    fe.target = std::filesystem::read_symlink(entry.path(), lec).string();
    if (auto info = read_file(std::to_string(pid) + "/fdinfo/" + std::to_string(fe.fd))) {
      auto pos = info->find("flags:");
      if (pos != std::string::npos) {
        std::istringstream in(info->substr(pos + 6, 32));
        std::string octal;
        in >> octal;
        parse_number(octal, fe.flags, 8);
      }
    }
    out.push_back(std::move(fe));
  }
  return out;
}

}  // namespace sousveil
