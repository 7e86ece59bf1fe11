// SPDX-License-Identifier: Apache-2.0
// The X11 sensor: on every local X display, records the capture-relevant
// requests of all other clients with the RECORD extension and names each
// client's process with X-Resource QueryClientIds.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "sensors/user_sensor.h"
#include "sensors/x11/display_finder.h"
#include "sensors/x11/rate_folder.h"

namespace sousveil {

struct X11SensorOptions {
  x11::FinderRoots roots;
  // Repeats of one (client, request) are folded into one event per interval.
  std::chrono::milliseconds fold_interval{1000};
  // Reconnect backoff after a display fails or its server goes away.
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{5000};
};

class X11Display;

class X11Sensor final : public UserSensor {
 public:
  explicit X11Sensor(X11SensorOptions options = {});
  ~X11Sensor() override;

  std::string_view name() const override { return "x11"; }
  Result<void> start(boost::asio::io_context& io, Emit emit) override;
  void stop() override;
  SensorStatus health() const override;

 private:
  void arm_tick();
  void tick();
  void discover();
  void emit_folded(std::uint64_t now_ns);

  X11SensorOptions m_options;
  boost::asio::io_context* m_io = nullptr;
  Emit m_emit;
  std::unique_ptr<boost::asio::steady_timer> m_timer;
  x11::RateFolder m_folder;
  std::map<int, std::unique_ptr<X11Display>> m_displays;
  bool m_running = false;
};

}  // namespace sousveil
