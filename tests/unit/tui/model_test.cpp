// SPDX-License-Identifier: Apache-2.0
#include "tui/model.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace sousveil::tui {
namespace {

using namespace sousveil::tui::testing;
using nlohmann::json;

const Indicator& indicator(const Snapshot& s, std::string_view category) {
  for (const auto& i : s.indicators)
    if (i.category == category) return i;
  throw std::logic_error("no indicator " + std::string(category));
}

TEST(DashModel, WatchersResultLightsIndicatorsAndSortsActiveFirst) {
  DashModel m;
  m.on_connected();
  json list = {{"watchers",
                {given_watcher(1, "screen", "ended"), given_watcher(2, "keystrokes", "active", "medium"),
                 given_watcher(3, "screen", "active", "critical", "2026-11-29T09:00:00Z"),
                 given_watcher(4, "keystrokes", "active", "medium", "2026-11-29T09:59:00Z")}}};
  EXPECT_TRUE(m.on_watchers(list));
  auto s = m.snapshot();
  ASSERT_EQ(s->watchers.size(), 4u);
  // Worst severity first, then the newest; ended last.
  EXPECT_EQ(s->watchers[0].id, 3u);
  EXPECT_EQ(s->watchers[1].id, 4u);
  EXPECT_EQ(s->watchers[2].id, 2u);
  EXPECT_EQ(s->watchers[3].id, 1u);
  EXPECT_EQ(s->active_count(), 3u);
  EXPECT_TRUE(indicator(*s, "screen").lit);
  EXPECT_EQ(indicator(*s, "screen").active, 1u);  // the ended one does not count
  EXPECT_EQ(indicator(*s, "screen").worst, Severity::Critical);
  EXPECT_EQ(indicator(*s, "keystrokes").active, 2u);
  EXPECT_FALSE(indicator(*s, "camera").lit);
  // Parsed fields.
  const auto& w = s->watchers[0];
  EXPECT_EQ(w.program(), "head");
  EXPECT_EQ(w.pid, 3438u);
  EXPECT_EQ(w.user, "root");
  ASSERT_EQ(w.ancestry.size(), 2u);
  EXPECT_EQ(w.ancestry[0].comm, "bash");
  ASSERT_TRUE(w.first_seen);
  EXPECT_DOUBLE_EQ(*w.first_seen, kNow - 3600);
}

TEST(DashModel, WatcherPushesAddThenEnd) {
  DashModel m;
  m.on_connected();
  m.on_watchers(json{{"watchers", json::array()}});
  auto before = m.snapshot();
  EXPECT_FALSE(indicator(*before, "camera").lit);

  auto w = given_watcher(7, "camera");
  w["change"] = "new";
  EXPECT_TRUE(m.on_push(push("watcher", w)));
  auto s = m.snapshot();
  EXPECT_NE(s->generation, before->generation);
  ASSERT_EQ(s->watchers.size(), 1u);
  EXPECT_TRUE(indicator(*s, "camera").lit);
  // The earlier snapshot is untouched: snapshots are immutable.
  EXPECT_TRUE(before->watchers.empty());

  auto ended = given_watcher(7, "camera", "ended");
  ended["change"] = "ended";
  m.on_push(push("watcher", ended));
  s = m.snapshot();
  ASSERT_EQ(s->watchers.size(), 1u);
  EXPECT_FALSE(s->watchers[0].active());
  EXPECT_EQ(s->watchers[0].end_reason, "process exited");
  EXPECT_FALSE(indicator(*s, "camera").lit);
}

TEST(DashModel, EndedPushWithoutStateFieldStillEnds) {
  DashModel m;
  m.on_push(push("watcher", given_watcher(9, "microphone")));
  auto e = given_watcher(9, "microphone");
  e["change"] = "ended";  // state still says active: the change wins
  m.on_push(push("watcher", e));
  EXPECT_FALSE(m.snapshot()->watchers.at(0).active());
}

TEST(DashModel, PostureIsKeptApartFromTheList) {
  DashModel m;
  m.on_watchers(json{{"watchers", {given_watcher(1, "posture", "active", "medium"), given_watcher(2, "terminal")}}});
  auto s = m.snapshot();
  ASSERT_EQ(s->watchers.size(), 1u);
  EXPECT_EQ(s->watchers[0].category, "terminal");
  ASSERT_EQ(s->posture.size(), 1u);
  EXPECT_TRUE(indicator(*s, "terminal").lit);
}

TEST(DashModel, HealthFromStatusSensorAndLostPushes) {
  DashModel m;
  m.on_connected();
  EXPECT_TRUE(m.on_status(given_status(0)));
  auto s = m.snapshot();
  EXPECT_TRUE(s->health.have_status);
  EXPECT_EQ(s->health.mode, "ebpf");
  EXPECT_EQ(s->health.sensors_running, 1u);
  EXPECT_EQ(s->health.sensors_failed, 1u);
  EXPECT_FALSE(s->health.incomplete());
  // The same status a second later (only uptime moves) is no change to redraw.
  auto again = given_status(0);
  again["uptime_s"] = 62.5;
  EXPECT_FALSE(m.on_status(again));

  m.on_push(push("lost", json{{"category", "device"}, {"count", 5}}));
  s = m.snapshot();
  EXPECT_EQ(s->health.events_lost, 5u);
  EXPECT_TRUE(s->health.incomplete());
  // The next status carries the total: the pushed count is not added twice.
  m.on_status(given_status(5));
  EXPECT_EQ(m.snapshot()->health.events_lost, 5u);

  m.on_push(push("sensor", json{{"name", "x11"}, {"state", "running"}, {"detail", "recording :0"}}));
  s = m.snapshot();
  EXPECT_EQ(s->health.sensors_running, 2u);
  EXPECT_EQ(s->health.sensors_failed, 0u);

  m.on_push(push("lagged", json{{"dropped", 17}}));
  EXPECT_EQ(m.snapshot()->health.pushes_dropped, 17u);
}

TEST(DashModel, BlindSpotsNameFailedSensorsFallbackAndLoss) {
  DashModel m;
  m.on_connected();
  auto st = given_status(3);
  st["mode"] = "fallback";
  m.on_status(st);
  auto s = m.snapshot();
  auto has = [&](std::string_view needle) {
    for (const auto& b : s->blind_spots)
      if (b.what.find(needle) != std::string::npos || b.why.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("no X display: DISPLAY is not set"));
  EXPECT_TRUE(has("/proc fallback"));
  EXPECT_TRUE(has("3 lost"));
  EXPECT_TRUE(has("hardware keyloggers"));  // a limit of the method, always listed
}

TEST(DashModel, ASensorOffBecauseAnotherCoversItIsNoBlindSpot) {
  DashModel m;
  m.on_connected();
  auto st = given_status(0, "running");
  st["sensors"].push_back({{"name", "proc-scan"}, {"state", "disabled"}, {"detail", "not needed: eBPF is running"}});
  st["sensors"].push_back({{"name", "dbus"}, {"state", "disabled"}, {"detail", "switched off in the config"}});
  m.on_status(st);
  auto s = m.snapshot();
  EXPECT_EQ(s->health.sensors_running, 2u);
  EXPECT_EQ(s->health.sensors_failed, 0u);
  EXPECT_EQ(s->health.sensors_off, 2u);
  bool proc = false, dbus = false;
  for (const auto& b : s->blind_spots) {
    proc = proc || b.what.find("proc-scan") != std::string::npos;
    dbus = dbus || b.what.find("dbus") != std::string::npos;
  }
  EXPECT_FALSE(proc);
  EXPECT_TRUE(dbus);
}

TEST(DashModel, DisconnectIsShownAndReconnectClearsIt) {
  DashModel m;
  m.on_connected();
  EXPECT_TRUE(m.on_disconnected("agent not running \u2014 reconnecting\u2026"));
  auto s = m.snapshot();
  EXPECT_FALSE(s->health.connected);
  EXPECT_EQ(s->health.connection, "agent not running \u2014 reconnecting\u2026");
  EXPECT_FALSE(m.on_disconnected("agent not running \u2014 reconnecting\u2026"));  // same: nothing to redraw
  EXPECT_TRUE(m.on_connected());
  EXPECT_TRUE(m.snapshot()->health.connected);
}

TEST(DashModel, MalformedMessagesAreCountedNotApplied) {
  DashModel m;
  m.on_watchers(json{{"watchers", {given_watcher(1, "screen"), json{{"id", "seven"}}, json{{"id", 8}}}}});
  auto s = m.snapshot();
  EXPECT_EQ(s->watchers.size(), 1u);
  EXPECT_EQ(s->health.malformed, 2u);
  m.on_push(json{{"v", 1}, {"data", 1}});
  m.on_push(push("weather", json::object()));
  s = m.snapshot();
  EXPECT_EQ(s->health.malformed, 4u);
  EXPECT_NE(s->health.last_malformed.find("weather"), std::string::npos);
}

TEST(DashModel, FindingsAreKeptNewestFirstAndBounded) {
  DashModel m(200, 3);
  for (int i = 0; i < 5; ++i)
    m.on_push(push("finding", json{{"rule", "r" + std::to_string(i)}, {"category", "screen"}, {"severity", "low"},
                                   {"time", "2026-11-29T10:00:0" + std::to_string(i) + "Z"},
                                   {"process", {{"pid", 10 + i}, {"comm", "x"}, {"exe", "/usr/bin/xwd"}}}}));
  auto s = m.snapshot();
  ASSERT_EQ(s->recent_findings.size(), 3u);
  EXPECT_EQ(s->recent_findings[0].rule, "r4");
  EXPECT_EQ(s->recent_findings[0].program, "xwd");
}

TEST(DashModel, EndedWatchersAreBounded) {
  DashModel m(2);
  for (int i = 1; i <= 5; ++i)
    m.on_push(push("watcher", given_watcher(i, "screen", "ended", "high", "2026-11-29T09:5" + std::to_string(i) + ":00Z")));
  m.on_push(push("watcher", given_watcher(6, "screen")));
  auto s = m.snapshot();
  EXPECT_EQ(s->watchers.size(), 3u);  // the active one and two ended
  EXPECT_TRUE(s->watchers[0].active());
}

TEST(DashModel, HistoryRowsAndUnavailable) {
  DashModel m;
  m.on_history(json::parse(R"({"rows":[{"seq":4,"time":"2026-11-29T09:00:00Z","kind":"watcher","category":"screen",
     "rule":"vcs-read","severity":"high","process":{"pid":3438,"uid":0,"exe":"/usr/bin/head"},"watcher":7,
     "record":{"change":"new","title":"Reads the text of the virtual consoles"}}],"truncated":false})"));
  auto s = m.snapshot();
  ASSERT_TRUE(s->history.loaded);
  ASSERT_EQ(s->history.rows.size(), 1u);
  EXPECT_EQ(s->history.rows[0].summary, "new: Reads the text of the virtual consoles");
  EXPECT_EQ(s->history.rows[0].pid, 3438u);
  EXPECT_EQ(s->history.rows[0].exe, "/usr/bin/head");
  m.on_history_error("unavailable: the agent runs without a store");
  s = m.snapshot();
  EXPECT_TRUE(s->history.rows.empty());
  EXPECT_EQ(s->history.unavailable, "unavailable: the agent runs without a store");
}

TEST(DashModel, SnapshotIsCachedUntilSomethingChanges) {
  DashModel m;
  auto a = m.snapshot();
  auto b = m.snapshot();
  EXPECT_EQ(a.get(), b.get());
  m.on_push(push("watcher", given_watcher(1, "clipboard")));
  EXPECT_NE(m.snapshot().get(), a.get());
}

}  // namespace
}  // namespace sousveil::tui
