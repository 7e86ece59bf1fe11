// SPDX-License-Identifier: Apache-2.0
#include "tui/ui.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace sousveil::tui {
namespace {

using namespace sousveil::tui::testing;
using nlohmann::json;

class UiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json list = json::array();
    for (int i = 1; i <= 30; ++i)
      list.push_back(given_watcher(i, i % 2 ? "screen" : "keystrokes", "active", "high",
                                   "2026-11-29T09:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ":00Z",
                                   "/usr/bin/prog" + std::to_string(i), 1000 + i));
    m_model.on_watchers(json{{"watchers", list}});
  }
  DashModel m_model;
};

TEST_F(UiTest, ArrowsPagesAndEnds) {
  auto s = m_model.snapshot();
  UiState ui;
  follow_selection(ui, *s, 10);
  EXPECT_EQ(ui.selected, 0);
  EXPECT_EQ(ui.selected_id, 30u);  // newest first
  handle_key(ui, kKeyDown, *s, 10);
  EXPECT_EQ(ui.selected, 1);
  handle_key(ui, kKeyUp, *s, 10);
  handle_key(ui, kKeyUp, *s, 10);
  EXPECT_EQ(ui.selected, 0);  // stays at the top
  handle_key(ui, kKeyPageDown, *s, 10);
  EXPECT_EQ(ui.selected, 9);
  handle_key(ui, kKeyEnd, *s, 10);
  EXPECT_EQ(ui.selected, 29);
  EXPECT_EQ(ui.scroll, 20);  // the selection stays visible
  handle_key(ui, kKeyHome, *s, 10);
  EXPECT_EQ(ui.selected, 0);
  EXPECT_EQ(ui.scroll, 0);
}

TEST_F(UiTest, SelectionFollowsTheWatcherWhenTheListChanges) {
  UiState ui;
  auto s = m_model.snapshot();
  handle_key(ui, kKeyDown, *s, 10);
  handle_key(ui, kKeyDown, *s, 10);
  ASSERT_EQ(ui.selected_id, 28u);
  // A newer watcher arrives at the top: the selection moves down with watcher 28.
  m_model.on_push(push("watcher", given_watcher(31, "camera", "active", "high", "2026-11-29T09:59:00Z")));
  s = m_model.snapshot();
  follow_selection(ui, *s, 10);
  EXPECT_EQ(ui.selected, 3);
  EXPECT_EQ(ui.selected_id, 28u);
}

TEST_F(UiTest, AtTheTopTheNewestStaysSelected) {
  UiState ui;
  auto s = m_model.snapshot();
  follow_selection(ui, *s, 10);
  ASSERT_EQ(ui.selected_id, 30u);
  m_model.on_push(push("watcher", given_watcher(31, "camera", "active", "high", "2026-11-29T09:59:00Z")));
  s = m_model.snapshot();
  follow_selection(ui, *s, 10);
  EXPECT_EQ(ui.selected, 0);
  EXPECT_EQ(ui.selected_id, 31u);
}

TEST_F(UiTest, FilterEditing) {
  UiState ui;
  auto s = m_model.snapshot();
  EXPECT_EQ(handle_key(ui, '/', *s, 10), Action::Redraw);
  EXPECT_TRUE(ui.editing_filter);
  for (char c : std::string("prog1")) handle_key(ui, c, *s, 10);
  EXPECT_EQ(ui.filter, "prog1");
  EXPECT_EQ(visible_watchers(*s, ui).size(), 11u);  // prog1, prog10..prog19
  handle_key(ui, kKeyBackspace, *s, 10);
  EXPECT_EQ(ui.filter, "prog");
  handle_key(ui, 0x65E5, *s, 10);  // a wide character, then removed whole
  handle_key(ui, kKeyBackspace, *s, 10);
  EXPECT_EQ(ui.filter, "prog");
  handle_key(ui, kKeyEnter, *s, 10);
  EXPECT_FALSE(ui.editing_filter);
  EXPECT_EQ(ui.filter, "prog");
  // 'q' while editing is text, not quit.
  handle_key(ui, '/', *s, 10);
  EXPECT_EQ(handle_key(ui, 'q', *s, 10), Action::Redraw);
  handle_key(ui, kKeyEscape, *s, 10);
  EXPECT_TRUE(ui.filter.empty());
}

TEST_F(UiTest, PagesHelpAndQuit) {
  UiState ui;
  auto s = m_model.snapshot();
  EXPECT_EQ(handle_key(ui, kKeyTab, *s, 10), Action::LoadHistory);
  EXPECT_EQ(ui.page, Page::History);
  EXPECT_EQ(handle_key(ui, 'c', *s, 10), Action::LoadHistory);
  EXPECT_EQ(ui.history_category, "keystrokes");
  EXPECT_EQ(handle_key(ui, '4', *s, 10), Action::Redraw);
  EXPECT_EQ(ui.page, Page::Health);
  EXPECT_EQ(handle_key(ui, kKeyBackTab, *s, 10), Action::Redraw);
  EXPECT_EQ(ui.page, Page::Posture);
  EXPECT_EQ(handle_key(ui, '?', *s, 10), Action::Redraw);
  EXPECT_TRUE(ui.help);
  EXPECT_EQ(handle_key(ui, 'x', *s, 10), Action::Redraw);  // any key closes help
  EXPECT_FALSE(ui.help);
  EXPECT_EQ(handle_key(ui, kKeyEnter, *s, 10), Action::Redraw);
  EXPECT_TRUE(ui.detail_open.value_or(false));
  EXPECT_EQ(handle_key(ui, kKeyEscape, *s, 10), Action::Redraw);
  EXPECT_FALSE(ui.detail_open.value_or(true));
  EXPECT_EQ(handle_key(ui, 'q', *s, 10), Action::Quit);
}

TEST_F(UiTest, EnterClosesADetailPaneTheSizeOpened) {
  UiState ui;
  ui.detail_default = true;  // a large terminal shows it without asking
  auto s = m_model.snapshot();
  handle_key(ui, kKeyEnter, *s, 10);
  EXPECT_EQ(ui.detail_open, false);
  handle_key(ui, kKeyEnter, *s, 10);
  EXPECT_EQ(ui.detail_open, true);
}

}  // namespace
}  // namespace sousveil::tui
