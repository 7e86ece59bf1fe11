// SPDX-License-Identifier: Apache-2.0
// The posture checks on fixture trees built in a temporary directory: each
// with and without its finding, odd files, and the diff between scans.
#include "sensors/posture/posture_scanner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/fake_proc.h"

namespace sousveil::posture {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using testing_support::FakeProcess;
using testing_support::stat_text;

// A temporary tree laid out like /.
class Tree {
 public:
  Tree() {
    std::string tmpl = ::testing::TempDir() + "sousveil-posture-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    m_root = tmpl;
    fs::create_directories(m_root / "proc");
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }
  const fs::path& root() const { return m_root; }

  void write(const std::string& abs, std::string_view text) {
    auto p = m_root / fs::path(abs).relative_path();
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  void link(const std::string& abs, const std::string& target) {
    auto p = m_root / fs::path(abs).relative_path();
    fs::create_directories(p.parent_path());
    fs::create_symlink(target, p);
  }
  void remove(const std::string& abs) { fs::remove_all(m_root / fs::path(abs).relative_path()); }

  void given_process(const FakeProcess& p, std::string_view environ = {}) {
    auto d = "/proc/" + std::to_string(p.pid);
    write(d + "/stat", stat_text(p));
    write(d + "/status", "Name:\t" + p.comm + "\nUid:\t" + std::to_string(p.uid) + "\t" + std::to_string(p.euid) +
                             "\t0\t0\n");
    write(d + "/cgroup", p.cgroup);
    write(d + "/environ", environ);
    fs::create_directories(m_root / fs::path(d).relative_path() / "fd");
    if (p.exe) link(d + "/exe", *p.exe);
  }

  ScanResult run(Check check, const catalog::Catalog* cat = nullptr, std::size_t max_bytes = 4U << 20) {
    ScannerOptions o;
    o.root = m_root;
    o.max_file_bytes = max_bytes;
    ScanResult r;
    run_check(check, o, cat, r);
    return r;
  }

 private:
  fs::path m_root;
};

std::vector<Finding> of_check(const ScanResult& r, std::string_view check) {
  std::vector<Finding> out;
  std::copy_if(r.findings.begin(), r.findings.end(), std::back_inserter(out),
               [&](const Finding& f) { return f.check == check; });
  return out;
}

bool error_names(const ScanResult& r, std::string_view path) {
  return std::any_of(r.errors.begin(), r.errors.end(), [&](const ScanError& e) { return e.path == path; });
}

std::shared_ptr<const catalog::Catalog> test_catalog() {
  catalog::Product vnc;
  vnc.id = "x11vnc";
  vnc.name = "x11vnc";
  vnc.executables = {"/usr/bin/x11vnc"};
  vnc.packages = {"x11vnc"};
  catalog::Product any;
  any.id = "anydesk";
  any.name = "AnyDesk";
  any.units = {"anydesk.service"};
  any.autostart = {"anydesk.desktop"};
  catalog::Product track;
  track.id = "activtrak";
  track.name = "ActivTrak";
  track.browser_extensions = {"abcdefghijklmnopabcdefghijklmnop"};
  return std::make_shared<const catalog::Catalog>(std::vector<catalog::Product>{vnc, any, track});
}

// --- each check, with and without its finding ------------------------------

TEST(PostureLdSoPreload, ListsThePreloadedLibraries) {
  Tree t;
  EXPECT_TRUE(t.run(Check::LdSoPreload).findings.empty()) << "no file, no finding";
  t.write("/etc/ld.so.preload", "");
  EXPECT_TRUE(t.run(Check::LdSoPreload).findings.empty()) << "an empty file preloads nothing";
  t.write("/etc/ld.so.preload", "/usr/lib/libhook.so:/opt/x/libspy.so\n# note\n");
  auto r = t.run(Check::LdSoPreload);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].check, "ld-so-preload");
  EXPECT_EQ(r.findings[0].subject, "/etc/ld.so.preload");
  EXPECT_NE(r.findings[0].detail.find("/usr/lib/libhook.so /opt/x/libspy.so"), std::string::npos) << r.findings[0].detail;
  EXPECT_EQ(r.findings[0].level, PostureLevel::Running);
}

