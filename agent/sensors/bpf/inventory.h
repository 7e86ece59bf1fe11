// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "common/result.h"
#include "enrich/procfs.h"
#include "model/event.h"

namespace sousveil {

// Every BPF program loaded in the kernel now, with what it is attached to
// (raw tracepoints, tracing targets) and which processes hold it, as
// bpf_program events (source: inventory). Programs in `own` (sousveil's) are
// left out. Needs root; says why when the kernel refuses.
Result<std::vector<RawEvent>> bpf_inventory(const ProcFs& procfs, const std::set<std::uint32_t>& own);

}  // namespace sousveil
