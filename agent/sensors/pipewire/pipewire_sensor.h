// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "enrich/procfs.h"
#include "sensors/pipewire/capture_graph.h"
#include "sensors/user_sensor.h"

namespace sousveil::pipewire {

struct PipewireSensorOptions {
  // Where users' runtime directories are; each may hold a daemon's socket.
  std::filesystem::path runtime_root = "/run/user";
  std::string socket_name = "pipewire-0";
  std::filesystem::path proc_root = "/proc";
  // How often runtime_root is looked at for daemons that started or stopped.
  std::chrono::milliseconds scan_interval{3000};
};

// Follows the registry of every PipeWire daemon under runtime_root and
// reports the clients that own capture streams (Stream/Input/Audio and
// Stream/Input/Video), named by the pid the daemon took from the socket, and
// what feeds them (camera, screen, microphone, what the computer plays).
// Each daemon's loop fd sits on the io_context; no thread of its own.
class PipewireSensor final : public UserSensor {
 public:
  explicit PipewireSensor(PipewireSensorOptions options = {});
  ~PipewireSensor() override;

  std::string_view name() const override { return "pipewire"; }
  Result<void> start(boost::asio::io_context& io, Emit emit) override;
  void stop() override;
  SensorStatus health() const override;

  struct Daemon;  // one connection to one daemon (pipewire_sensor.cpp)
  // Sockets followed now.
  std::vector<std::string> followed() const;

 private:
  friend struct Daemon;
  void scan();
  void arm_scan();
  void lost(const std::string& socket, std::string reason);
  void emit_capture(const CaptureGraph::Capture& capture);

  PipewireSensorOptions m_options;
  ProcFs m_procfs;
  boost::asio::io_context* m_io = nullptr;
  Emit m_emit;
  std::map<std::string, std::unique_ptr<Daemon>> m_daemons;  // by socket
  std::map<std::string, std::string> m_failures;  // socket -> why it is not followed
  std::unique_ptr<boost::asio::steady_timer> m_scan;
  std::shared_ptr<int> m_alive;
};

}  // namespace sousveil::pipewire
