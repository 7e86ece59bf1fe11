// SPDX-License-Identifier: Apache-2.0
// The one place that lists the user-space sensors.
#include "core/agent.h"
#include "sensors/posture/posture_sensor.h"
#include "sensors/dbus/dbus_sensor.h"
#include "sensors/pipewire/pipewire_sensor.h"
#include "sensors/user_sensor.h"
#include "sensors/x11/x11_sensor.h"

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
  X11SensorOptions x11;
  x11.roots.proc = options.proc_root;
  sensors.push_back(std::make_unique<X11Sensor>(std::move(x11)));
  dbus::DbusSensorOptions dbus_options;
  dbus_options.proc_root = options.proc_root;
  dbus_options.system_bus = options.dbus_system_bus;
  dbus_options.runtime_root = options.runtime_root;
  sensors.push_back(std::make_unique<dbus::DbusSensor>(std::move(dbus_options)));
  pipewire::PipewireSensorOptions pw_options;
  pw_options.runtime_root = options.runtime_root;
  pw_options.proc_root = options.proc_root;
  sensors.push_back(std::make_unique<pipewire::PipewireSensor>(std::move(pw_options)));
  return sensors;
}

}  // namespace sousveil
