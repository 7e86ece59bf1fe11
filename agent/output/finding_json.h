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
// The socket API's watcher object (docs/api.md): flat finding fields, the
// process with uid, cmdline, package and ancestry, times in RFC 3339.
nlohmann::json watcher_json(const track::Watcher& watcher, const BootClock& clock);
// The socket API's process object; ancestry only where asked.
nlohmann::json process_json(const ProcessInfo& process, bool with_ancestry);
// The socket API's "finding" push: the finding, the event's kind and time, the
// process, what it touched ("object") and, for process access, the target.
nlohmann::json finding_push_json(const rules::Finding& finding, const EnrichedEvent& event, const BootClock& clock);
std::string to_pretty_line(const rules::Finding& finding);
std::string to_pretty_line(const track::WatcherChange& change, const BootClock& clock);

}  // namespace sousveil
