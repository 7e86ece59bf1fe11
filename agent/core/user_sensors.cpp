// SPDX-License-Identifier: Apache-2.0
// The one place that lists the user-space sensors.
#include "core/agent.h"
#include "sensors/user_sensor.h"
#include "sensors/x11/x11_sensor.h"

namespace sousveil {

std::vector<std::unique_ptr<UserSensor>> make_user_sensors(const AgentOptions& options) {
  std::vector<std::unique_ptr<UserSensor>> sensors;
  X11SensorOptions x11;
  x11.roots.proc = options.proc_root;
  sensors.push_back(std::make_unique<X11Sensor>(std::move(x11)));
  return sensors;
}

}  // namespace sousveil
