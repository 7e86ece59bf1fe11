// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "model/device_class.h"

namespace sousveil {

// How the kernel reads an ioctl's argument (bpf: IOCTL_ARG_*).
enum class IoctlArg : std::uint8_t {
  Value = 0,    // the argument itself is the value (EVIOCGRAB 1/0, KDSKBMODE mode)
  IntPtr = 1,   // it points to an int worth reporting (VIDIOC_STREAMON buffer type)
  BytePtr = 2,  // it points to a subcode byte (TIOCLINUX)
};

// A sensitive ioctl: matched by (type << 8 | nr), so size-encoded requests
// (EVIOCGNAME(len), EVIOCGBIT(ev, len)) match whatever the length.
struct IoctlSpec {
  std::uint16_t type_nr;
  std::string_view name;
  DeviceClass device_class;  // the request means this only on this class
  IoctlArg arg;
};

// The sensitive ioctls: the one table the kernel filter is filled from.
// Numbers: shared/reference/capture-mechanisms.md section 1 (uapi headers).
std::span<const IoctlSpec> ioctl_table();
// The spec for a request on a device of this class, or nullptr.
const IoctlSpec* find_ioctl(std::uint32_t cmd, DeviceClass on);

}  // namespace sousveil
