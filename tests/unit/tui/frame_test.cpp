// SPDX-License-Identifier: Apache-2.0
#include "tui/frame.h"

#include <gtest/gtest.h>

#include <clocale>

#include "fixtures.h"
#include "tui/format.h"
#include "tui/once.h"

namespace sousveil::tui {
namespace {

using namespace sousveil::tui::testing;
using nlohmann::json;

class FrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::setlocale(LC_CTYPE, "C.UTF-8");
    m_model.on_connected();
    m_model.on_status(given_status());
    m_model.on_watchers(json{{"watchers",
                              {given_watcher(7, "screen"),
                               given_watcher(8, "keystrokes", "active", "critical", "2026-11-29T09:59:57Z",
                                             "/opt/\u65E5\u672C/monitor-agent-with-a-very-long-name", 4242),
                               given_watcher(3, "microphone", "ended", "medium")}}});
  }
  std::shared_ptr<const Snapshot> snap() { return m_model.snapshot(); }
  static bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }
  DashModel m_model;
};

// Every row of a frame is exactly as wide as the terminal, wide characters included.
void expect_exact_width(const Frame& f) {
  for (int y = 0; y < f.rows; ++y) EXPECT_EQ(display_width(f.text(y)), f.cols) << "row " << y << ": " << f.text(y);
}

TEST_F(FrameTest, MainScreenAt80x24) {
  UiState ui;
  Frame f = compose(*snap(), ui, 24, 80, kNow);
  expect_exact_width(f);
  std::string strip = f.text(0);
  EXPECT_TRUE(contains(strip, "[KEYS\u25CF]"));
  EXPECT_TRUE(contains(strip, "[SCREEN\u25CF]"));
  EXPECT_TRUE(contains(strip, "[mic ]"));  // the ended microphone watcher does not light it
  EXPECT_TRUE(contains(strip, "[rec ]"));
  EXPECT_TRUE(contains(f.text(1), "[1 Watchers]"));
  EXPECT_TRUE(contains(f.text(2), "PROGRAM"));
  EXPECT_TRUE(contains(f.text(2), "REASON"));
  // Critical first, then the high one, then the ended one.
  EXPECT_TRUE(contains(f.text(3), "monitor-agent"));
  EXPECT_TRUE(contains(f.text(3), "CRIT"));
  EXPECT_TRUE(contains(f.text(3), "3s"));  // since 09:59:57
  EXPECT_TRUE(contains(f.text(4), "head"));
  EXPECT_TRUE(contains(f.text(4), "4m12s"));  // since 09:55:48
  EXPECT_TRUE(contains(f.text(5), "ended 2m00s ago"));
  EXPECT_TRUE(contains(f.text(22), "agent 0.1.0"));
  EXPECT_TRUE(contains(f.text(22), "x11: no X display"));
  EXPECT_TRUE(contains(f.text(23), "q quit"));
  // 80x24 opens no detail pane until Enter.
  EXPECT_FALSE(contains(f.text(), "WHAT YOU CAN DO"));
  // The selected row is drawn selected.
  EXPECT_EQ(f.lines[3][10].style, Style::Selected);
}

TEST_F(FrameTest, DetailPaneStackedAt80x24AfterEnter) {
  UiState ui;
  ui.detail_open = true;
  ui.selected = 1;
  Frame f = compose(*snap(), ui, 24, 80, kNow);
  expect_exact_width(f);
  std::string all = f.text();
  EXPECT_TRUE(contains(all, "#7 head[3438]"));
  EXPECT_TRUE(contains(all, "more: ]"));  // the rest is a scroll away
  ui.detail_scroll = 100;
  all = compose(*snap(), ui, 24, 80, kNow).text();
  EXPECT_TRUE(contains(all, "ls -l /proc/3438/fd"));
  EXPECT_TRUE(contains(all, "select(.id==7)"));
}