TEST(PostureLdPreloadProcess, FindsPreloadAndAuditInEnvironments) {
  Tree t;
  t.given_process({.pid = 100, .comm = "bash"}, "HOME=/root\0PATH=/bin\0"s);
  EXPECT_TRUE(t.run(Check::LdPreloadProcess).findings.empty());
  t.given_process({.pid = 200, .comm = "victim", .start_ticks = 4242, .uid = 1000},
                  "A=1\0LD_PRELOAD=/tmp/libhook.so\0LD_AUDIT=/tmp/a.so\0"s);
  t.given_process({.pid = 300, .comm = "empty"}, "LD_PRELOAD=\0"s);
  auto r = t.run(Check::LdPreloadProcess);
  ASSERT_EQ(r.findings.size(), 1U);
  const auto& f = r.findings[0];
  EXPECT_EQ(f.subject, "pid 200 (victim)");
  EXPECT_EQ(f.detail, "LD_PRELOAD=/tmp/libhook.so LD_AUDIT=/tmp/a.so");
  EXPECT_EQ(f.pid, 200U);
  EXPECT_EQ(f.start_ticks, 4242U);
  EXPECT_EQ(f.uid, 1000U);
}

TEST(PosturePamTtyAudit, OnlyEnableLinesCount) {
  Tree t;
  t.write("/etc/pam.d/login", "session required pam_unix.so\n# session required pam_tty_audit.so enable=*\n");
  t.write("/etc/pam.d/su", "session required pam_tty_audit.so disable=*\n");
  EXPECT_TRUE(t.run(Check::PamTtyAudit).findings.empty());
  t.write("/etc/pam.d/sshd", "session   required\tpam_tty_audit.so enable=* log_passwd  # audit\n");
  auto r = t.run(Check::PamTtyAudit);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].subject, "/etc/pam.d/sshd");
  EXPECT_EQ(r.findings[0].detail, "session required pam_tty_audit.so enable=* log_passwd");
}

TEST(PostureSudoIoLog, DefaultsAndTags) {
  Tree t;
  t.write("/etc/sudoers", "Defaults env_reset\nDefaults !log_output\n#includedir /etc/sudoers.d\nroot ALL=(ALL) ALL\n"
                          "alice ALL = NOLOG_INPUT: ALL\n");
  EXPECT_TRUE(t.run(Check::SudoIoLog).findings.empty());
  t.write("/etc/sudoers.d/audit", "Defaults:alice log_input, \\\n   log_output\n");
  t.write("/etc/sudoers.d/skipped.conf", "Defaults log_output\n");  // sudo ignores names with a dot
  t.write("/etc/sudoers.d/tags", "bob ALL = (root) LOG_OUTPUT: /usr/bin/vi\n");
  auto r = t.run(Check::SudoIoLog);
  ASSERT_EQ(r.findings.size(), 2U);
  EXPECT_EQ(r.findings[0].subject, "/etc/sudoers.d/audit");
  EXPECT_EQ(r.findings[0].detail, "Defaults:alice log_input, log_output");
  EXPECT_EQ(r.findings[1].subject, "/etc/sudoers.d/tags");
}

