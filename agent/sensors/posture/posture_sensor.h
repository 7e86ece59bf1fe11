// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sensors/posture/posture_scanner.h"
#include "sensors/user_sensor.h"

namespace sousveil::posture {

struct SensorOptions {
  std::filesystem::path root = "/";
  std::chrono::milliseconds interval{std::chrono::minutes(10)};
  // After an inotify change, wait this long for the rest of it (editors and
  // dpkg write several files) before rescanning.
  std::chrono::milliseconds settle{200};
  std::vector<std::filesystem::path> catalog_sources;  // empty: the shipped catalog
};

// The posture scanner as a sensor: scans at start, on a timer and when a
// watched directory changes, and emits one event per finding that appears,
// changes or goes away.
class PostureSensor final : public UserSensor {
 public:
  explicit PostureSensor(SensorOptions options);
  ~PostureSensor() override;

  std::string_view name() const override { return "posture"; }
  Result<void> start(boost::asio::io_context& io, Emit emit) override;
  void stop() override;
  SensorStatus health() const override;

 private:
  void rescan(std::string_view why);
  void watch_dirs();
  void read_inotify();
  void arm_timer();
  void arm_settle();

  SensorOptions m_options;
  std::optional<Scanner> m_scanner;
  Diff m_diff;
  Emit m_emit;
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_inotify;
  std::unique_ptr<boost::asio::steady_timer> m_timer;
  std::unique_ptr<boost::asio::steady_timer> m_settle;
  bool m_settle_armed = false;
  std::map<int, std::filesystem::path> m_watches;  // wd -> directory
  std::array<char, 16384> m_buf{};
  std::set<std::string> m_errors;  // of the last scan, logged when new
  std::string m_catalog_error;
  std::string m_inotify_error;
  std::uint64_t m_scans = 0;
  double m_last_scan_ms = 0;
  bool m_running = false;
};

}  // namespace sousveil::posture
