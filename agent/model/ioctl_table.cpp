// SPDX-License-Identifier: Apache-2.0
#include "model/ioctl_table.h"

namespace sousveil {
namespace {

using C = DeviceClass;
using A = IoctlArg;

// TIOCSTI's argument is the character typed into the terminal: it is never read.
constexpr IoctlSpec kIoctls[] = {
    {0x4590, "EVIOCGRAB", C::Input, A::Value},
    {0x4591, "EVIOCREVOKE", C::Input, A::Value},
    {0x4506, "EVIOCGNAME", C::Input, A::Value},
    {0x4521, "EVIOCGBIT_KEY", C::Input, A::Value},
    {0x4518, "EVIOCGKEY", C::Input, A::Value},
    {0x4593, "EVIOCSMASK", C::Input, A::Value},
    {0x4803, "HIDIOCGRAWINFO", C::Hidraw, A::Value},
    {0x4804, "HIDIOCGRAWNAME", C::Hidraw, A::Value},
    {0x5412, "TIOCSTI", C::Pty, A::Value},
    {0x5412, "TIOCSTI", C::Tty, A::Value},
    {0x541c, "TIOCLINUX", C::Tty, A::BytePtr},
    {0x541d, "TIOCCONS", C::Pty, A::Value},
    {0x541d, "TIOCCONS", C::Tty, A::Value},
    {0x4b45, "KDSKBMODE", C::Tty, A::Value},
    {0x64ad, "DRM_IOCTL_MODE_GETFB", C::Drm, A::Value},
    {0x64ce, "DRM_IOCTL_MODE_GETFB2", C::Drm, A::Value},
    {0x642d, "DRM_IOCTL_PRIME_HANDLE_TO_FD", C::Drm, A::Value},
    {0x5612, "VIDIOC_STREAMON", C::Video, A::IntPtr},
    {0x4142, "SNDRV_PCM_IOCTL_START", C::Sound, A::Value},
    {0x4151, "SNDRV_PCM_IOCTL_READI_FRAMES", C::Sound, A::Value},
    {0x4153, "SNDRV_PCM_IOCTL_READN_FRAMES", C::Sound, A::Value},
    {0x4600, "FBIOGET_VSCREENINFO", C::Framebuffer, A::Value},
    {0x4602, "FBIOGET_FSCREENINFO", C::Framebuffer, A::Value},
    {0x550f, "USBDEVFS_CLAIMINTERFACE", C::Usb, A::Value},
    {0x5516, "USBDEVFS_DISCONNECT", C::Usb, A::Value},
    {0x551b, "USBDEVFS_DISCONNECT_CLAIM", C::Usb, A::Value},
    {0x5501, "UI_DEV_CREATE", C::Uinput, A::Value},
    {0x5503, "UI_DEV_SETUP", C::Uinput, A::Value},
};

}  // namespace

std::span<const IoctlSpec> ioctl_table() { return kIoctls; }

const IoctlSpec* find_ioctl(std::uint32_t cmd, DeviceClass on) {
  auto type_nr = static_cast<std::uint16_t>(cmd & 0xffff);
  for (const auto& spec : kIoctls)
    if (spec.type_nr == type_nr && spec.device_class == on) return &spec;
  return nullptr;
}

}  // namespace sousveil
