// SPDX-License-Identifier: Apache-2.0
// The X11 sensor: on every local X display, records the capture-relevant
// requests of all other clients with the RECORD extension and names each
// client's process with X-Resource QueryClientIds.
//
// The X connections are served on a thread of their own, and events are
// posted to the agent's io_context: a client's pid can only be asked for
// while it is connected, and xwd or xdotool are gone within milliseconds, so a
// burst of kernel events on the agent's loop must not delay the question.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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
  SensorStatus compute_health() const;

  X11SensorOptions m_options;
  boost::asio::io_context m_x_io;  // the X connections' own loop
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
  std::thread m_thread;
  Emit m_emit;  // posts to the agent's io_context
  std::unique_ptr<boost::asio::steady_timer> m_timer;
  std::map<int, std::unique_ptr<X11Display>> m_displays;  // touched on the X thread only
  std::atomic<bool> m_running{false};
  mutable std::mutex m_health_mutex;
  SensorStatus m_health;  // refreshed on the X thread after each tick
};

}  // namespace sousveil
