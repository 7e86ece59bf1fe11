// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/display_finder.h"

#include <gtest/gtest.h>

#include <fstream>

#include <unistd.h>

namespace sousveil::x11 {
namespace {

namespace fs = std::filesystem;

// One Xauthority entry as xauth writes it.
std::string entry(std::uint16_t family, std::string_view address, std::string_view number, std::string_view name,
                  std::string_view data) {
  std::string out;
  auto u16 = [&](std::size_t v) {
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
  };
  u16(family);
  for (auto f : {address, number, name, data}) {
    u16(f.size());
    out.append(f);
  }
  return out;
}

TEST(Xauthority, PicksTheLocalEntryOfTheDisplay) {
  std::string file = entry(256, "otherhost", "0", "MIT-MAGIC-COOKIE-1", "stale-cookie-0000") +
                     entry(256, "myhost", "1", "MIT-MAGIC-COOKIE-1", "cookie-for-one!!") +
                     entry(256, "myhost", "0", "XDM-AUTHORIZATION-1", "not-this-scheme-") +
                     entry(256, "myhost", "0", "MIT-MAGIC-COOKIE-1", "cookie-for-zero!");
  auto c = parse_xauthority(file, 0, "myhost");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.value());
  EXPECT_EQ(c.value()->data, "cookie-for-zero!");
  EXPECT_EQ(c.value()->name, "MIT-MAGIC-COOKIE-1");
  auto one = parse_xauthority(file, 1, "myhost");
  ASSERT_TRUE(one.ok() && one.value());
  EXPECT_EQ(one.value()->data, "cookie-for-one!!");
  // Another host's entry is used only when nothing better is there (a renamed machine).
  auto renamed = parse_xauthority(entry(256, "oldname", "3", "MIT-MAGIC-COOKIE-1", "x"), 3, "newname");
  ASSERT_TRUE(renamed.ok() && renamed.value());
  EXPECT_EQ(renamed.value()->data, "x");
  EXPECT_FALSE(parse_xauthority(file, 7, "myhost").value());
}

TEST(Xauthority, WildcardEntriesAndBrokenFiles) {
  auto wild = parse_xauthority(entry(65535, "", "", "MIT-MAGIC-COOKIE-1", "wild"), 5, "h");
  ASSERT_TRUE(wild.ok() && wild.value());
  EXPECT_EQ(wild.value()->data, "wild");
  auto file = entry(256, "h", "0", "MIT-MAGIC-COOKIE-1", "abcd");
  auto cut = parse_xauthority(std::string_view(file).substr(0, file.size() - 2), 0, "h");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("Xauthority"), std::string::npos);
  EXPECT_FALSE(parse_xauthority("", 0, "h").value());
}

TEST(DisplayName, LocalDisplaysOnly) {
  EXPECT_EQ(parse_display(":0"), 0);
  EXPECT_EQ(parse_display(":1.0"), 1);
  EXPECT_EQ(parse_display("unix:12"), 12);
  EXPECT_FALSE(parse_display("localhost:10.0"));  // ssh forwarding over TCP
  EXPECT_FALSE(parse_display("remote:0"));
  EXPECT_FALSE(parse_display(""));
  EXPECT_FALSE(parse_display(":x"));
  EXPECT_FALSE(parse_display("wayland-0"));
}

class DisplayFinder : public ::testing::Test {
 protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("sv-x11-finder-" + std::to_string(::getpid()));
    fs::remove_all(m_root);
    fs::create_directories(m_root / "x11");
    fs::create_directories(m_root / "proc");
  }
  void TearDown() override { fs::remove_all(m_root); }
  void process(int pid, const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    auto dir = m_root / "proc" / std::to_string(pid);
    fs::create_directories(dir);
    std::ofstream cmd(dir / "cmdline", std::ios::binary), e(dir / "environ", std::ios::binary);
    for (const auto& a : argv) cmd << a << '\0';
    for (const auto& v : env) e << v << '\0';
  }
  fs::path m_root;
};

TEST_F(DisplayFinder, SocketsBecomeDisplayNumbers) {
  for (auto n : {"X0", "X12", "Xbad", "lock", "X3"}) std::ofstream(m_root / "x11" / n) << "";
  EXPECT_EQ(list_display_sockets(m_root / "x11"), (std::vector<int>{0, 3, 12}));
  EXPECT_TRUE(list_display_sockets(m_root / "missing").empty());
}

TEST_F(DisplayFinder, CookieFilesFromTheServerThenEnvironmentsThenHomes) {
  process(100, {"/usr/lib/xorg/Xorg", ":0", "-seat", "seat0", "-auth", "/var/run/lightdm/root/:0"}, {});
  process(200, {"/usr/bin/xterm"}, {"HOME=/home/alice", "DISPLAY=:0", "XAUTHORITY=/run/user/1000/Xauth"});
  process(201, {"/usr/bin/firefox"}, {"HOME=/home/alice", "DISPLAY=:0.0"});
  process(300, {"/usr/bin/Xvfb", ":7", "-auth", "/tmp/xvfb-cookie"}, {});
  process(400, {"/usr/bin/ssh"}, {"DISPLAY=localhost:10.0", "XAUTHORITY=/home/bob/.Xauthority"});
  process(500, {"/usr/bin/bash"}, {"HOME=/root"});
  auto found = find_auth_files(m_root / "proc");
  EXPECT_EQ(found[0], (std::vector<fs::path>{"/var/run/lightdm/root/:0", "/run/user/1000/Xauth",
                                             "/home/alice/.Xauthority"}));
  EXPECT_EQ(found[7], (std::vector<fs::path>{"/tmp/xvfb-cookie"}));
  EXPECT_EQ(found.count(10), 0u);  // a TCP display is not local
}

}  // namespace
}  // namespace sousveil::x11
