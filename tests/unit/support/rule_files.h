// SPDX-License-Identifier: Apache-2.0
// Rule files written to a temporary directory, for the code that loads them.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace sousveil::testing_support {

// A temporary directory of rule (or catalog) files, removed when the test ends.
class RuleDir {
 public:
  RuleDir() {
    std::string tmpl = ::testing::TempDir() + "sousveil-rules-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    m_root = tmpl;
  }
  ~RuleDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_root, ec);
  }
  RuleDir(const RuleDir&) = delete;
  RuleDir& operator=(const RuleDir&) = delete;

  const std::filesystem::path& path() const { return m_root; }

  // Writes (or replaces) a file; name may include a subdirectory.
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    auto p = m_root / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    return p;
  }

  // A subdirectory, created empty.
  std::filesystem::path subdir(std::string_view name) const {
    auto p = m_root / name;
    std::filesystem::create_directories(p);
    return p;
  }

 private:
  std::filesystem::path m_root;
};

}  // namespace sousveil::testing_support
