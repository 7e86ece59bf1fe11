// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/display_finder.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "enrich/procfs.h"

namespace sousveil::x11 {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_small(const fs::path& p, std::size_t limit) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s(limit, '\0');
  in.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

std::optional<int> parse_number(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 0 || n > 65535) return std::nullopt;
  return n;
}

// X servers name their display and cookie file on the command line.
bool is_x_server(std::string_view argv0) {
  auto base = argv0.substr(argv0.rfind('/') + 1);
  static constexpr std::string_view kServers[] = {"Xorg", "X", "Xvfb", "Xwayland", "Xephyr", "Xvnc", "Xtigervnc",
                                                  "Xnest", "Xdummy"};
  return std::find(std::begin(kServers), std::end(kServers), base) != std::end(kServers);
}

void add(std::vector<fs::path>& list, const fs::path& p) {
  if (p.empty() || !p.is_absolute()) return;
  if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
}

}  // namespace

std::vector<int> list_display_sockets(const fs::path& x11_dir) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(x11_dir, ec)) {
    auto name = entry.path().filename().string();
    if (name.size() < 2 || name[0] != 'X') continue;
    if (auto n = parse_number(std::string_view(name).substr(1))) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<int> parse_display(std::string_view value) {
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = value.substr(0, colon);
  if (!host.empty() && host != "unix") return std::nullopt;  // TCP or ssh forwarding: not a local socket
  auto rest = value.substr(colon + 1);
  rest = rest.substr(0, rest.find('.'));  // the screen
  return parse_number(rest);
}

std::map<int, std::vector<fs::path>> find_auth_files(const fs::path& proc_root) {
  ProcFs procfs(proc_root);
  std::map<int, std::vector<fs::path>> server_auth, env_auth, home_auth;
  for (auto pid : procfs.pids()) {
    auto dir = proc_root / std::to_string(pid);
    auto args = procfs.cmdline(pid);
    if (!args.empty() && is_x_server(args[0])) {
      std::optional<int> display;
      fs::path auth;
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i].starts_with(':')) display = parse_display(args[i]);
        if (args[i] == "-auth" && i + 1 < args.size()) auth = args[i + 1];
      }
      if (display && !auth.empty()) add(server_auth[*display], auth);
    }
    // The environment a process started with: enough to know its display.
    auto env = read_small(dir / "environ", 64 * 1024);
    if (!env) continue;
    std::optional<int> display;
    std::string xauthority, home;
    for (const auto& var : split_nul(*env)) {
      if (var.starts_with("DISPLAY=")) display = parse_display(std::string_view(var).substr(8));
      else if (var.starts_with("XAUTHORITY=")) xauthority = var.substr(11);
      else if (var.starts_with("HOME=")) home = var.substr(5);
    }
    if (!display) continue;
    if (!xauthority.empty()) add(env_auth[*display], xauthority);
    if (!home.empty()) add(home_auth[*display], fs::path(home) / ".Xauthority");
  }
  std::map<int, std::vector<fs::path>> out;
  for (auto* source : {&server_auth, &env_auth, &home_auth})
    for (auto& [display, paths] : *source)
      for (auto& p : paths) add(out[display], p);
  return out;
}

Result<std::optional<Cookie>> parse_xauthority(std::string_view bytes, int display, std::string_view hostname) {
  // Each entry: family (u16), then address, number, name and data, each a
  // u16 big-endian length and that many bytes (Xauth.h).
  std::size_t at = 0;
  auto u16 = [&](std::uint16_t& v) {
    if (bytes.size() - at < 2) return false;
    v = static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                   static_cast<unsigned char>(bytes[at + 1]));
    at += 2;
    return true;
  };
  auto field = [&](std::string_view& v) {
    std::uint16_t n = 0;
    if (!u16(n) || bytes.size() - at < n) return false;
    v = bytes.substr(at, n);
    at += n;
    return true;
  };
  constexpr std::uint16_t kFamilyLocal = 256, kFamilyWild = 65535;
  const std::string number = std::to_string(display);
  std::optional<Cookie> exact, fallback;
  while (at < bytes.size()) {
    std::uint16_t family = 0;
    std::string_view address, num, name, data;
    if (!u16(family) || !field(address) || !field(num) || !field(name) || !field(data))
      return make_error("not an Xauthority file: entry cut short at byte " + std::to_string(at));
    if (name != "MIT-MAGIC-COOKIE-1") continue;  // the only scheme Xorg enables by default
    if (!num.empty() && num != number) continue;
    Cookie c{std::string(name), std::string(data)};
    if (family == kFamilyWild || (family == kFamilyLocal && address == hostname)) {
      if (!exact) exact = c;
    } else if (!fallback) {
      fallback = c;
    }
  }
  if (exact) return std::optional<Cookie>(std::move(exact));
  return std::optional<Cookie>(std::move(fallback));
}

}  // namespace sousveil::x11
