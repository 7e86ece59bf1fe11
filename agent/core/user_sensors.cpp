// SPDX-License-Identifier: Apache-2.0
// The one place that lists the user-space sensors.
#include "core/agent.h"
#include "sensors/posture/posture_sensor.h"
#include "sensors/user_sensor.h"

namespace sousveil {

std::vector<std::unique_ptr<UserSensor>> make_user_sensors(const AgentOptions& options) {
  std::vector<std::unique_ptr<UserSensor>> sensors;
  if (options.use_posture) {
    posture::SensorOptions po;
    po.root = options.posture_root;
    po.interval = options.posture_interval;
    po.catalog_sources = options.catalog_sources;
    sensors.push_back(std::make_unique<posture::PostureSensor>(std::move(po)));
  }
  return sensors;
}

}  // namespace sousveil
