// SPDX-License-Identifier: Apache-2.0
// The one place that lists the user-space sensors.
#include "core/agent.h"
#include "sensors/user_sensor.h"

namespace sousveil {

std::vector<std::unique_ptr<UserSensor>> make_user_sensors(const AgentOptions& options) {
  std::vector<std::unique_ptr<UserSensor>> sensors;
  (void)options;
  return sensors;
}

}  // namespace sousveil
