// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/event.h"
#include "model/sensor_status.h"

namespace sousveil {

struct AgentOptions;

// A sensor outside the kernel (X11, D-Bus, PipeWire, posture, inotify): it
// observes and emits typed events on the agent's io_context, and never decides
// what is bad. It owns its reconnects and reports them through health().
class UserSensor {
 public:
  using Emit = std::function<void(RawEvent&&)>;
  virtual ~UserSensor() = default;

  virtual std::string_view name() const = 0;
  // Begins watching. An error says exactly why nothing can be seen; a sensor
  // that can see part of what it covers (one display of two) starts and says
  // so in health().
  virtual Result<void> start(boost::asio::io_context& io, Emit emit) = 0;
  // Safe to call more than once, and without start().
  virtual void stop() = 0;
  // Now: running and what it watches, or why not. Polled once a second; a
  // change is logged, stored and shown.
  virtual SensorStatus health() const = 0;
};

// The user-space sensors the agent runs with these options, in start order.
// Each sensor adds itself here (agent/core/user_sensors.cpp).
std::vector<std::unique_ptr<UserSensor>> make_user_sensors(const AgentOptions& options);

}  // namespace sousveil
