// SPDX-License-Identifier: Apache-2.0
#include "api/store_history.h"

#include <fmt/format.h>

#include "api/peer.h"

namespace sousveil::api {

Result<nlohmann::json> store_history(const store::Store& store, const HistoryQuery& q) {
  store::HistoryQuery sq;
  sq.since_ns = q.since_ns;
  sq.until_ns = q.until_ns;
  sq.category = q.category;
  sq.rule = q.rule;
  sq.pid = q.pid;
  sq.exe = q.exe;
  if (q.kind) {
    sq.kind = store::parse_record_kind(*q.kind);
    if (!sq.kind)
      return make_error(
          fmt::format("params.kind \"{}\" is not a history kind (finding, watcher, sensor, lost, "
                      "agent, prune)",
                      *q.kind));
  }
  if (q.visible_uid) {
    sq.visible_to_uid = q.visible_uid;
    sq.visible_categories = system_wide_categories();
  }
  sq.limit = q.limit;
  auto result = store.try_query(sq);
  if (!result) return result.error();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : result->rows) rows.push_back(store::to_json(row));
  return nlohmann::json{{"rows", std::move(rows)}, {"truncated", result->truncated}};
}

}  // namespace sousveil::api
