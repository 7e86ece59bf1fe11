// SPDX-License-Identifier: Apache-2.0
#include "sensors/proc/device_watch.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;

auto log() {
  static auto logger = logging::get("device-watch");
  return logger;
}

constexpr std::uint32_t kNodeMask = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE;
constexpr std::uint32_t kDirMask = IN_CREATE | IN_MOVED_TO | IN_ONLYDIR;

// Directories under /dev whose nodes are all sensitive.
bool is_device_dir(const std::string& relative) {
  return relative == "input" || relative == "snd" || relative == "dri";
}

}  // namespace

bool DeviceWatch::is_sensitive_node(const std::string& rel) {
  auto slash = rel.find('/');
  if (slash != std::string::npos) {
    auto dir = rel.substr(0, slash), name = rel.substr(slash + 1);
    if (name.find('/') != std::string::npos || !is_device_dir(dir)) return false;
    if (dir == "input") return name != "by-id" && name != "by-path";
    if (dir == "dri") return name != "by-path";
    return name != "by-id" && name != "by-path";  // snd
  }
  for (std::string_view prefix : {"video", "vcs", "hidraw", "fb"})
    if (rel.starts_with(prefix)) return true;
  return rel == "uinput";
}

DeviceWatch::DeviceWatch(boost::asio::io_context& io, fs::path dev_root, OnOpen on_open)
    : m_io(io), m_root(std::move(dev_root)), m_on_open(std::move(on_open)) {}

DeviceWatch::~DeviceWatch() { stop(); }

Result<void> DeviceWatch::start() {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return make_error(std::string("inotify_init1: ") + std::strerror(errno));
  m_fd = std::make_unique<boost::asio::posix::stream_descriptor>(m_io, fd);
  add_dir(m_root);
  if (m_dirs.empty()) {
    stop();
    return make_error("cannot watch " + m_root.string() + " with inotify");
  }
  read();
  return {};
}

void DeviceWatch::stop() {
  if (!m_fd) return;
  boost::system::error_code ec;
  m_fd->close(ec);
  m_fd.reset();
  m_nodes.clear();
  m_dirs.clear();
  m_stats.nodes = 0;
}

void DeviceWatch::add_dir(const fs::path& dir) {
  int wd = inotify_add_watch(m_fd->native_handle(), dir.c_str(), kDirMask);
  if (wd < 0) {
    log()->warn("cannot watch {} for new device nodes: {}", dir.string(), std::strerror(errno));
    return;
  }
  m_dirs[wd] = dir;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto rel = e.path().lexically_relative(m_root).string();
    std::error_code e2;
    if (dir == m_root && e.is_directory(e2) && !e.is_symlink(e2) && is_device_dir(rel)) add_dir(e.path());
    else if (is_sensitive_node(rel)) add_node(e.path());
  }
}

void DeviceWatch::add_node(const fs::path& node) {
  struct stat st{};
  if (lstat(node.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return;
  int wd = inotify_add_watch(m_fd->native_handle(), node.c_str(), kNodeMask);
  if (wd < 0) {
    log()->debug("cannot watch {}: {}", node.string(), std::strerror(errno));
    return;
  }
  if (m_nodes.emplace(wd, node).second) m_stats.nodes = m_nodes.size();
}

void DeviceWatch::read() {
  m_fd->async_read_some(boost::asio::buffer(m_buf), [this](const boost::system::error_code& ec, std::size_t n) {
    if (ec || !m_fd) return;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(m_buf.data() + off);
      off += sizeof(inotify_event) + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        ++m_stats.overflows;
        log()->warn("inotify queue overflowed: some device opens were not seen; scanning /proc now");
        m_on_open({});
        continue;
      }
      if (auto it = m_nodes.find(e->wd); it != m_nodes.end()) {
        if (e->mask & IN_IGNORED) {  // node removed
          m_nodes.erase(it);
          m_stats.nodes = m_nodes.size();
        } else if (e->mask & IN_OPEN) {
          ++m_stats.opens;
          m_on_open(it->second.string());
        } else if (e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) {
          ++m_stats.closes;
        }
        continue;
      }
      if (auto it = m_dirs.find(e->wd); it != m_dirs.end() && e->len) {
        if (e->mask & IN_IGNORED) {
          m_dirs.erase(it);
          continue;
        }
        auto path = it->second / std::string(e->name, strnlen(e->name, e->len));
        auto rel = path.lexically_relative(m_root).string();
        if ((e->mask & IN_ISDIR) && it->second == m_root && is_device_dir(rel)) add_dir(path);
        else if (is_sensitive_node(rel)) add_node(path);
      }
    }
    read();
  });
}

}  // namespace sousveil
