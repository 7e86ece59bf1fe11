// SPDX-License-Identifier: Apache-2.0
#include "model/device_class.h"

#include <gtest/gtest.h>

namespace sousveil {
namespace {

struct ClassCase {
  const char* name;
  std::uint32_t major;
  std::uint32_t minor;
  DeviceClass expected;
};

std::ostream& operator<<(std::ostream& os, const ClassCase& c) { return os << c.name; }

class DeviceClassTableTest : public ::testing::TestWithParam<ClassCase> {};

TEST_P(DeviceClassTableTest, ClassifiesByMajorAndMinor) {
  auto table = DeviceClassTable::standard(245);
  const auto& c = GetParam();
  EXPECT_EQ(table.classify(c.major, c.minor), c.expected)
      << c.major << ":" << c.minor << " gave " << to_string(table.classify(c.major, c.minor));
}

const ClassCase kCases[] = {
    {"InputEvent0", 13, 64, DeviceClass::Input},
    {"InputMice", 13, 63, DeviceClass::Input},
    {"InputJoystick", 13, 0, DeviceClass::Input},
    {"InputDynamicMinor", 13, 300, DeviceClass::Input},
    {"HidrawFromProcDevices", 245, 0, DeviceClass::Hidraw},
    {"UsbDevice", 189, 3, DeviceClass::Usb},
    {"Uinput", 10, 223, DeviceClass::Uinput},
    {"Uhid", 10, 239, DeviceClass::Uhid},
    {"OtherMiscIsNotSensitive", 10, 200, DeviceClass::None},
    {"Vcs", 7, 0, DeviceClass::Vcs},
    {"Vcsu1", 7, 65, DeviceClass::Vcs},
    {"Vcsa1", 7, 129, DeviceClass::Vcs},
    {"Tty0", 4, 0, DeviceClass::Tty},
    {"Tty63", 4, 63, DeviceClass::Tty},
    {"SerialIsNotATerminalToWatch", 4, 64, DeviceClass::None},
    {"Console", 5, 1, DeviceClass::Tty},
    {"DevTtyIsAlwaysOwn", 5, 0, DeviceClass::None},
    {"Ptmx", 5, 2, DeviceClass::None},
    {"PtsFirst", 136, 0, DeviceClass::Pty},
    {"PtsLastMajor", 143, 5, DeviceClass::Pty},
    {"Framebuffer", 29, 0, DeviceClass::Framebuffer},
    {"DrmCard", 226, 0, DeviceClass::Drm},
    {"DrmRender", 226, 128, DeviceClass::Drm},
    {"Video", 81, 0, DeviceClass::Video},
    {"Sound", 116, 24, DeviceClass::Sound},
    {"OssDsp", 14, 3, DeviceClass::Sound},
    {"Mem", 1, 1, DeviceClass::Mem},
    {"DevNull", 1, 3, DeviceClass::None},
    {"DevUrandom", 1, 9, DeviceClass::None},
};

INSTANTIATE_TEST_SUITE_P(Standard, DeviceClassTableTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DeviceClassTable, WithoutHidrawMajorLeavesThatMajorAlone) {
  auto table = DeviceClassTable::standard(std::nullopt);
  EXPECT_EQ(table.classify(245, 0), DeviceClass::None);
}

TEST(DeviceClassTable, RejectsAnOutOfRangeHidrawMajor) {
  auto table = DeviceClassTable::standard(5000);
  EXPECT_EQ(table.classify(5000, 0), DeviceClass::None);
}

TEST(ParseProcDevices, ReadsCharacterMajorsOnly) {
  auto majors = parse_proc_devices(
      "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n245 hidraw\n\n"
      "Block devices:\n  8 sd\n");
  EXPECT_EQ(majors.at("hidraw"), 245U);
  EXPECT_EQ(majors.at("mem"), 1U);
  EXPECT_EQ(majors.count("sd"), 0U);
}

TEST(ParseProcDevices, IgnoresGarbage) {
  auto majors = parse_proc_devices("Character devices:\nabc def\n12x bad\n");
  EXPECT_TRUE(majors.empty());
}

TEST(ClassifyDevPath, NamesClassesFromPaths) {
  EXPECT_EQ(classify_dev_path("/dev/input/event3"), DeviceClass::Input);
  EXPECT_EQ(classify_dev_path("/dev/video0"), DeviceClass::Video);
  EXPECT_EQ(classify_dev_path("/dev/snd/pcmC0D0c"), DeviceClass::Sound);
  EXPECT_EQ(classify_dev_path("/dev/dri/card0"), DeviceClass::Drm);
  EXPECT_EQ(classify_dev_path("/dev/uinput"), DeviceClass::Uinput);
  EXPECT_EQ(classify_dev_path("/dev/tty3"), DeviceClass::Tty);
  EXPECT_EQ(classify_dev_path("/dev/tty"), DeviceClass::None);
  EXPECT_EQ(classify_dev_path("/dev/null"), DeviceClass::None);
  EXPECT_EQ(classify_dev_path("/tmp/input/event3"), DeviceClass::None);
}

TEST(DeviceDetail, TellsCaptureFromPlayback) {
  EXPECT_EQ(device_detail(DeviceClass::Sound, "pcmC0D0c"), "capture");
  EXPECT_EQ(device_detail(DeviceClass::Sound, "pcmC1D3p"), "playback");
  EXPECT_EQ(device_detail(DeviceClass::Sound, "controlC0"), "control");
  EXPECT_EQ(device_detail(DeviceClass::Input, "event7"), "event");
  EXPECT_EQ(device_detail(DeviceClass::Vcs, "vcsa2"), "vcsa");
}

TEST(DeviceClassNames, RoundTrip) {
  for (int i = 0; i < kDeviceClassCount; ++i) {
    auto c = static_cast<DeviceClass>(i);
    auto back = device_class_from_string(to_string(c));
    ASSERT_TRUE(back.has_value()) << to_string(c);
    EXPECT_EQ(*back, c);
  }
  EXPECT_FALSE(device_class_from_string("keyboard").has_value());
}

}  // namespace
}  // namespace sousveil
