// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sousveil {

// Which Debian package owns an executable, from dpkg's file lists
// (/var/lib/dpkg/info/*.list). Read once, on the first question, and only
// for paths under bin, sbin, lib and libexec directories and /opt.
class PackageIndex {
 public:
  explicit PackageIndex(std::filesystem::path dpkg_info = "/var/lib/dpkg/info") : m_dir(std::move(dpkg_info)) {}

  // "" when no package owns it (or there is no dpkg).
  std::string owner(std::string_view path);
  std::size_t size() const { return m_owner.size(); }

 private:
  void load();

  std::filesystem::path m_dir;
  bool m_loaded = false;
  std::unordered_map<std::string, std::string> m_owner;
};

}  // namespace sousveil