TEST(PostureTlog, LoginShellConfigAndShells) {
  Tree t;
  t.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n");
  EXPECT_TRUE(t.run(Check::TlogShell).findings.empty());
  t.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/usr/bin/tlog-rec-session\n");
  t.write("/etc/tlog/tlog-rec-session.conf", "{\n  // comment\n  \"writer\": \"journal\"\n}\n");
  t.write("/etc/shells", "/bin/bash\n/usr/bin/tlog-rec-session\n");
  auto r = t.run(Check::TlogShell);
  auto shell = of_check(r, "tlog-shell");
  ASSERT_EQ(shell.size(), 1U);
  EXPECT_EQ(shell[0].subject, "passwd: alice");
  EXPECT_NE(shell[0].detail.find("records to journal"), std::string::npos) << shell[0].detail;
  EXPECT_EQ(shell[0].level, PostureLevel::Installed);
  EXPECT_EQ(of_check(r, "tlog-available").size(), 1U);
  // A recorder running as alice: her sessions are being recorded now.
  t.given_process({.pid = 77, .comm = "tlog-rec-sessio", .uid = 1000});
  EXPECT_EQ(of_check(t.run(Check::TlogShell), "tlog-shell")[0].level, PostureLevel::Capturing);
  t.write("/etc/sssd/sssd.conf", "[sssd]\ndomains = x\n[session_recording]\nscope = all\n");
  EXPECT_EQ(of_check(t.run(Check::TlogShell), "tlog-shell").size(), 2U);
}

TEST(PostureAuditd, ExecveAndTtyWatches) {
  Tree t;
  t.write("/etc/audit/rules.d/base.rules", "-D\n-b 8192\n-a never,exit -S execve\n-w /etc/shadow -p wa\n");
  EXPECT_TRUE(t.run(Check::AuditdTty).findings.empty());
  t.write("/etc/audit/rules.d/exec.rules", "-a always,exit -F arch=b64 -S openat,execve -k exec\n-w /dev/pts -p r\n");
  t.write("/etc/audit/rules.d/notes.txt", "-a always,exit -S execve\n");  // not a .rules file
  auto r = t.run(Check::AuditdTty);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].subject, "/etc/audit/rules.d/exec.rules");
  EXPECT_EQ(r.findings[0].detail, "-a always,exit -F arch=b64 -S openat,execve -k exec; -w /dev/pts -p r");
  EXPECT_EQ(r.findings[0].level, PostureLevel::Installed);
  t.given_process({.pid = 50, .comm = "auditd"});
  EXPECT_EQ(t.run(Check::AuditdTty).findings[0].level, PostureLevel::Running);
}

TEST(PostureEnterpriseCa, LocalAndUnlistedCertificates) {
  Tree t;
  t.write("/etc/ca-certificates.conf", "# comment\nmozilla/Good_Root.crt\n!mozilla/Removed.crt\n");
  t.write("/usr/share/ca-certificates/mozilla/Good_Root.crt", "PEM");
  t.link("/etc/ssl/certs/Good_Root.pem", "/usr/share/ca-certificates/mozilla/Good_Root.crt");
  t.link("/etc/ssl/certs/abcdef01.0", "Good_Root.pem");
  t.write("/etc/ssl/certs/ca-certificates.crt", "bundle");
  EXPECT_TRUE(t.run(Check::EnterpriseCa).findings.empty());

  t.write("/usr/local/share/ca-certificates/corp/proxy.crt", "PEM");
  t.link("/etc/ssl/certs/proxy.pem", "/usr/local/share/ca-certificates/corp/proxy.crt");
  t.write("/usr/local/share/ca-certificates/pending.crt", "PEM");
  t.link("/etc/ssl/certs/Removed.pem", "/usr/share/ca-certificates/mozilla/Removed.crt");
  t.write("/etc/ssl/certs/dropped.pem", "PEM");
  auto r = t.run(Check::EnterpriseCa);
  ASSERT_EQ(r.findings.size(), 4U);
  std::map<std::string, std::string> by_subject;
  for (const auto& f : r.findings) by_subject[f.subject] = f.detail;
  EXPECT_EQ(by_subject["/usr/local/share/ca-certificates/corp/proxy.crt"],
            "local certificate authority trusted system-wide");
  EXPECT_NE(by_subject["/usr/local/share/ca-certificates/pending.crt"].find("once update-ca-certificates runs"),
            std::string::npos);
  EXPECT_NE(by_subject["/etc/ssl/certs/Removed.pem"].find("not from the ca-certificates list"), std::string::npos);
  EXPECT_EQ(by_subject["/etc/ssl/certs/dropped.pem"], "certificate placed directly in the system store");
}

