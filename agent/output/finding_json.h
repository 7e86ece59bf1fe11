// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "common/boot_clock.h"
#include "rules/engine.h"
#include "track/tracker.h"

namespace sousveil {

nlohmann::json to_json(const rules::Finding& finding);
// {"kind":"watcher","change":"new",...}: what appeared or ended, and why.
nlohmann::json to_json(const track::WatcherChange& change, const BootClock& clock);
std::string to_pretty_line(const rules::Finding& finding);
std::string to_pretty_line(const track::WatcherChange& change, const BootClock& clock);

}  // namespace sousveil
