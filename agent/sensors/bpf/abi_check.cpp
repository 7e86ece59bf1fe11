// SPDX-License-Identifier: Apache-2.0
// The layout user space expects of the kernel's records, checked at compile time.
#include <linux/types.h>

#include <cstddef>

#include "model/device_class.h"

extern "C" {
#include "sousveil_abi.h"
}

namespace sousveil {

static_assert(sizeof(sv_header) == 64);
static_assert(offsetof(sv_header, kind) == 0 && offsetof(sv_header, size) == 4);
static_assert(offsetof(sv_header, ts_boot_ns) == 8);
static_assert(offsetof(sv_header, start_boot_ns) == 16);
static_assert(offsetof(sv_header, pid) == 24 && offsetof(sv_header, tid) == 28);
static_assert(offsetof(sv_header, comm) == 48);

static_assert(offsetof(sv_device_event, repeats) == 64);
static_assert(offsetof(sv_device_event, fd) == 72);
static_assert(offsetof(sv_device_event, name) == 104);
static_assert(offsetof(sv_device_event, path) == 104 + SV_NAME_LEN);
static_assert(sizeof(sv_device_event) == 104 + SV_NAME_LEN + SV_PATH_LEN);
static_assert(offsetof(sv_ioctl_event, arg) == 80 && offsetof(sv_ioctl_event, arg_value) == 88);
static_assert(offsetof(sv_ioctl_event, name) == 104 && sizeof(sv_ioctl_event) == 104 + SV_NAME_LEN);
static_assert(sizeof(sv_process_access_event) == 80);
static_assert(offsetof(sv_connect_event, path) == 80 && sizeof(sv_connect_event) == 192);
static_assert(offsetof(sv_injection_event, value) == 72 && sizeof(sv_injection_event) == 72 + SV_PATH_LEN);
static_assert(sizeof(sv_limit_key) == 16 && sizeof(sv_limit_value) == 16);
static_assert(sizeof(sv_read_key) == 8);
static_assert(offsetof(sv_bpf_event, name) == 96 && sizeof(sv_bpf_event) == 224);
static_assert(offsetof(sv_read_stats, comm) == 56 && sizeof(sv_read_stats) == 56 + SV_COMM_LEN + SV_NAME_LEN);
static_assert(sizeof(sv_exec_event) == 72 + SV_PATH_LEN + SV_ARGS_LEN);
static_assert(sizeof(sv_fork_event) == 72);
static_assert(sizeof(sv_exit_event) == 72);
static_assert(offsetof(sv_snapshot_fd_event, name) == 88);
static_assert(sizeof(sv_snapshot_fd_event) == 88 + SV_NAME_LEN);
static_assert(sizeof(sv_major_rule) == 12);
static_assert(sizeof(sv_device_event) % 8 == 0 && sizeof(sv_exec_event) % 8 == 0 &&
              sizeof(sv_snapshot_fd_event) % 8 == 0 && sizeof(sv_ioctl_event) % 8 == 0 &&
              sizeof(sv_connect_event) % 8 == 0 && sizeof(sv_injection_event) % 8 == 0);

static_assert(static_cast<int>(DeviceClass::Input) == SV_DEV_INPUT);
static_assert(static_cast<int>(DeviceClass::Hidraw) == SV_DEV_HIDRAW);
static_assert(static_cast<int>(DeviceClass::Usb) == SV_DEV_USB);
static_assert(static_cast<int>(DeviceClass::Uinput) == SV_DEV_UINPUT);
static_assert(static_cast<int>(DeviceClass::Uhid) == SV_DEV_UHID);
static_assert(static_cast<int>(DeviceClass::Vcs) == SV_DEV_VCS);
static_assert(static_cast<int>(DeviceClass::Tty) == SV_DEV_TTY);
static_assert(static_cast<int>(DeviceClass::Pty) == SV_DEV_PTY);
static_assert(static_cast<int>(DeviceClass::Framebuffer) == SV_DEV_FB);
static_assert(static_cast<int>(DeviceClass::Drm) == SV_DEV_DRM);
static_assert(static_cast<int>(DeviceClass::Video) == SV_DEV_VIDEO);
static_assert(static_cast<int>(DeviceClass::Sound) == SV_DEV_SOUND);
static_assert(static_cast<int>(DeviceClass::Mem) == SV_DEV_MEM);
static_assert(kDeviceClassCount == SV_DEV_CLASS_COUNT);

}  // namespace sousveil
