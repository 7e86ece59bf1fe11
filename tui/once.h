// SPDX-License-Identifier: Apache-2.0
// `sousveil dash --once` and `--json`: the dashboard as plain text or JSON,
// for scripts and for people who do not want a full-screen program.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "tui/model.h"

namespace sousveil::tui {

// Indicator strip, watchers (active, then recent ended), health, blind spots.
std::string once_text(const Snapshot& snap, double now, bool unicode);
// {"indicators":[...],"watchers":[...as the agent sent them...],"posture":[...],
//  "health":{...},"blind_spots":[...]}
nlohmann::json once_json(const Snapshot& snap);

}  // namespace sousveil::tui
