// SPDX-License-Identifier: Apache-2.0
#include "store/history_time.h"

#include <gtest/gtest.h>

namespace sousveil::store {
namespace {

constexpr std::int64_t kS = 1'000'000'000LL;

struct TimeCase {
  const char* name;
  const char* text;
  std::int64_t want;  // -1: an error
};

class HistoryTimeTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(HistoryTimeTest, Parses) {
  const auto& c = GetParam();
  auto r = parse_history_time(c.text);
  if (c.want < 0) {
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.text), std::string::npos);
    return;
  }
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HistoryTimeTest,
    ::testing::Values(TimeCase{"Rfc3339Utc", "2026-11-29T10:00:00Z", 1'795'946'400 * kS},
                      TimeCase{"Fraction", "2026-11-29T10:00:00.25Z", 1'795'946'400 * kS + kS / 4},
                      TimeCase{"Offset", "2026-11-29T11:30:00+01:30", 1'795'946'400 * kS},
                      TimeCase{"NegativeOffset", "2026-11-29T09:00:00-01:00", 1'795'946'400 * kS},
                      TimeCase{"UnixSeconds", "1795946400", 1'795'946'400 * kS},
                      TimeCase{"UnixFraction", "1795946400.5", 1'795'946'400 * kS + kS / 2},
                      TimeCase{"NoZone", "2026-11-29T10:00:00", -1},
                      TimeCase{"BadMonth", "2026-13-29T10:00:00Z", -1},
                      TimeCase{"RolledDay", "2026-02-31T10:00:00Z", -1},
                      TimeCase{"Words", "yesterday", -1},
                      TimeCase{"Negative", "-5", -1},
                      TimeCase{"TrailingJunk", "2026-11-29T10:00:00Zx", -1}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace sousveil::store
