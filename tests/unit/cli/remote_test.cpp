// SPDX-License-Identifier: Apache-2.0
#include "cli/remote.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(RemoteStatus, TheAgentsJsonPrintsAsTheSameText) {
  Status s;
  s.version = "0.1.0";
  s.mode = "ebpf";
  s.fidelity = "full";
  s.uptime_s = 42;
  s.sensors = {{"ebpf", SensorState::Running, "tracepoints"}, {"x11", SensorState::Failed, "no DISPLAY"}};
  s.device = {10, 9, 1};
  s.capture = {5, 5, 0};
  s.kernel.open_seen = 1000;
  s.decode.decoded = 15;
  s.decode.errors[2] = 3;
  s.rules_loaded = 85;
  s.rules_enabled = 80;
  s.rule_sources = {"/etc/sousveil/rules.d/a.yaml"};
  s.rules_error = "a.yaml:3: bad";
  s.findings = 7;
  s.watchers_active = 2;
  Status back = status_from_json(to_json(s));
  EXPECT_EQ(to_json(back), to_json(s));
  EXPECT_EQ(to_text(back), to_text(s));
}

TEST(RemoteStatus, ForeignJsonDoesNotThrow) {
  EXPECT_NO_THROW((void)status_from_json(json::array()));
  EXPECT_NO_THROW((void)status_from_json(json{{"rules", {{"loaded", "many"}}}}));
}

TEST(WatcherLine, NamesWhoWhatAndSince) {
  json w = {{"id", 3},
            {"state", "ended"},
            {"severity", "high"},
            {"category", "keystrokes"},
            {"title", "Reads the keyboard"},
            {"first_seen", "2026-11-29T10:00:00.123Z"},
            {"count", 4},
            {"end_reason", "process exited"},
            {"process", {{"comm", "logkeys"}, {"pid", 77}, {"user", "alice"}}}};
  std::string line = watcher_line(w);
  EXPECT_THAT(line, HasSubstr("#3"));
  EXPECT_THAT(line, HasSubstr("logkeys[77] (alice)"));
  EXPECT_THAT(line, HasSubstr("since 2026-11-29 10:00:00"));
  EXPECT_THAT(line, HasSubstr("ended: process exited"));
}

TEST(ParseWatchers, FlagsAreCheckedAndNamed) {
  auto o = parse({"watchers", "--json", "--state", "ended", "--socket", "/tmp/x.sock"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::Watchers);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->watcher_state, "ended");
  EXPECT_EQ(o->socket_path, "/tmp/x.sock");
  auto bad = parse({"watchers", "--state", "gone"});
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("--state"));
  EXPECT_FALSE(parse({"watchers", "--pretty"}));
  auto st = parse({"status", "--socket", "/tmp/y.sock"});
  ASSERT_TRUE(st);
  EXPECT_EQ(st->socket_path, "/tmp/y.sock");
}

}  // namespace
}  // namespace sousveil::cli
