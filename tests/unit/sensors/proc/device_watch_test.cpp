// SPDX-License-Identifier: Apache-2.0
#include "sensors/proc/device_watch.h"

#include <gtest/gtest.h>

namespace sousveil {
namespace {

struct NodeCase {
  const char* relative;
  bool watched;
};

class DeviceWatchNodes : public ::testing::TestWithParam<NodeCase> {};

TEST_P(DeviceWatchNodes, SensitiveNodesOnly) {
  EXPECT_EQ(DeviceWatch::is_sensitive_node(GetParam().relative), GetParam().watched) << GetParam().relative;
}

INSTANTIATE_TEST_SUITE_P(
    Dev, DeviceWatchNodes,
    ::testing::Values(NodeCase{"input/event3", true}, NodeCase{"input/mice", true}, NodeCase{"input/by-id", false},
                      NodeCase{"input/by-id/usb-kbd-event-kbd", false}, NodeCase{"video0", true},
                      NodeCase{"vcs", true}, NodeCase{"vcsa1", true}, NodeCase{"vcsu2", true},
                      NodeCase{"hidraw0", true}, NodeCase{"uinput", true}, NodeCase{"fb0", true},
                      NodeCase{"dri/card0", true}, NodeCase{"dri/renderD128", true}, NodeCase{"dri/by-path", false},
                      NodeCase{"snd/pcmC0D0c", true}, NodeCase{"snd/controlC0", true}, NodeCase{"null", false},
                      NodeCase{"tty1", false}, NodeCase{"pts/3", false}, NodeCase{"sda", false},
                      NodeCase{"shm/video0", false}),
    [](const auto& param_info) {
      std::string name;
      for (char c : std::string(param_info.param.relative)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

}  // namespace
}  // namespace sousveil