TEST(PostureNssDb, PresenceInHomesAndSystem) {
  Tree t;
  t.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
                         "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n");
  fs::create_directories(t.root() / "home/alice");
  EXPECT_TRUE(t.run(Check::NssDb).findings.empty());
  t.write("/home/alice/.pki/nssdb/cert9.db", "SQLite format 3");
  t.write("/etc/pki/nssdb/cert8.db", "old");
  auto r = t.run(Check::NssDb);
  ASSERT_EQ(r.findings.size(), 2U);
  EXPECT_EQ(r.findings[0].subject, "/etc/pki/nssdb");
  EXPECT_EQ(r.findings[1].subject, "/home/alice/.pki/nssdb");
}

TEST(PostureBrowserPolicy, ChromeChromiumFirefox) {
  Tree t;
  auto cat = test_catalog();
  t.write("/etc/opt/chrome/policies/managed/other.json", R"({"HomepageLocation": "https://intranet"})");
  t.write("/etc/firefox/policies/policies.json",
          R"({"policies": {"ExtensionSettings": {"*": {"installation_mode": "blocked"}, "a@b": {"installation_mode": "allowed"}}}})");
  EXPECT_TRUE(t.run(Check::BrowserPolicy, cat.get()).findings.empty());

  t.write("/etc/opt/chrome/policies/managed/corp.json",
          R"({"ExtensionInstallForcelist": ["abcdefghijklmnopabcdefghijklmnop;https://clients2.google.com/service/update2/crx"]})");
  t.write("/etc/chromium/policies/managed/x.json",
          R"({"ExtensionSettings": {"zzzz": {"installation_mode": "force_installed", "update_url": "u"}}})");
  t.write("/usr/lib/firefox-esr/distribution/policies.json",
          R"({"policies": {"ExtensionSettings": {"spy@corp": {"installation_mode": "force_installed"}},
              "Certificates": {"Install": ["corp.der"]}}})");
  auto r = t.run(Check::BrowserPolicy, cat.get());
  auto forced = of_check(r, "browser-forced-extension");
  ASSERT_EQ(forced.size(), 3U);
  EXPECT_EQ(forced[0].subject, "/etc/opt/chrome/policies/managed/corp.json");
  EXPECT_EQ(forced[0].detail, "ExtensionInstallForcelist: abcdefghijklmnopabcdefghijklmnop (ActivTrak)");
  EXPECT_EQ(forced[1].detail, "ExtensionSettings force-installs zzzz");
  EXPECT_EQ(forced[2].subject, "/usr/lib/firefox-esr/distribution/policies.json");
  auto ca = of_check(r, "enterprise-ca");
  ASSERT_EQ(ca.size(), 1U);
  EXPECT_EQ(ca[0].detail, "Firefox installs corp.der");
  EXPECT_TRUE(r.errors.empty());
}

