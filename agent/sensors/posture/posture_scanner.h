// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "model/event.h"

namespace sousveil::posture {

// One thing on disk or in /proc that means someone can record you.
struct Finding {
  std::string check;    // ld-so-preload, ld-preload-process, pam-tty-audit, sudo-io-log, tlog-shell,
                        // auditd-tty, enterprise-ca, nss-db, browser-forced-extension,
                        // product-installed, product-running, remote-view-service
  std::string subject;  // path, package, unit or "pid N (comm)": with check, what the finding is
  std::string detail;
  PostureLevel level = PostureLevel::Installed;
  // The process it is about, where there is one (0 for files and packages).
  std::uint32_t pid = 0;
  std::uint64_t start_ticks = 0;
  std::string comm;
  std::uint32_t uid = 0;
};

// A file or directory that could not be read or parsed: named, the scan goes on.
struct ScanError {
  std::string path;
  std::string message;
  std::string text() const { return path + ": " + message; }
};

// A process as the checks see it; /proc is listed once per scan.
struct ProcessEntry {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t start_ticks = 0;
  std::uint32_t uid = 0;
};

struct ScanResult {
  std::vector<Finding> findings;
  std::optional<std::vector<ProcessEntry>> processes;  // filled by the first check that needs it
  std::vector<ScanError> errors;
  std::uint64_t files_read = 0;
  std::uint64_t processes_read = 0;
};

struct ScannerOptions {
  std::filesystem::path root = "/";  // every path is read under it, /proc included
  std::uint32_t self_pid = 0;        // our own process, skipped
  std::size_t max_file_bytes = 4U << 20;  // a bigger file is read up to this and named in errors
};

// Reads the posture of a machine (or of a fixture tree laid out like one).
// Pure reads: no state between scans; PostureDiff keeps that.
class Scanner {
 public:
  Scanner(ScannerOptions options, std::shared_ptr<const catalog::Catalog> catalog);
  ScanResult scan() const;
  // Directories whose changes should trigger a rescan (relative to the root
  // is how they are shown; these are full paths under it). Only those that exist.
  std::vector<std::filesystem::path> watch_paths() const;
  const ScannerOptions& options() const { return m_options; }

 private:
  ScannerOptions m_options;
  std::shared_ptr<const catalog::Catalog> m_catalog;
};

// One check over the tree, for tests: the checks are independent.
enum class Check {
  LdSoPreload,
  LdPreloadProcess,
  PamTtyAudit,
  SudoIoLog,
  TlogShell,
  AuditdTty,
  EnterpriseCa,
  NssDb,
  BrowserPolicy,
  Products,
  RemoteViewService,
};
void run_check(Check check, const ScannerOptions& options, const catalog::Catalog* catalog, ScanResult& out);

// Turns successive scans into changes: a finding that appears is New, one
// whose detail or level changes is Changed, one that is gone is Resolved.
class Diff {
 public:
  struct Change {
    Finding finding;
    PostureState state;
  };
  std::vector<Change> update(const std::vector<Finding>& findings);
  std::size_t size() const { return m_known.size(); }

 private:
  std::map<std::pair<std::string, std::string>, Finding> m_known;  // (check, subject)
};

// The event a change becomes.
RawEvent to_event(const Diff::Change& change, std::uint64_t now_boot_ns);

}  // namespace sousveil::posture
