// SPDX-License-Identifier: Apache-2.0
#include "service/journal.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "service/systemd.h"

namespace sousveil::service {
namespace {

bool has(const std::vector<std::string>& fields, const std::string& f) {
  return std::find(fields.begin(), fields.end(), f) != fields.end();
}

track::WatcherChange given_change(track::Change change) {
  track::WatcherChange c{change, {}};
  c.watcher.id = 9;
  c.watcher.finding.rule_id = "input.keyboard-read";
  c.watcher.finding.severity = rules::Severity::High;
  c.watcher.finding.category = rules::Category::Keystrokes;
  c.watcher.finding.explanation = "reads every key";
  c.watcher.process.pid = 321;
  c.watcher.process.comm = "logkeys";
  c.watcher.process.exe = "/usr/bin/logkeys";
  c.watcher.evidence = {"/dev/input/event3"};
  c.watcher.end_reason = "process exited";
  return c;
}

TEST(Journal, NewWatcherFields) {
  BootClock clock;
  auto f = journal_fields(given_change(track::Change::New), clock);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0], "MESSAGE=new watcher: logkeys (pid 321) reads every key");
  EXPECT_TRUE(has(f, "PRIORITY=4"));
  EXPECT_TRUE(has(f, "SOUSVEIL_RULE=input.keyboard-read"));
  EXPECT_TRUE(has(f, "SOUSVEIL_SEVERITY=high"));
  EXPECT_TRUE(has(f, "SOUSVEIL_CATEGORY=keystrokes"));
  EXPECT_TRUE(has(f, "SOUSVEIL_PID=321"));
  EXPECT_TRUE(has(f, "SOUSVEIL_EXE=/usr/bin/logkeys"));
  EXPECT_TRUE(has(f, "SOUSVEIL_WATCHER_ID=9"));
  EXPECT_TRUE(has(f, "SOUSVEIL_EVIDENCE=/dev/input/event3"));
}

TEST(Journal, EndedWatcherIsInfoWithReason) {
  BootClock clock;
  auto f = journal_fields(given_change(track::Change::Ended), clock);
  EXPECT_TRUE(has(f, "PRIORITY=6"));
  EXPECT_TRUE(has(f, "SOUSVEIL_END_REASON=process exited"));
  EXPECT_TRUE(has(f, "SOUSVEIL_CHANGE=ended"));
}

TEST(Journal, FindingFieldsAndValidUtf8) {
  rules::Finding finding;
  finding.rule_id = "screen.x11-getimage";
  finding.severity = rules::Severity::Critical;
  finding.category = rules::Category::Screen;
  finding.explanation = "grabs the screen";
  EnrichedEvent ev;
  ev.process.pid = 77;
  ev.process.exe = std::string("/tmp/bad\xff name");
  auto f = journal_fields(finding, ev);
  EXPECT_TRUE(has(f, "PRIORITY=2"));
  EXPECT_TRUE(has(f, "SOUSVEIL_PID=77"));
  for (const auto& field : f) EXPECT_EQ(field.find('\xff'), std::string::npos) << field;
}

TEST(StatusLine, SaysModeSensorsWatchersLosses) {
  Status s;
  s.mode = "ebpf";
  s.sensors = {{"ebpf", SensorState::Running, ""}, {"x11", SensorState::Failed, "no display"},
               {"snapshot", SensorState::Done, ""}};
  s.watchers_active = 2;
  s.findings = 10;
  s.device.lost = 3;
  EXPECT_EQ(status_line(s), "watching (ebpf): 2 sensors up, 1 failed; 2 active watchers; 10 findings; 3 events lost");
  s.rules_error = "bad";
  EXPECT_NE(status_line(s).find("RULES NOT LOADED"), std::string::npos);
}

}  // namespace
}  // namespace sousveil::service
