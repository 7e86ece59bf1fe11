// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace sousveil::store {

// A time bound of the history filters: RFC 3339 ("2026-11-29T10:00:00Z",
// "2026-11-29T10:00:00.5+01:00") or unix seconds ("1795946400", "1795946400.25").
// Returns unix nanoseconds; the error names what was wrong.
Result<std::int64_t> parse_history_time(std::string_view text);

}  // namespace sousveil::store
