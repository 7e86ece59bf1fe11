// SPDX-License-Identifier: Apache-2.0
// A directory laid out like /proc, for the code that reads /proc through ProcFs.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::testing_support {

// The old dev_t encoding of /proc/PID/stat's tty_nr.
constexpr std::uint32_t encode_tty_nr(std::uint32_t major, std::uint32_t minor) {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

// A process as /proc would show it.
struct FakeProcess {
  std::uint32_t pid = 0;
  std::uint32_t ppid = 1;
  std::string comm = "fake";
  char state = 'S';
  std::uint32_t tty_nr = 0;
  std::uint64_t start_ticks = 1000;
  std::optional<std::string> exe = "/usr/bin/fake";
  std::vector<std::string> cmdline = {"fake", "--flag"};
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::string cgroup = "0::/system.slice/fake.service\n";
};

// /proc/PID/stat text with every field up to rsslim; starttime is field 22.
inline std::string stat_text(const FakeProcess& p) {
  std::ostringstream s;
  s << p.pid << " (" << p.comm << ") " << p.state << ' ' << p.ppid << ' ' << p.pid  // pgrp
    << ' ' << p.pid                                                                 // session
    << ' ' << p.tty_nr << " -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 " << p.start_ticks
    << " 1234567 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  return s.str();
}

// A temporary /proc-like tree, removed when the test ends.
class FakeProc {
 public:
  FakeProc() {
    std::string tmpl = ::testing::TempDir() + "sousveil-proc-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    m_root = tmpl;
  }
  ~FakeProc() {
    std::error_code ec;
    std::filesystem::remove_all(m_root, ec);
  }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;

  const std::filesystem::path& root() const { return m_root; }
  std::filesystem::path dir(std::uint32_t pid) const { return m_root / std::to_string(pid); }

  void given_process(const FakeProcess& p) {
    auto d = dir(p.pid);
    std::filesystem::create_directories(d / "fd");
    std::filesystem::create_directories(d / "fdinfo");
    write(d / "stat", stat_text(p));
    std::string cmd;
    for (const auto& a : p.cmdline) {
      cmd += a;
      cmd.push_back('\0');
    }
    write(d / "cmdline", cmd);
    write(d / "status", "Name:\t" + p.comm + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" +
                            std::to_string(p.pid) + "\nPid:\t" + std::to_string(p.pid) +
                            "\nPPid:\t" + std::to_string(p.ppid) + "\nUid:\t" +
                            std::to_string(p.uid) + "\t" + std::to_string(p.euid) + "\t" +
                            std::to_string(p.euid) + "\t" + std::to_string(p.euid) +
                            "\nGid:\t0\t0\t0\t0\n");
    write(d / "cgroup", p.cgroup);
    if (p.exe) std::filesystem::create_symlink(*p.exe, d / "exe");
  }

  // fd N of the process points at target; flags_octal is fdinfo's "flags:" value.
  void given_fd(std::uint32_t pid, int fd, const std::filesystem::path& target,
                std::optional<std::string_view> flags_octal = std::nullopt) {
    std::filesystem::create_symlink(target, dir(pid) / "fd" / std::to_string(fd));
    if (flags_octal)
      write(dir(pid) / "fdinfo" / std::to_string(fd),
            "pos:\t0\nflags:\t" + std::string(*flags_octal) + "\nmnt_id:\t25\nino:\t5\n");
  }

  void remove_fd(std::uint32_t pid, int fd) {
    std::filesystem::remove(dir(pid) / "fd" / std::to_string(fd));
    std::filesystem::remove(dir(pid) / "fdinfo" / std::to_string(fd));
  }

  void remove_process(std::uint32_t pid) { std::filesystem::remove_all(dir(pid)); }

  static void write(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }

 private:
  std::filesystem::path m_root;
};

// True when path is a character device with this number on this machine.
inline bool is_char_device(const std::filesystem::path& path, std::uint32_t major_nr,
                           std::uint32_t minor_nr) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == major_nr &&
         minor(st.st_rdev) == minor_nr;
}

}  // namespace sousveil::testing_support
