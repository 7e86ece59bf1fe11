// SPDX-License-Identifier: Apache-2.0
#include "tui/layout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sousveil::tui {
namespace {

struct Size {
  int rows;
  int cols;
  bool detail;
};

std::string name_of(const ::testing::TestParamInfo<Size>& info) {
  return std::to_string(info.param.cols) + "x" + std::to_string(info.param.rows) +
         (info.param.detail ? "_detail" : "_list");
}

class LayoutSize : public ::testing::TestWithParam<Size> {};

bool overlap(const Rect& a, const Rect& b) {
  if (a.empty() || b.empty()) return false;
  return a.y < b.bottom() && b.y < a.bottom() && a.x < b.right() && b.x < a.right();
}

bool inside(const Rect& r, int rows, int cols) {
  return r.empty() || (r.y >= 0 && r.x >= 0 && r.bottom() <= rows && r.right() <= cols);
}

// At every supported size: nothing overlaps, everything is on screen, the
// health line and footer are the last two rows, the list has a header and rows.
TEST_P(LayoutSize, PartsTileTheScreen) {
  auto [rows, cols, detail] = GetParam();
  Layout l = compute_layout(rows, cols, detail);
  ASSERT_FALSE(l.too_small);
  std::vector<Rect> parts = {l.strip, l.tabs, l.list, l.detail, l.health, l.footer};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_TRUE(inside(parts[i], rows, cols)) << "part " << i;
    for (std::size_t j = i + 1; j < parts.size(); ++j) EXPECT_FALSE(overlap(parts[i], parts[j])) << i << " and " << j;
  }
  EXPECT_EQ(l.footer, (Rect{rows - 1, 0, 1, cols}));
  EXPECT_EQ(l.health, (Rect{rows - 2, 0, 1, cols}));
  EXPECT_EQ(l.strip.y, 0);
  EXPECT_EQ(l.strip.h, cols >= kStripOneRowCols ? 1 : 2);
  EXPECT_EQ(l.tabs.y, l.strip.bottom());
  EXPECT_EQ(l.list.y, l.tabs.bottom());
  EXPECT_GE(l.list.h, 5);   // a header and at least four watchers
  EXPECT_GE(l.list.w, std::min(cols, 80));
  if (detail) {
    ASSERT_FALSE(l.detail.empty());
    EXPECT_GE(l.detail.h, 4);
    EXPECT_EQ(l.detail_beside, cols >= kDetailBesideCols);
    if (l.detail_beside) {
      EXPECT_EQ(l.detail.x, l.list.right() + 1);  // one column of separator
      EXPECT_EQ(l.detail.right(), cols);
      EXPECT_GE(l.detail.w, 50);
      EXPECT_GE(l.list.w, 100);
    } else {
      EXPECT_EQ(l.detail.y, l.list.bottom() + 1);  // one row of separator
      EXPECT_EQ(l.detail.bottom(), l.health.y);
    }
  } else {
    EXPECT_TRUE(l.detail.empty());
    EXPECT_EQ(l.list.bottom(), l.health.y);
    EXPECT_EQ(l.list.w, cols);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, LayoutSize,
                         ::testing::Values(Size{24, 80, false}, Size{24, 80, true}, Size{25, 80, true},
                                           Size{40, 120, false}, Size{40, 120, true}, Size{50, 159, true},
                                           Size{50, 160, true}, Size{60, 200, true}, Size{60, 200, false},
                                           Size{100, 300, true}, Size{100, 300, false}, Size{30, 60, true},
                                           Size{12, 40, false}),
                         name_of);

TEST(Layout, TooSmallKeepsHealthAndFooter) {
  Layout l = compute_layout(8, 30, true);
  EXPECT_TRUE(l.too_small);
  EXPECT_EQ(l.health, (Rect{6, 0, 1, 30}));
  EXPECT_EQ(l.footer, (Rect{7, 0, 1, 30}));
  EXPECT_TRUE(l.detail.empty());
  EXPECT_EQ(l.list, (Rect{0, 0, 6, 30}));
  // Degenerate sizes never produce negative rectangles.
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      Layout d = compute_layout(r, c, true);
      for (const Rect& x : {d.strip, d.list, d.detail, d.health, d.footer}) {
        EXPECT_GE(x.h, 0);
        EXPECT_GE(x.w, 0);
      }
    }
}

TEST(Layout, DetailOpensByDefaultOnlyWhereThereIsRoom) {
  EXPECT_FALSE(detail_by_default(24, 80));
  EXPECT_FALSE(detail_by_default(39, 120));
  EXPECT_TRUE(detail_by_default(40, 120));
  EXPECT_TRUE(detail_by_default(24, 160));
}

TEST(Layout, StackedDetailGivesTheListTwoFifths) {
  Layout l = compute_layout(24, 80, true);
  // 24 rows: strip 0, tabs 1, list from 2, health 22, footer 23 -> 20 rows between.
  EXPECT_EQ(l.list, (Rect{2, 0, 8, 80}));
  EXPECT_EQ(l.detail, (Rect{11, 0, 11, 80}));
}

}  // namespace
}  // namespace sousveil::tui
