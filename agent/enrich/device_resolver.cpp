// SPDX-License-Identifier: Apache-2.0
#include "enrich/device_resolver.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <string>

namespace sousveil {
namespace {

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The node as the process saw it: through its root and cwd while it lives.
bool stat_as_process(const ProcFs& procfs, std::uint32_t pid, const std::string& path, struct stat& st) {
  std::string pid_dir = (procfs.root() / std::to_string(pid)).string();
  std::string through = path.starts_with("/") ? pid_dir + "/root" + path : pid_dir + "/cwd/" + path;
  if (::stat(through.c_str(), &st) == 0) return true;
  return path.starts_with("/") && ::stat(path.c_str(), &st) == 0;
}

}  // namespace

bool resolve_device(RawEvent& ev, const ProcFs& procfs, const DeviceClassTable& table) {
  auto& d = ev.device();
  if (d.err != 0 && d.device_class == DeviceClass::None) {
    struct stat st {};
    if (!d.path.empty() && stat_as_process(procfs, ev.process.pid, d.path, st)) {
      if (!S_ISCHR(st.st_mode)) return false;
      d.major = major(st.st_rdev);
      d.minor = minor(st.st_rdev);
      d.device_class = table.classify(d.major, d.minor);
    } else {
      d.device_class = classify_dev_path(d.path);
    }
    if (d.device_class == DeviceClass::None) return false;
  }
  if (d.path.empty() && d.fd >= 0) {
    // A held fd (snapshot): the path it was opened by, while the process lives.
    std::error_code ec;
    auto link = procfs.root() / std::to_string(ev.process.pid) / "fd" / std::to_string(d.fd);
    d.path = std::filesystem::read_symlink(link, ec).string();
  }
  if (d.name.empty()) d.name = basename_of(d.path);
  d.detail = device_detail(d.device_class, d.name);
  return true;
}

}  // namespace sousveil