TEST_F(FrameTest, DetailBesideAt200x60) {
  UiState ui;
  ui.selected = 1;
  Frame f = compose(*snap(), ui, 60, 200, kNow);
  expect_exact_width(f);
  std::string all = f.text();
  for (const char* s : {"WHAT IT CAN SEE", "EVIDENCE", "/dev/vcs", "started by: head[3438] \u2190 bash[3400] \u2190 systemd[1]",
                        "unit: session-1.scope \u00B7 package: coreutils", "rule vcs-read", "GDPR articles 13 and 14",
                        "ls -l /proc/3438/fd"})
    EXPECT_TRUE(contains(all, s)) << s;
  // Detail beside the list: the separator column is on the list's rows.
  EXPECT_TRUE(contains(f.text(3), "\u2502"));
}

TEST_F(FrameTest, WideCharactersAreNeverSplit) {
  for (int cols : {80, 97, 120, 161, 233, 300}) {
    UiState ui;
    Frame f = compose(*snap(), ui, 30, cols, kNow);
    expect_exact_width(f);
  }
}

TEST_F(FrameTest, ReadableWithoutUnicodeOrColour) {
  UiState ui;
  ui.unicode = false;
  Frame f = compose(*snap(), ui, 24, 80, kNow);
  EXPECT_TRUE(contains(f.text(0), "[KEYS*]"));
  EXPECT_TRUE(contains(f.text(0), "[camera ]"));
}

TEST_F(FrameTest, NarrowTerminalWrapsTheStrip) {
  UiState ui;
  Frame f = compose(*snap(), ui, 24, 60, kNow);
  expect_exact_width(f);
  EXPECT_TRUE(contains(f.text(0) + f.text(1), "[rec ]"));
  EXPECT_TRUE(contains(f.text(2), "Watchers"));
}

TEST_F(FrameTest, DisconnectedSaysSoOnTheHealthLine) {
  m_model.on_disconnected("agent not running \u2014 reconnecting\u2026 (no socket at /tmp/x.sock)");
  UiState ui;
  Frame f = compose(*snap(), ui, 24, 80, kNow);
  EXPECT_TRUE(contains(f.text(22), "agent not running"));
  EXPECT_EQ(f.lines[22][0].style, Style::Bad);
}

TEST_F(FrameTest, LostEventsSayTheViewMayBeIncomplete) {
  m_model.on_status(given_status(12));
  UiState ui;
  Frame f = compose(*snap(), ui, 24, 200, kNow);
  EXPECT_TRUE(contains(f.text(22), "events lost: 12 \u2014 the view may be incomplete"));
}

TEST_F(FrameTest, FilterHidesOthers) {
  UiState ui;
  ui.filter = "SCREEN";  // case-insensitive, over program, category, user, product, rule
  Frame f = compose(*snap(), ui, 24, 80, kNow);
  EXPECT_TRUE(contains(f.text(3), "head"));
  EXPECT_FALSE(contains(f.text(), "monitor-agent"));
  EXPECT_TRUE(contains(f.text(1), "filter: SCREEN"));
  ui.filter = "nothing-matches";
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(), "no watcher matches the filter"));
}

TEST_F(FrameTest, OtherPages) {
  UiState ui;
  ui.page = Page::Posture;
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(), "no posture findings"));
  ui.page = Page::History;
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(), "loading history"));
  m_model.on_history_error("unavailable: the agent runs without a store");
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(),
                       "history unavailable: unavailable: the agent runs without a store"));
  ui.page = Page::Health;
  std::string health = compose(*snap(), ui, 40, 120, kNow).text();
  EXPECT_TRUE(contains(health, "SENSORS (1 running, 1 failed, 0 off)"));
  EXPECT_TRUE(contains(health, "no X display"));
  ui.page = Page::BlindSpots;
  std::string blind = compose(*snap(), ui, 40, 120, kNow).text();
  EXPECT_TRUE(contains(blind, "WHAT CANNOT BE SEEN"));
  EXPECT_TRUE(contains(blind, "what the x11 sensor watches"));
  ui.help = true;
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(), "KEYS (any key closes this help)"));
}

