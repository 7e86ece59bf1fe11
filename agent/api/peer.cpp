// SPDX-License-Identifier: Apache-2.0
#include "api/peer.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sousveil::api {
namespace {

constexpr std::array<std::string_view, 9> kSystemWide{"keystrokes", "screen",      "camera",
                                                      "microphone", "clipboard",   "remote-view",
                                                      "kernel-hook", "session-recording", "posture"};

std::optional<std::uint32_t> uid_field(const nlohmann::json& record, std::string_view object) {
  auto it = record.find(object);
  if (it == record.end() || !it->is_object()) return std::nullopt;
  auto uid = it->find("uid");
  if (uid == it->end() || !(uid->is_number_unsigned() || uid->is_number_integer())) return std::nullopt;
  if (uid->get<std::int64_t>() < 0) return std::nullopt;
  return uid->get<std::uint32_t>();
}

// Membership as the process holds it (its gid and supplementary groups) or as
// /etc/group lists it (a session started before the user joined still counts).
bool in_group(std::uint32_t gid, const std::vector<std::uint32_t>& groups, const std::string& user,
              std::string_view group_name) {
  if (group_name.empty()) return false;
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (::getgrnam_r(std::string(group_name).c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return false;
  if (gid == found->gr_gid) return true;
  if (std::find(groups.begin(), groups.end(), found->gr_gid) != groups.end()) return true;
  for (char** m = found->gr_mem; m && *m; ++m)
    if (user == *m) return true;
  return false;
}

// The supplementary groups of a process ("Groups:" in /proc/PID/status).
std::vector<std::uint32_t> groups_of(std::int32_t pid) {
  std::vector<std::uint32_t> out;
  if (pid <= 0) return out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    std::uint32_t g = 0;
    while (fields >> g) out.push_back(g);
    break;
  }
  return out;
}

}  // namespace

std::string_view to_string(Scope s) { return s == Scope::All ? "all" : "own"; }

bool is_system_wide(std::string_view category) {
  return std::find(kSystemWide.begin(), kSystemWide.end(), category) != kSystemWide.end();
}

bool visible_to(const nlohmann::json& record, const Peer& peer) {
  if (peer.scope == Scope::All) return true;
  if (!record.is_object()) return false;
  if (auto uid = uid_field(record, "process"); uid && *uid == peer.uid) return true;
  if (auto uid = uid_field(record, "target"); uid && *uid == peer.uid) return true;
  auto cat = record.find("category");
  if (cat != record.end() && cat->is_string() && is_system_wide(cat->get_ref<const std::string&>())) return true;
  return false;
}

Peer make_peer(std::uint32_t uid, std::uint32_t gid, std::int32_t pid, std::string_view audit_group,
               const std::vector<std::uint32_t>& groups) {
  Peer p;
  p.uid = uid;
  p.gid = gid;
  p.pid = pid;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found)
    p.user = found->pw_name;
  else
    p.user = std::to_string(uid);
  p.scope = uid == 0 || in_group(gid, groups, p.user, audit_group) ? Scope::All : Scope::Own;
  return p;
}

std::optional<Peer> peer_of_socket(int fd, std::string_view audit_group) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  return make_peer(cred.uid, cred.gid, cred.pid, audit_group, groups_of(cred.pid));
}

}  // namespace sousveil::api
