// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil {

// What a character device gives access to. The values are the kernel ABI's
// enum sv_device_class (bpf/sousveil_abi.h); abi_check.cpp keeps them equal.
enum class DeviceClass : std::uint8_t {
  None = 0,
  Input = 1,        // /dev/input: keyboards, mice, joysticks (13)
  Hidraw = 2,       // raw HID reports, keystrokes included (dynamic major)
  Usb = 3,          // raw USB devices through usbfs (189)
  Uinput = 4,       // creates virtual input devices: injection (10:223)
  Uhid = 5,         // creates virtual HID devices (10:239)
  Vcs = 6,          // text and attributes of the virtual consoles (7)
  Tty = 7,          // virtual terminals and the console (4:0-63, 5:1)
  Pty = 8,          // pseudo-terminal slaves (136-143)
  Framebuffer = 9,  // the console framebuffer (29)
  Drm = 10,         // the display hardware (226)
  Video = 11,       // cameras and capture cards (81)
  Sound = 12,       // ALSA devices: microphones and speakers (116, OSS 14:3/14:4)
  Mem = 13,         // physical memory (1:1, 1:2)
};
inline constexpr int kDeviceClassCount = 14;

std::string_view to_string(DeviceClass c);
std::optional<DeviceClass> device_class_from_string(std::string_view s);

// A rule covering a range of minors of one major.
struct MajorRule {
  std::uint32_t major;
  std::uint32_t minor_lo;
  std::uint32_t minor_hi;
  DeviceClass device_class;
};

// A rule for one device inside a shared major.
struct ExactRule {
  std::uint32_t major;
  std::uint32_t minor;
  DeviceClass device_class;
};

// Which character devices are sensitive, and of what class. The kernel filter
// is filled from this table, so it is the one place the classes are defined.
class DeviceClassTable {
 public:
  // The standard table. Dynamic majors (hidraw) come from /proc/devices.
  static DeviceClassTable standard(std::optional<std::uint32_t> hidraw_major);

  DeviceClass classify(std::uint32_t major, std::uint32_t minor) const;
  // The table's class, else the class the kernel filter reported (a record
  // field, checked to be in range), else None.
  DeviceClass classify_or(std::uint32_t major, std::uint32_t minor, std::uint8_t kernel_class) const;

  const std::vector<MajorRule>& major_rules() const { return m_major; }
  const std::vector<ExactRule>& exact_rules() const { return m_exact; }

 private:
  std::vector<MajorRule> m_major;
  std::vector<ExactRule> m_exact;
};

// Character-device majors by driver name, from the text of /proc/devices.
std::map<std::string, std::uint32_t> parse_proc_devices(std::string_view text);

// Class of a device path, for failed opens whose node cannot be examined.
DeviceClass classify_dev_path(std::string_view path);

// A finer name for the device from its node name: "capture" or "playback" for
// ALSA PCMs, "event", "mouse", "joystick" for input, "vcs", "vcsa", "vcsu"...
std::string device_detail(DeviceClass c, std::string_view node_name);

}  // namespace sousveil
