// SPDX-License-Identifier: Apache-2.0
#include "store/api_history.h"

#include "api/peer.h"

namespace sousveil::store {
namespace {

// Every category a rule can have; the API decides which of them watch everyone.
constexpr const char* kCategories[] = {"keystrokes", "screen",      "camera",      "microphone",
                                       "clipboard",  "terminal",    "process-memory", "kernel-hook",
                                       "injection",  "session-recording", "remote-view", "posture"};

}  // namespace

Result<HistoryQuery> to_store_query(const api::HistoryQuery& q) {
  HistoryQuery out;
  out.since_ns = q.since_ns;
  out.until_ns = q.until_ns;
  out.category = q.category;
  out.rule = q.rule;
  out.pid = q.pid;
  out.exe = q.exe;
  if (q.kind) {
    auto k = parse_record_kind(*q.kind);
    if (!k)
      return make_error("params.kind must be one of finding, watcher, sensor, lost, agent, prune; got \"" + *q.kind +
                        "\"");
    out.kind = *k;
  }
  out.limit = q.limit;
  if (q.visible_uid) {
    out.visible_to_uid = q.visible_uid;
    for (const char* c : kCategories)
      if (api::is_system_wide(c)) out.visible_categories.emplace_back(c);
  }
  return out;
}

Result<nlohmann::json> answer_history(const Store& store, const api::HistoryQuery& query) {
  auto q = to_store_query(query);
  if (!q) return q.error();
  auto result = store.try_query(*q);
  if (!result) return result.error();
  return to_json(*result);
}

}  // namespace sousveil::store
