// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"

namespace sousveil {

struct DeviceWatchStats {
  std::uint64_t nodes = 0;   // device nodes watched now
  std::uint64_t opens = 0;   // opens seen
  std::uint64_t closes = 0;
  std::uint64_t overflows = 0;  // the kernel's inotify queue overflowed: opens were missed
};

// The no-eBPF mode's trigger: inotify IN_OPEN/IN_CLOSE on the sensitive
// device nodes (input, video, sound, vcs, hidraw, uinput, fb, dri), and on
// /dev for nodes that appear later. inotify does not say who opened a node,
// so the caller answers that by scanning /proc at once.
class DeviceWatch {
 public:
  using OnOpen = std::function<void(const std::string& path)>;
  DeviceWatch(boost::asio::io_context& io, std::filesystem::path dev_root, OnOpen on_open);
  ~DeviceWatch();

  Result<void> start();
  void stop();
  const DeviceWatchStats& stats() const { return m_stats; }

  // Whether a node under /dev (path relative to it: "input/event3", "vcs1") is watched.
  static bool is_sensitive_node(const std::string& relative);

 private:
  void add_dir(const std::filesystem::path& dir);
  void add_node(const std::filesystem::path& node);
  void read();

  boost::asio::io_context& m_io;
  std::filesystem::path m_root;
  OnOpen m_on_open;
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_fd;
  std::map<int, std::filesystem::path> m_nodes;  // wd -> node
  std::map<int, std::filesystem::path> m_dirs;   // wd -> directory watched for new nodes
  std::array<char, 16384> m_buf{};
  DeviceWatchStats m_stats;
};

}  // namespace sousveil
