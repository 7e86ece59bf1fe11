// SPDX-License-Identifier: Apache-2.0
#include "notify/notifier.h"

#include <gtest/gtest.h>

namespace sousveil::notify {
namespace {

using std::chrono::milliseconds;
using Clock = Notifier::Clock;

class RecordingServer final : public NotificationServer {
 public:
  Result<std::uint32_t> notify(const Notification& n) override {
    if (fail) return make_error("org.freedesktop.DBus.Error.ServiceUnknown");
    shown.push_back(n);
    return static_cast<std::uint32_t>(shown.size());
  }
  std::vector<Notification> shown;
  bool fail = false;
};

nlohmann::json given_watcher(std::string comm, std::string severity = "high", std::string category = "keystrokes",
                             std::string product = "") {
  return {{"change", "new"},
          {"id", 7},
          {"state", "active"},
          {"rule", "input.keyboard-read"},
          {"title", "Reads a keyboard"},
          {"category", category},
          {"severity", severity},
          {"explanation", "reads every key you type on AT Translated <Set 2> keyboard & more"},
          {"product", product},
          {"process", {{"pid", 4242}, {"comm", comm}, {"exe", "/usr/bin/" + comm}, {"user", "alice"}, {"uid", 1000}}},
          {"evidence", {"/dev/input/event3"}},
          {"attempt", false}};
}

TEST(Notifier, OneNewWatcherNamesProgramProductAndWhatItCaptures) {
  auto n = single_notification(given_watcher("logkeys", "high", "keystrokes", "teramind"));
  EXPECT_EQ(n.summary, "logkeys (teramind) can capture your keystrokes");
  EXPECT_NE(n.body.find("Program: /usr/bin/logkeys (pid 4242, user alice)"), std::string::npos) << n.body;
  EXPECT_NE(n.body.find("Product: teramind"), std::string::npos);
  EXPECT_NE(n.body.find("Severity: high, rule input.keyboard-read"), std::string::npos);
  // Markup in names and explanations stays text.
  EXPECT_NE(n.body.find("&lt;Set 2&gt; keyboard &amp; more"), std::string::npos) << n.body;
  EXPECT_EQ(n.urgency, Urgency::Critical);
}

TEST(Notifier, SeverityBecomesUrgency) {
  EXPECT_EQ(urgency_for("info"), Urgency::Low);
  EXPECT_EQ(urgency_for("low"), Urgency::Low);
  EXPECT_EQ(urgency_for("medium"), Urgency::Normal);
  EXPECT_EQ(urgency_for("high"), Urgency::Critical);
  EXPECT_EQ(urgency_for("critical"), Urgency::Critical);
}

TEST(Notifier, SinglesWaitAMomentThenGoOut) {
  RecordingServer server;
  Notifier n(server, {});
  auto t0 = Clock::now();
  ASSERT_TRUE(n.on_watcher(given_watcher("a"), t0));
  auto due = n.tick(t0);
  ASSERT_TRUE(due);
  EXPECT_TRUE(server.shown.empty());
  EXPECT_FALSE(n.tick(*due));
  ASSERT_EQ(server.shown.size(), 1U);
  EXPECT_EQ(server.shown[0].summary, "a can capture your keystrokes");
}

TEST(Notifier, StormOfFiftyIsOneSummary) {
  RecordingServer server;
  Notifier n(server, {});
  auto t = Clock::now();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(n.on_watcher(given_watcher("w" + std::to_string(i)), t + milliseconds(i)));
  n.tick(t + milliseconds(1000));
  ASSERT_EQ(server.shown.size(), 1U);
  EXPECT_EQ(server.shown[0].summary, "50 new watchers: w0, w1, w2, ...");
  EXPECT_NE(server.shown[0].body.find("w7 (keystrokes) and 42 more"), std::string::npos) << server.shown[0].body;
  EXPECT_EQ(n.summaries(), 1U);
  // The storm goes on: the rest of the window is held, then one more summary.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(n.on_watcher(given_watcher("x"), t + milliseconds(2000)));
  n.tick(t + milliseconds(5000));
  EXPECT_EQ(server.shown.size(), 1U);
  n.tick(t + milliseconds(11'100));
  ASSERT_EQ(server.shown.size(), 2U);
  EXPECT_EQ(server.shown[1].summary, "5 new watchers: x, x, x, ...");
}

TEST(Notifier, ThresholdSinglesThenSummaryWithinWindow) {
  RecordingServer server;
  Notifier n(server, {});
  auto t = Clock::now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(n.on_watcher(given_watcher("s" + std::to_string(i)), t + milliseconds(i * 1000)));
    n.tick(t + milliseconds(i * 1000 + 400));
  }
  EXPECT_EQ(server.shown.size(), 3U);
  ASSERT_TRUE(n.on_watcher(given_watcher("late1"), t + milliseconds(3500)));
  ASSERT_TRUE(n.on_watcher(given_watcher("late2"), t + milliseconds(3600)));
  n.tick(t + milliseconds(4000));
  EXPECT_EQ(server.shown.size(), 3U) << "the window's budget is spent";
  n.tick(t + milliseconds(10'300));
  EXPECT_EQ(server.shown.size(), 3U) << "held until the first single leaves the window";
  n.tick(t + milliseconds(10'500));
  ASSERT_EQ(server.shown.size(), 4U);
  EXPECT_EQ(server.shown[3].summary, "2 new watchers: late1, late2");
}

TEST(Notifier, IgnoresEndedAndBelowMinimum) {
  RecordingServer server;
  NotifierOptions o;
  o.min_severity = "medium";
  Notifier n(server, o);
  auto t = Clock::now();
  auto ended = given_watcher("a");
  ended["change"] = "ended";
  ASSERT_TRUE(n.on_watcher(ended, t));
  ASSERT_TRUE(n.on_watcher(given_watcher("b", "low"), t));
  n.flush(t);
  EXPECT_TRUE(server.shown.empty());
  EXPECT_EQ(n.ignored(), 2U);
}

TEST(Notifier, MalformedPushIsAnErrorNamingTheField) {
  RecordingServer server;
  Notifier n(server, {});
  auto w = given_watcher("a");
  w.erase("severity");
  auto r = n.on_watcher(w, Clock::now());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("\"severity\""), std::string::npos);
  w = given_watcher("a");
  w["process"]["pid"] = "x";
  EXPECT_FALSE(n.on_watcher(w, Clock::now()));
  EXPECT_FALSE(n.on_watcher(nlohmann::json::array(), Clock::now()));
  w = given_watcher("a");
  w["severity"] = "dire";
  EXPECT_FALSE(n.on_watcher(w, Clock::now()));
}

TEST(Notifier, FailedDeliveryIsCounted) {
  RecordingServer server;
  server.fail = true;
  Notifier n(server, {});
  ASSERT_TRUE(n.on_watcher(given_watcher("a"), Clock::now()));
  n.flush(Clock::now());
  EXPECT_EQ(n.failed(), 1U);
  EXPECT_EQ(n.sent(), 0U);
}

}  // namespace
}  // namespace sousveil::notify
