// SPDX-License-Identifier: Apache-2.0
// scripts/install into a DESTDIR: what lands where, with which modes, the
// units pointed at PREFIX, groups created in the staged /etc/group, a second
// run changing nothing, an edited config kept, and the installed programs
// working from there.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness.h"

namespace sousveil::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

TEST(Install, IntoDestdirWithPrefixIdempotent) {
  if (::access("/usr/sbin/groupadd", X_OK) != 0) GTEST_SKIP() << "groupadd is not installed (passwd)";
  std::string tmpl = (fs::temp_directory_path() / "sv-install-XXXXXX").string();
  fs::path dest = ::mkdtemp(tmpl.data());
  fs::create_directories(dest / "etc");
  // A staged /etc/group: the groups are created there, not on this machine.
  std::ofstream(dest / "etc/group") << "root:x:0:\n";
  std::ofstream(dest / "etc/gshadow") << "root:*::\n";
  const std::string script = std::string(SOUSVEIL_SOURCE_DIR) + "/scripts/install";
  const std::string build = fs::path(SOUSVEILD).parent_path().parent_path().string();
  auto run = [&] {
    return run_capture({"/usr/bin/env", "DESTDIR=" + dest.string(), "PREFIX=/opt/sv", script, "--build", build});
  };
  auto first = run();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  const fs::path bin = dest / "opt/sv/bin";
  EXPECT_EQ(mode_of(bin / "sousveild"), 0755U);
  EXPECT_EQ(mode_of(bin / "sousveil"), 0755U);
  EXPECT_TRUE(fs::exists(dest / "opt/sv/share/sousveil/rules/keystrokes.yaml"));
  EXPECT_TRUE(fs::exists(dest / "opt/sv/share/sousveil/rules/products/employee-monitoring.yaml"));
  EXPECT_EQ(mode_of(dest / "etc/sousveil/sousveil.conf"), 0644U);
  EXPECT_TRUE(fs::exists(dest / "opt/sv/share/doc/sousveil/sousveil.conf.example"));
  auto unit = slurp(dest / "opt/sv/lib/systemd/system/sousveild.service");
  EXPECT_NE(unit.find("ExecStart=/opt/sv/bin/sousveild --config /etc/sousveil/sousveil.conf"), std::string::npos);
  EXPECT_NE(unit.find("Environment=SOUSVEIL_RULES_DIR=/opt/sv/share/sousveil/rules"), std::string::npos);
  EXPECT_EQ(unit.find("/usr/local/bin"), std::string::npos);
  auto user_unit = slurp(dest / "opt/sv/lib/systemd/user/sousveil-notify.service");
  EXPECT_NE(user_unit.find("ExecStart=/opt/sv/bin/sousveil notify"), std::string::npos);
  auto groups = slurp(dest / "etc/group");
  EXPECT_NE(groups.find("\nsousveil:x:"), std::string::npos) << groups;
  EXPECT_NE(groups.find("\nsousveil-audit:x:"), std::string::npos) << groups;

  // The installed programs work from there, with the installed rules and config.
  auto check = run_capture({(bin / "sousveil").string(), "config", "check", (dest / "etc/sousveil/sousveil.conf").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto rules = run_capture({(bin / "sousveil").string(), "rules", "check",
                            (dest / "opt/sv/share/sousveil/rules").string()});
  EXPECT_EQ(rules.exit_code, 0) << rules.out << rules.err;

  // Again: nothing changes, nothing is added twice; an edited config is kept.
  std::ofstream(dest / "etc/sousveil/sousveil.conf", std::ios::app) << "# edited by the admin\n";
  auto before = fs::last_write_time(bin / "sousveild");
  auto second = run();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(second.out.find("install: /"), std::string::npos) << "a re-run rewrote files:\n" << second.out;
  EXPECT_NE(second.out.find("kept your"), std::string::npos) << second.out;
  EXPECT_NE(slurp(dest / "etc/sousveil/sousveil.conf").find("# edited by the admin"), std::string::npos);
  EXPECT_EQ(fs::last_write_time(bin / "sousveild"), before);
  auto groups_again = slurp(dest / "etc/group");
  EXPECT_EQ(groups_again, groups);

  // A rule file gone from the source goes from the install too.
  std::ofstream(dest / "opt/sv/share/sousveil/rules/stale.yaml") << "rules: []\n";
  auto third = run();
  ASSERT_EQ(third.exit_code, 0);
  EXPECT_FALSE(fs::exists(dest / "opt/sv/share/sousveil/rules/stale.yaml"));

  // Bad arguments are refused, naming them.
  auto bad = run_capture({"/usr/bin/env", "PREFIX=relative", script, "--build", build});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("PREFIX must be absolute"), std::string::npos) << bad.err;
  fs::remove_all(dest);
}

}  // namespace
}  // namespace sousveil::testing
