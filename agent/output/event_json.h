// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "common/boot_clock.h"
#include "model/event.h"

namespace sousveil {

// The JSON form of an event, one object per line in `sousveil events`.
// Documented in docs/events.md; field names are part of the interface.
nlohmann::json to_json(const EnrichedEvent& event, const BootClock& clock);

// One aligned line for a person: time, what, who.
std::string to_pretty_line(const EnrichedEvent& event, const BootClock& clock);

}  // namespace sousveil
