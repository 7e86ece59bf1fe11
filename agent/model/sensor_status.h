// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace sousveil {

enum class SensorState { Running, Done, Failed, Disabled };
std::string_view to_string(SensorState s);

struct SensorStatus {
  std::string name;
  SensorState state = SensorState::Disabled;
  std::string detail;  // what it does, or exactly why it is not running

  bool operator==(const SensorStatus&) const = default;
};

}  // namespace sousveil
