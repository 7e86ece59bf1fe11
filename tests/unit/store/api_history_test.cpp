// SPDX-License-Identifier: Apache-2.0
#include "store/api_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil::store {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ApiHistoryTest, FiltersMapOneToOne) {
  api::HistoryQuery in;
  in.since_ns = 10;
  in.until_ns = 20;
  in.category = "screen";
  in.rule = "screen.console-text-read";
  in.pid = 42;
  in.exe = "/usr/bin/head";
  in.kind = "watcher";
  in.limit = 7;
  auto q = to_store_query(in);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->since_ns, 10);
  EXPECT_EQ(q->until_ns, 20);
  EXPECT_EQ(q->category, "screen");
  EXPECT_EQ(q->rule, "screen.console-text-read");
  EXPECT_EQ(q->pid, 42U);
  EXPECT_EQ(q->exe, "/usr/bin/head");
  EXPECT_EQ(q->kind, RecordKind::Watcher);
  EXPECT_EQ(q->limit, 7U);
  EXPECT_FALSE(q->visible_to_uid);
  EXPECT_FALSE(q->oldest_first);
}

TEST(ApiHistoryTest, ScopeOwnSeesItsUidAndSystemWideCapture) {
  api::HistoryQuery in;
  in.visible_uid = 1000;
  auto q = to_store_query(in);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->visible_to_uid, 1000U);
  EXPECT_THAT(q->visible_categories, Contains("keystrokes"));
  EXPECT_THAT(q->visible_categories, Contains("posture"));
  EXPECT_THAT(q->visible_categories, Not(Contains("process-memory")));
  EXPECT_THAT(q->visible_categories, Not(Contains("terminal")));
  EXPECT_EQ(q->visible_categories.size(), 9U);
}

TEST(ApiHistoryTest, UnknownKindIsAnErrorNamingTheField) {
  api::HistoryQuery in;
  in.kind = "everything";
  auto q = to_store_query(in);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.error().message, HasSubstr("params.kind"));
  EXPECT_THAT(q.error().message, HasSubstr("everything"));
}

}  // namespace
}  // namespace sousveil::store
