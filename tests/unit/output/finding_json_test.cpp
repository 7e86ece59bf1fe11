// SPDX-License-Identifier: Apache-2.0
#include "output/finding_json.h"

#include <gtest/gtest.h>

#include "api/peer.h"

namespace sousveil {
namespace {

using nlohmann::json;

track::Watcher given_watcher(track::WatcherState state) {
  track::Watcher w;
  w.id = 7;
  w.state = state;
  w.finding = {"keystrokes.input-read",
               "Reads the keyboard",
               rules::Severity::High,
               rules::Category::Keystrokes,
               "T1056.001",
               "logkeys reads every key you press",
               "logkeys"};
  w.process.pid = 4242;
  w.process.start_ticks = 99;
  w.process.comm = "logkeys";
  w.process.exe = "/usr/bin/logkeys";
  w.process.cmdline = {"logkeys", "--start"};
  w.process.uid = 1000;
  w.process.user = "alice";
  w.process.unit = "logkeys.service";
  w.process.package = "logkeys";
  w.process.ancestry = {{1, "systemd", "/usr/lib/systemd/systemd"}};
  w.first_seen_ns = 1'000'000'000;
  w.last_seen_ns = 2'000'000'000;
  w.ended_ns = 3'000'000'000;
  w.count = 12;
  w.end_reason = "process exited";
  w.evidence = {"/dev/input/event3"};
  return w;
}

TEST(WatcherJson, HasTheApiFields) {
  BootClock clock;
  json j = watcher_json(given_watcher(track::WatcherState::Active), clock);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(j["rule"], "keystrokes.input-read");
  EXPECT_EQ(j["category"], "keystrokes");
  EXPECT_EQ(j["severity"], "high");
  EXPECT_EQ(j["mitre"], "T1056.001");
  EXPECT_EQ(j["product"], "logkeys");
  EXPECT_EQ(j["process"]["uid"], 1000);
  EXPECT_EQ(j["process"]["user"], "alice");
  EXPECT_EQ(j["process"]["cmdline"], json({"logkeys", "--start"}));
  EXPECT_EQ(j["process"]["package"], "logkeys");
  EXPECT_EQ(j["process"]["ancestry"][0]["comm"], "systemd");
  EXPECT_EQ(j["evidence"], json({"/dev/input/event3"}));
  EXPECT_EQ(j["count"], 12);
  EXPECT_EQ(j["attempt"], false);
  EXPECT_FALSE(j.contains("ended"));
  EXPECT_EQ(j["first_seen"].get<std::string>().back(), 'Z');
  // The API's scope filter reads these same fields.
  api::Peer alice;
  alice.uid = 1000;
  EXPECT_TRUE(api::visible_to(j, alice));
}

TEST(WatcherJson, EndedOnesSayWhenAndWhy) {
  BootClock clock;
  json j = watcher_json(given_watcher(track::WatcherState::Ended), clock);
  EXPECT_EQ(j["state"], "ended");
  EXPECT_EQ(j["end_reason"], "process exited");
  EXPECT_TRUE(j["ended"].is_string());
}

TEST(FindingPushJson, NamesKindObjectAndTarget) {
  BootClock clock;
  EnrichedEvent ev;
  ev.raw.kind = EventKind::ProcessAccess;
  ev.raw.payload = AccessInfo{77, "ptrace-attach", 16};
  ev.process.pid = 10;
  ev.process.uid = 0;
  ev.process.ancestry = {{1, "init", "/sbin/init"}};
  ev.target.pid = 77;
  ev.target.uid = 1000;
  rules::Finding f{"process-memory.ptrace",
                   "Attaches to a process",
                   rules::Severity::High,
                   rules::Category::ProcessMemory,
                   "",
                   "reads another program's memory",
                   ""};
  json j = finding_push_json(f, ev, clock);
  EXPECT_EQ(j["kind"], "process_access");
  EXPECT_EQ(j["object"], "pid 77");
  EXPECT_EQ(j["target"]["uid"], 1000);
  EXPECT_FALSE(j["process"].contains("ancestry"));
  api::Peer target_owner;
  target_owner.uid = 1000;
  EXPECT_TRUE(api::visible_to(j, target_owner));
  api::Peer stranger;
  stranger.uid = 1001;
  EXPECT_FALSE(api::visible_to(j, stranger));
}

}  // namespace
}  // namespace sousveil
