// SPDX-License-Identifier: Apache-2.0
// Finds the local X displays and the authority cookies that open them: the
// sockets in /tmp/.X11-unix, the DISPLAY and XAUTHORITY in processes'
// environments, the -auth file of the X server itself, and ~/.Xauthority of
// whoever uses the display. Both roots are injectable for tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sousveil::x11 {

struct FinderRoots {
  std::filesystem::path x11_dir = "/tmp/.X11-unix";
  std::filesystem::path proc = "/proc";
};

// Display numbers with a socket X<n> in the X11 directory, sorted.
std::vector<int> list_display_sockets(const std::filesystem::path& x11_dir);

// The display number of a DISPLAY value that names a local display (":0",
// ":1.0", "unix:2"); nullopt for remote or odd values.
std::optional<int> parse_display(std::string_view value);

// Where the cookie of each display may be, best first, from /proc: the X
// server's own -auth file, then XAUTHORITY of processes on the display, then
// $HOME/.Xauthority of those processes.
std::map<int, std::vector<std::filesystem::path>> find_auth_files(const std::filesystem::path& proc_root);

struct Cookie {
  std::string name;  // MIT-MAGIC-COOKIE-1
  std::string data;  // the secret, never logged
};

// The cookie for a display in the bytes of an Xauthority file: a local entry
// for this host, a wildcard entry, or else any entry for that display number.
// nullopt when none is for that display; an error when the bytes are not an
// Xauthority file.
Result<std::optional<Cookie>> parse_xauthority(std::string_view bytes, int display, std::string_view hostname);

}  // namespace sousveil::x11
