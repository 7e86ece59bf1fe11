// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "enrich/probe_names.h"
#include "enrich/procfs.h"
#include "model/device_class.h"
#include "model/event.h"

namespace sousveil {

// Completes a device event: the finer detail from the node's name, and for a
// failed open (which the kernel reports by path only) the node's class from
// lstat of the path as the process saw it, or from the path's shape when the
// node is gone. Returns false when the path is no sensitive device after all.
bool resolve_device(RawEvent& event, const ProcFs& procfs, const DeviceClassTable& table);

// Completes the other capture events: an ioctl's device path and detail (and
// false when the request means nothing on that class of device); the server
// a unix socket belongs to (false when it is none of X11, Wayland, PipeWire,
// PulseAudio); the process a ptrace thread id belongs to.
bool resolve_capture(RawEvent& event, const ProcFs& procfs, ProbeNames& probes);

}  // namespace sousveil
