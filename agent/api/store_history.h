// SPDX-License-Identifier: Apache-2.0
// The socket API's `history` answered from the SQLite store.
#pragma once

#include <nlohmann/json.hpp>

#include "api/protocol.h"
#include "common/result.h"
#include "store/store.h"

namespace sousveil::api {

// {"rows":[history row...],"truncated":bool} for the query; the peer's uid
// (scope "own") narrows it to their rows plus system-wide categories.
// Connect with AgentBackend::set_history([&](const HistoryQuery& q) { return store_history(store, q); }).
Result<nlohmann::json> store_history(const store::Store& store, const HistoryQuery& query);

}  // namespace sousveil::api
