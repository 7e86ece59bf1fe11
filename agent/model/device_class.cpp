// SPDX-License-Identifier: Apache-2.0
#include "model/device_class.h"

#include <array>
#include <charconv>
#include <sstream>

namespace sousveil {
namespace {

constexpr std::array<std::string_view, kDeviceClassCount> kNames = {
    "none", "input", "hidraw", "usb", "uinput", "uhid", "vcs",
    "tty",  "pty",   "fb",     "drm", "video",  "sound", "mem"};

constexpr std::uint32_t kAllMinors = (1U << 20) - 1;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view to_string(DeviceClass c) {
  auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::optional<DeviceClass> device_class_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == s) return static_cast<DeviceClass>(i);
  return std::nullopt;
}

DeviceClassTable DeviceClassTable::standard(std::optional<std::uint32_t> hidraw_major) {
  // Majors and minors: shared/reference/capture-mechanisms.md section 1 and
  // Documentation/admin-guide/devices.txt.
  DeviceClassTable t;
  t.m_major = {
      {13, 0, kAllMinors, DeviceClass::Input},
      {189, 0, kAllMinors, DeviceClass::Usb},
      {7, 0, 191, DeviceClass::Vcs},  // vcs 0-63, vcsu 64-127, vcsa 128-191
      {4, 0, 63, DeviceClass::Tty},   // tty0-63; 64+ are serial ports
      {29, 0, kAllMinors, DeviceClass::Framebuffer},
      {226, 0, kAllMinors, DeviceClass::Drm},
      {81, 0, kAllMinors, DeviceClass::Video},
      {116, 0, kAllMinors, DeviceClass::Sound},
  };
  for (std::uint32_t major = 136; major <= 143; ++major)
    t.m_major.push_back({major, 0, kAllMinors, DeviceClass::Pty});
  if (hidraw_major && *hidraw_major > 0 && *hidraw_major < 4096)
    t.m_major.push_back({*hidraw_major, 0, kAllMinors, DeviceClass::Hidraw});
  t.m_exact = {
      {10, 223, DeviceClass::Uinput}, {10, 239, DeviceClass::Uhid},
      {5, 1, DeviceClass::Tty},  // /dev/console; 5:0 /dev/tty is always the caller's own
      {14, 3, DeviceClass::Sound}, {14, 4, DeviceClass::Sound},  // OSS dsp, audio
      {1, 1, DeviceClass::Mem},    {1, 2, DeviceClass::Mem},     // mem, kmem
  };
  return t;
}

DeviceClass DeviceClassTable::classify(std::uint32_t major, std::uint32_t minor) const {
  for (const auto& r : m_exact)
    if (r.major == major && r.minor == minor) return r.device_class;
  for (const auto& r : m_major)
    if (r.major == major && minor >= r.minor_lo && minor <= r.minor_hi) return r.device_class;
  return DeviceClass::None;
}

DeviceClass DeviceClassTable::classify_or(std::uint32_t major, std::uint32_t minor,
                                          std::uint8_t kernel_class) const {
  auto c = classify(major, minor);
  if (c == DeviceClass::None && kernel_class < kDeviceClassCount) c = static_cast<DeviceClass>(kernel_class);
  return c;
}

std::map<std::string, std::uint32_t> parse_proc_devices(std::string_view text) {
  std::map<std::string, std::uint32_t> out;
  bool in_char = false;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line == "Character devices:") {
      in_char = true;
      continue;
    }
    if (line == "Block devices:") break;
    if (!in_char || line.empty()) continue;
    std::istringstream fields(line);
    std::string number, name;
    if (!(fields >> number >> name)) continue;
    std::uint32_t major = 0;
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), major);
    if (ec == std::errc() && p == number.data() + number.size()) out.emplace(name, major);
  }
  return out;
}

DeviceClass classify_dev_path(std::string_view path) {
  if (!starts_with(path, "/dev/")) return DeviceClass::None;
  auto rest = path.substr(5);
  auto name = basename(path);
  if (starts_with(rest, "input/")) return DeviceClass::Input;
  if (starts_with(rest, "hidraw")) return DeviceClass::Hidraw;
  if (starts_with(rest, "bus/usb/")) return DeviceClass::Usb;
  if (rest == "uinput" || rest == "input/uinput") return DeviceClass::Uinput;
  if (rest == "uhid") return DeviceClass::Uhid;
  if (starts_with(rest, "vcs")) return DeviceClass::Vcs;
  if (rest == "console") return DeviceClass::Tty;
  if (starts_with(rest, "tty") && rest.size() > 3 && rest[3] >= '0' && rest[3] <= '9')
    return DeviceClass::Tty;
  if (starts_with(rest, "pts/") && rest != "pts/ptmx") return DeviceClass::Pty;
  if (starts_with(rest, "fb")) return DeviceClass::Framebuffer;
  if (starts_with(rest, "dri/")) return DeviceClass::Drm;
  if (starts_with(rest, "video") || starts_with(rest, "v4l/")) return DeviceClass::Video;
  if (starts_with(rest, "snd/") || name == "dsp" || name == "audio") return DeviceClass::Sound;
  if (rest == "mem" || rest == "kmem") return DeviceClass::Mem;
  return DeviceClass::None;
}

std::string device_detail(DeviceClass c, std::string_view name) {
  switch (c) {
    case DeviceClass::Sound:
      if (starts_with(name, "pcm") && !name.empty())
        return name.back() == 'c' ? "capture" : name.back() == 'p' ? "playback" : "pcm";
      if (starts_with(name, "control")) return "control";
      if (starts_with(name, "midi")) return "midi";
      if (name == "dsp" || name == "audio") return "oss";
      if (name == "timer" || name == "seq") return std::string(name);
      return "";
    case DeviceClass::Input:
      if (starts_with(name, "event")) return "event";
      if (name == "mice") return "mice";
      if (starts_with(name, "mouse")) return "mouse";
      if (starts_with(name, "js")) return "joystick";
      return "";
    case DeviceClass::Vcs:
      if (starts_with(name, "vcsa")) return "vcsa";
      if (starts_with(name, "vcsu")) return "vcsu";
      return "vcs";
    case DeviceClass::Drm:
      if (starts_with(name, "render")) return "render";
      if (starts_with(name, "card")) return "card";
      return "";
    case DeviceClass::Tty:
      return name == "console" ? "console" : "vt";
    default:
      return "";
  }
}

}  // namespace sousveil