TEST(PostureProducts, PackagesUnitsAutostartAndProcesses) {
  Tree t;
  auto cat = test_catalog();
  t.write("/var/lib/dpkg/status",
          "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\n"
          "Package: x11vnc\nStatus: deinstall ok config-files\nVersion: 0.9\n\n");
  EXPECT_TRUE(t.run(Check::Products, cat.get()).findings.empty()) << "removed packages do not count";
  t.write("/var/lib/dpkg/status",
          "Package: x11vnc\nStatus: install ok installed\nPriority: optional\nVersion: 0.9.16-9\n"
          "Description: VNC server\n multi-line\n\nPackage: zsh\nStatus: install ok installed\n");
  t.write("/lib/systemd/system/anydesk.service", "[Unit]\n");
  t.write("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/bash\n");
  t.write("/home/alice/.config/autostart/anydesk.desktop", "[Desktop Entry]\n");
  t.given_process({.pid = 321, .comm = "x11vnc", .exe = "/usr/bin/x11vnc", .cgroup = "0::/user.slice/x.scope\n"});
  t.given_process({.pid = 322, .comm = "bash", .exe = "/usr/bin/bash"});
  auto r = t.run(Check::Products, cat.get());
  auto installed = of_check(r, "product-installed");
  ASSERT_EQ(installed.size(), 2U);
  EXPECT_EQ(installed[0].subject, "x11vnc");
  EXPECT_EQ(installed[0].detail, "x11vnc: package x11vnc 0.9.16-9");
  EXPECT_EQ(installed[1].subject, "anydesk");
  EXPECT_NE(installed[1].detail.find("unit /lib/systemd/system/anydesk.service"), std::string::npos);
  EXPECT_NE(installed[1].detail.find("autostart /home/alice/.config/autostart/anydesk.desktop"), std::string::npos);
  auto running = of_check(r, "product-running");
  ASSERT_EQ(running.size(), 1U);
  EXPECT_EQ(running[0].pid, 321U);
  EXPECT_EQ(running[0].level, PostureLevel::Running);
  EXPECT_NE(running[0].detail.find("x11vnc (x11vnc): /usr/bin/x11vnc"), std::string::npos);
}

TEST(PostureProducts, NoCatalogIsSaid) {
  Tree t;
  auto r = t.run(Check::Products, nullptr);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(error_names(r, "product catalog"));
}

constexpr std::string_view kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

TEST(PostureRemoteView, ListenersWithOwnersAndViewers) {
  Tree t;
  // sshd on 22 and a client connected to someone else's VNC: neither counts.
  t.write("/proc/net/tcp", std::string(kTcpHeader) +
                               "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1\n"
                               "   1: 0100007F:C000 0200000A:170C 01 00000000:00000000 00:00000000 00000000     0        0 1112 1\n");
  t.write("/proc/net/tcp6", std::string(kTcpHeader));
  EXPECT_TRUE(t.run(Check::RemoteViewService).findings.empty());

  t.write("/proc/net/tcp", std::string(kTcpHeader) +
                               "   0: 00000000:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1\n");
  t.write("/proc/net/tcp6", std::string(kTcpHeader) +
                                "   0: 00000000000000000000000000000000:1B9E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7777 1\n");
  t.given_process({.pid = 4242, .comm = "x11vnc", .exe = "/usr/bin/x11vnc"});
  t.link("/proc/4242/fd/3", "socket:[5555]");
  t.link("/proc/4242/fd/4", "/dev/null");
  auto r = t.run(Check::RemoteViewService);
  ASSERT_EQ(r.findings.size(), 2U);
  const auto& vnc = r.findings[0];
  EXPECT_EQ(vnc.subject, "tcp port 5900");
  EXPECT_EQ(vnc.detail, "VNC listening on 0.0.0.0:5900 by x11vnc (pid 4242, /usr/bin/x11vnc)");
  EXPECT_EQ(vnc.pid, 4242U);
  EXPECT_EQ(vnc.level, PostureLevel::Running);
  EXPECT_EQ(r.findings[1].subject, "tcp port 7070");
  EXPECT_NE(r.findings[1].detail.find("AnyDesk listening on [0:0:0:0:0:0:0:0]:7070 (owner not found)"),
            std::string::npos)
      << r.findings[1].detail;

  // A viewer connected from 10.0.0.7: capturing now.
  t.write("/proc/net/tcp", std::string(kTcpHeader) +
                               "   0: 00000000:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1\n"
                               "   1: 0100007F:170C 0700000A:C822 01 00000000:00000000 00:00000000 00000000     0        0 5556 1\n");
  auto r2 = t.run(Check::RemoteViewService);
  EXPECT_EQ(r2.findings[0].level, PostureLevel::Capturing);
  EXPECT_NE(r2.findings[0].detail.find("connected now from 10.0.0.7:51234"), std::string::npos) << r2.findings[0].detail;
}

