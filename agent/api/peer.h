// SPDX-License-Identifier: Apache-2.0
// Who is on the other end of a connection, and what they may see.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::api {

// "all": root and the audit group; "own": what concerns the peer plus system-wide capture.
enum class Scope : std::uint8_t { All, Own };
std::string_view to_string(Scope s);

struct Peer {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int32_t pid = 0;
  std::string user;  // from the passwd database, or the uid as text
  Scope scope = Scope::Own;
  bool is_root() const { return uid == 0; }
};

// Categories that watch everyone at the machine, so every user may see them.
bool is_system_wide(std::string_view category);

// Whether a watcher, finding or history row may be shown to the peer: all of it
// for scope "all"; otherwise the record's process uid ("process":{"uid"}) or its
// target's ("target":{"uid"}) is the peer's, or its category is system-wide.
// A record with neither uid nor a system-wide category is not shown to "own".
bool visible_to(const nlohmann::json& record, const Peer& peer);

// The peer of a connected unix socket, from SO_PEERCRED. Scope "all" for uid 0
// and for members of audit_group (the process's gid or supplementary groups, or
// /etc/group's member list); a missing group makes no one a member.
std::optional<Peer> peer_of_socket(int fd, std::string_view audit_group);
// The same decision from known credentials (tests, and peer_of_socket); groups
// are the supplementary groups of the peer process.
Peer make_peer(std::uint32_t uid, std::uint32_t gid, std::int32_t pid, std::string_view audit_group,
               const std::vector<std::uint32_t>& groups = {});

}  // namespace sousveil::api