TEST_F(FrameTest, ScrollStaysWithinTheText) {
  UiState ui;
  ui.page = Page::BlindSpots;
  ui.scroll = 1 << 20;  // End
  clamp_scroll(ui, *snap(), 14, 80, kNow);
  EXPECT_GT(ui.scroll, 0);
  EXPECT_LT(ui.scroll, 100);
  std::string last = compose(*snap(), ui, 14, 80, kNow).text();
  EXPECT_TRUE(contains(last, "sousveil sees who captures here"));  // the last blind spot
  ui.page = Page::Watchers;
  ui.detail_open = true;
  ui.detail_scroll = 1 << 20;
  clamp_scroll(ui, *snap(), 24, 80, kNow);
  EXPECT_LT(ui.detail_scroll, 100);
  EXPECT_TRUE(contains(compose(*snap(), ui, 24, 80, kNow).text(), "ps -o pid,user,lstart,args"));
}

TEST_F(FrameTest, TooSmallStillShowsHealth) {
  UiState ui;
  Frame f = compose(*snap(), ui, 8, 30, kNow);
  expect_exact_width(f);
  EXPECT_TRUE(contains(f.text(), "terminal too small"));
  EXPECT_TRUE(contains(f.text(6), "agent 0.1.0"));
}

TEST_F(FrameTest, HostileProgramNamesCannotDriveTheTerminal) {
  auto w = given_watcher(99, "clipboard", "active", "critical", "2026-11-29T09:59:59Z", "/tmp/\x1b[2J\x1b]0;owned\x07");
  m_model.on_push(push("watcher", w));
  UiState ui;
  Frame f = compose(*snap(), ui, 24, 120, kNow);
  EXPECT_FALSE(contains(f.text(), "\x1b"));
  EXPECT_FALSE(contains(f.text(), "\x07"));
  EXPECT_FALSE(contains(once_text(*snap(), kNow, true), "\x1b"));
}

TEST_F(FrameTest, OnceTextForAFixture) {
  std::string text = once_text(*snap(), kNow, true);
  const std::string expected =
      "sousveil dash at 2026-11-29 10:00:00 UTC\n"
      "[KEYS\u25CF] [SCREEN\u25CF] [camera ] [mic ] [clip ] [term ] [khook ] [remote ] [rec ]\n"
      "\n"
      "WATCHERS: 2 active, 1 recently ended\n"
      "    ID PROGRAM              PID USER       PRODUCT        CATEGORY          SEV   SINCE  COUNT  REASON\n"
      "     8 monitor-agent-w\u2026    4242 root       -              keystrokes        CRIT     3s     42  Reads the text of the virtual consoles\n"
      "     7 head                3438 root       -              screen            HIGH  4m12s     42  Reads the text of the virtual consoles\n"
      "     3 head                3438 root       -              microphone        med   4m12s     42  ended 2m00s ago (process exited): Reads the text of the virtual consoles\n"
      "\n"
      "POSTURE:\n"
      "  no posture findings\n"
      "\n"
      "HEALTH: agent 0.1.0 \u00B7 ebpf \u00B7 sensors: 1 running, 1 failed (x11: no X display: DISPLAY is not set) \u00B7 events lost: 0\n"
      "  bpf          running   tracepoints attached\n"
      "  x11          failed    no X display: DISPLAY is not set\n"
      "\n"
      "WHAT CANNOT BE SEEN:\n"
      "  - what the x11 sensor watches: failed: no X display: DISPLAY is not set\n";
  EXPECT_EQ(text.substr(0, expected.size()), expected);
  EXPECT_TRUE(contains(text, "  - hardware keyloggers"));
}

TEST_F(FrameTest, OnceJson) {
  json j = once_json(*snap());
  ASSERT_EQ(j["indicators"].size(), 9u);
  EXPECT_EQ(j["indicators"][0]["category"], "keystrokes");
  EXPECT_EQ(j["indicators"][0]["lit"], true);
  EXPECT_EQ(j["indicators"][0]["worst_severity"], "critical");
  EXPECT_EQ(j["indicators"][3]["lit"], false);
  ASSERT_EQ(j["watchers"].size(), 3u);
  EXPECT_EQ(j["watchers"][0]["id"], 8);
  EXPECT_EQ(j["watchers"][0]["process"]["pid"], 4242);
  EXPECT_EQ(j["health"]["mode"], "ebpf");
  EXPECT_EQ(j["health"]["incomplete"], false);
  EXPECT_FALSE(j["blind_spots"].empty());
}

}  // namespace
}  // namespace sousveil::tui
