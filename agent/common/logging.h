// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace sousveil::logging {

// Where log lines go. The CLI keeps stdout for data, so logs go to stderr;
// the dashboard will send them to a file while it owns the terminal.
enum class Sink { Stderr, Null };

// Creates the shared sink and sets the level for every component logger.
void init(Sink sink, spdlog::level::level_enum level);

// Sends every component's lines to this sink instead (journald under systemd).
void init(spdlog::sink_ptr sink, spdlog::level::level_enum level);

// Changes the level of every component logger, present and future (config reload).
void set_level(spdlog::level::level_enum level);

// One named logger per component ("bpf", "libbpf", "enrich", "agent", ...).
std::shared_ptr<spdlog::logger> get(std::string_view component);

}  // namespace sousveil::logging
