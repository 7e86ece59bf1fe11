// SPDX-License-Identifier: Apache-2.0
#include "enrich/package_index.h"

#include <fstream>

namespace sousveil {
namespace {

bool worth_indexing(std::string_view p) {
  return p.find("/bin/") != std::string_view::npos || p.find("/sbin/") != std::string_view::npos ||
         p.find("/libexec/") != std::string_view::npos || p.starts_with("/opt/") ||
         p.starts_with("/usr/lib/") || p.starts_with("/lib/");
}

// Debian's merged /usr: /bin/x and /usr/bin/x are the same file.
std::string canonical(std::string_view p) {
  for (std::string_view top : {"/bin/", "/sbin/", "/lib/", "/lib64/"})
    if (p.starts_with(top)) return "/usr" + std::string(p);
  return std::string(p);
}

}  // namespace

void PackageIndex::load() {
  m_loaded = true;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(m_dir, ec)) {
    if (e.path().extension() != ".list") continue;
    auto package = e.path().stem().string();
    if (auto colon = package.find(':'); colon != std::string::npos) package.resize(colon);  // libc6:amd64
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);)
      if (worth_indexing(line)) m_owner.emplace(canonical(line), package);
  }
}

std::string PackageIndex::owner(std::string_view path) {
  if (path.empty()) return "";
  if (!m_loaded) load();
  auto it = m_owner.find(canonical(path));
  return it == m_owner.end() ? "" : it->second;
}

}  // namespace sousveil
