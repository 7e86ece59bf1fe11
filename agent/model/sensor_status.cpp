// SPDX-License-Identifier: Apache-2.0
#include "model/sensor_status.h"

namespace sousveil {

std::string_view to_string(SensorState s) {
  switch (s) {
    case SensorState::Running: return "running";
    case SensorState::Done: return "done";
    case SensorState::Failed: return "failed";
    case SensorState::Disabled: return "disabled";
  }
  return "unknown";
}

}  // namespace sousveil
