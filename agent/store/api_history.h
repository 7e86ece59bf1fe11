// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include "api/protocol.h"
#include "common/result.h"
#include "store/store.h"

namespace sousveil::store {

// The socket API's `history` filters as a store query: times, category, rule,
// pid, exe and kind one to one; a peer of scope "own" (visible_uid) sees its own
// rows and system-wide capture, filtered in SQL so limit and truncated stay right.
Result<HistoryQuery> to_store_query(const api::HistoryQuery& query);
// {"rows":[HistoryRow...],"truncated":bool}, or why not.
Result<nlohmann::json> answer_history(const Store& store, const api::HistoryQuery& query);

}  // namespace sousveil::store