// --- odd files ----------------------------------------------------------------

TEST(PostureOddFiles, BadJsonIsNamedAndTheScanGoesOn) {
  Tree t;
  t.write("/etc/opt/chrome/policies/managed/broken.json", "{\"ExtensionInstallForcelist\": [\"abc\",");
  t.write("/etc/opt/chrome/policies/managed/good.json", R"({"ExtensionInstallForcelist": ["goodid"]})");
  t.write("/etc/firefox/policies/policies.json", "[1, 2]");
  auto r = t.run(Check::BrowserPolicy);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].subject, "/etc/opt/chrome/policies/managed/good.json");
  ASSERT_TRUE(error_names(r, "/etc/opt/chrome/policies/managed/broken.json"));
  EXPECT_TRUE(error_names(r, "/etc/firefox/policies/policies.json"));
  for (const auto& e : r.errors) {
    if (e.path.ends_with("broken.json")) {
      EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << e.message;
    }
  }

  // The whole scan: a bad policy file does not stop the other checks.
  t.write("/etc/ld.so.preload", "/lib/x.so\n");
  ScannerOptions o;
  o.root = t.root();
  auto all = Scanner(o, nullptr).scan();
  EXPECT_EQ(of_check(all, "ld-so-preload").size(), 1U);
  EXPECT_EQ(of_check(all, "browser-forced-extension").size(), 1U);
}

TEST(PostureOddFiles, BinaryGarbageDoesNotBreakParsing) {
  Tree t;
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  t.write("/etc/pam.d/garbage", garbage);
  t.write("/etc/sudoers", garbage);
  t.write("/etc/passwd", garbage);
  t.write("/var/lib/dpkg/status", garbage);
  t.write("/etc/audit/audit.rules", garbage);
  t.write("/proc/net/tcp", garbage);
  t.write("/etc/ld.so.preload", "/lib/libx.so\n" + garbage);
  ScannerOptions o;
  o.root = t.root();
  auto r = Scanner(o, test_catalog()).scan();
  auto pre = of_check(r, "ld-so-preload");
  ASSERT_EQ(pre.size(), 1U);
  EXPECT_NE(pre[0].detail.find("/lib/libx.so"), std::string::npos);
  EXPECT_TRUE(of_check(r, "pam-tty-audit").empty());
  EXPECT_TRUE(of_check(r, "sudo-io-log").empty());
  EXPECT_TRUE(of_check(r, "remote-view-service").empty());
}

TEST(PostureOddFiles, HugeLinesAndFilesAreBounded) {
  Tree t;
  std::string huge(200000, 'a');
  t.write("/etc/pam.d/sshd", "session required pam_tty_audit.so enable=* " + huge + "\n");
  auto r = t.run(Check::PamTtyAudit, nullptr, 64U << 10);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_LT(r.findings[0].detail.size(), 300U) << "a detail stays readable";
  ASSERT_TRUE(error_names(r, "/etc/pam.d/sshd")) << "a file over the limit is named";
  EXPECT_NE(r.errors[0].message.find("only the start was read"), std::string::npos);
}

TEST(PostureOddFiles, UnreadableDirectoryIsNamed) {
  // A symlink loop cannot be listed, even by root.
  Tree t;
  t.link("/etc/pam.d", "/etc/pam.d");
  fs::create_symlink("pam.d", t.root() / "etc/loop");
  fs::remove(t.root() / "etc/pam.d");
  fs::create_symlink("loop", t.root() / "etc/pam.d");
  auto r = t.run(Check::PamTtyAudit);
  EXPECT_TRUE(r.findings.empty());
  ASSERT_TRUE(error_names(r, "/etc/pam.d"));
  EXPECT_NE(r.errors[0].message.find("cannot list"), std::string::npos) << r.errors[0].message;
}

// --- the diff between scans ------------------------------------------------------

Finding finding(std::string check, std::string subject, std::string detail,
                PostureLevel level = PostureLevel::Installed) {
  Finding f;
  f.check = std::move(check);
  f.subject = std::move(subject);
  f.detail = std::move(detail);
  f.level = level;
  return f;
}

TEST(PostureDiff, NewChangedResolvedAndQuietRepeats) {
  Diff d;
  auto c1 = d.update({finding("ld-so-preload", "/etc/ld.so.preload", "a"), finding("nss-db", "/x", "db")});
  ASSERT_EQ(c1.size(), 2U);
  EXPECT_EQ(c1[0].state, PostureState::New);
  EXPECT_EQ(c1[1].state, PostureState::New);

  EXPECT_TRUE(d.update({finding("ld-so-preload", "/etc/ld.so.preload", "a"), finding("nss-db", "/x", "db")}).empty())
      << "the same findings again: nothing to say";

  auto c3 = d.update({finding("ld-so-preload", "/etc/ld.so.preload", "b"), finding("nss-db", "/x", "db")});
  ASSERT_EQ(c3.size(), 1U);
  EXPECT_EQ(c3[0].state, PostureState::Changed);
  EXPECT_EQ(c3[0].finding.detail, "b");

  auto c4 = d.update({finding("ld-so-preload", "/etc/ld.so.preload", "b"),
                      finding("nss-db", "/x", "db", PostureLevel::Running)});
  ASSERT_EQ(c4.size(), 1U) << "a level change is a change";
  EXPECT_EQ(c4[0].state, PostureState::Changed);

  auto c5 = d.update({finding("nss-db", "/x", "db", PostureLevel::Running)});
  ASSERT_EQ(c5.size(), 1U);
  EXPECT_EQ(c5[0].state, PostureState::Resolved);
  EXPECT_EQ(c5[0].finding.detail, "b") << "a resolved finding says what it was";
  EXPECT_EQ(d.size(), 1U);
}

TEST(PostureDiff, SameSubjectTwiceIsOneFinding) {
  Diff d;
  auto c = d.update({finding("pam-tty-audit", "/etc/pam.d/x", "one"), finding("pam-tty-audit", "/etc/pam.d/x", "two")});
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].finding.detail, "one; two");
}

TEST(PostureDiff, EventCarriesTheFindingAndItsProcess) {
  Finding f = finding("product-running", "pid 9 (x)", "x11vnc", PostureLevel::Running);
  f.pid = 9;
  f.comm = "x";
  f.uid = 1000;
  f.start_ticks = 100;
  auto ev = to_event({f, PostureState::Changed}, 123);
  EXPECT_EQ(ev.kind, EventKind::Posture);
  EXPECT_EQ(ev.source, EventSource::Posture);
  EXPECT_EQ(ev.ts_boot_ns, 123U);
  EXPECT_EQ(ev.process.pid, 9U);
  EXPECT_EQ(ev.process.uid, 1000U);
  const auto& info = std::get<PostureInfo>(ev.payload);
  EXPECT_EQ(info.state, PostureState::Changed);
  EXPECT_EQ(info.evidence(), "pid 9 (x): x11vnc");
  auto file = to_event({finding("nss-db", "/x", "db"), PostureState::New}, 1);
  EXPECT_EQ(file.process.pid, 0U) << "a file finding has no process";
}

TEST(PostureScanner, WatchPathsAreThoseThatExist) {
  Tree t;
  t.write("/etc/pam.d/x", "");
  t.write("/usr/lib/firefox/distribution/policies.json", "{}");
  ScannerOptions o;
  o.root = t.root();
  auto paths = Scanner(o, nullptr).watch_paths();
  auto has = [&](const std::string& rel) { return std::find(paths.begin(), paths.end(), t.root() / rel) != paths.end(); };
  EXPECT_TRUE(has("etc"));
  EXPECT_TRUE(has("etc/pam.d"));
  EXPECT_TRUE(has("usr/lib/firefox/distribution"));
  EXPECT_FALSE(has("etc/sudoers.d"));
}

}  // namespace
}  // namespace sousveil::posture
