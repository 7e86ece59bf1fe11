// SPDX-License-Identifier: Apache-2.0
#include "store/store_sink.h"

#include <gtest/gtest.h>

namespace sousveil::store {
namespace {

EnrichedEvent given_keyboard_read() {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::DeviceOpen;
  ev.raw.ts_boot_ns = 5'000'000'000ULL;
  DeviceAccess d;
  d.path = "/dev/input/event3";
  ev.raw.payload = d;
  ev.process.pid = 4242;
  ev.process.uid = 1000;
  ev.process.comm = "logkeys";
  ev.process.exe = "/usr/bin/logkeys";
  ev.process.cmdline = {"logkeys", "-s"};
  ev.process.ancestry = {{1, "systemd", "/usr/lib/systemd/systemd"}};
  return ev;
}

rules::Finding given_finding() {
  rules::Finding f;
  f.rule_id = "input-device-open";
  f.title = "Reads the keyboard";
  f.severity = rules::Severity::High;
  f.category = rules::Category::Keystrokes;
  f.mitre = "T1056.001";
  f.explanation = "logkeys can see every key you type";
  return f;
}

TEST(StoreSinkTest, FindingRecordHasTheIndexedColumnsAndThePushShape) {
  BootClock clock;
  auto r = finding_record(given_keyboard_read(), given_finding(), clock);
  EXPECT_EQ(r.kind, RecordKind::Finding);
  EXPECT_EQ(r.rule, "input-device-open");
  EXPECT_EQ(r.category, "keystrokes");
  EXPECT_EQ(r.severity, "high");
  EXPECT_EQ(r.pid, 4242U);
  EXPECT_EQ(r.uid, 1000U);
  EXPECT_FALSE(r.target_uid);
  EXPECT_EQ(r.exe, "/usr/bin/logkeys");
  EXPECT_EQ(r.time_ns, static_cast<std::int64_t>(clock.to_unix_ns(5'000'000'000ULL)));
  auto j = nlohmann::json::parse(r.json);
  EXPECT_EQ(j["object"], "/dev/input/event3");
  EXPECT_EQ(j["kind"], "device_open");
  EXPECT_EQ(j["process"]["pid"], 4242);
  EXPECT_FALSE(j["process"].contains("ancestry"));  // the finding push carries no ancestry
  EXPECT_EQ(j["mitre"], "T1056.001");
}

TEST(StoreSinkTest, WatcherRecordCarriesTheWatcherObject) {
  BootClock clock;
  track::WatcherChange c{track::Change::Ended, {}};
  c.watcher.id = 9;
  c.watcher.finding = given_finding();
  c.watcher.process = given_keyboard_read().process;
  c.watcher.state = track::WatcherState::Ended;
  c.watcher.ended_ns = 7'000'000'000ULL;
  c.watcher.end_reason = "process exited";
  c.watcher.count = 3;
  c.watcher.evidence = {"/dev/input/event3"};
  auto r = watcher_record(c, clock);
  EXPECT_EQ(r.kind, RecordKind::Watcher);
  EXPECT_EQ(r.watcher_id, 9U);
  EXPECT_EQ(r.time_ns, static_cast<std::int64_t>(clock.to_unix_ns(7'000'000'000ULL)));
  auto j = nlohmann::json::parse(r.json);
  EXPECT_EQ(j["id"], 9);
  EXPECT_EQ(j["change"], "ended");
  EXPECT_EQ(j["state"], "ended");
  EXPECT_EQ(j["end_reason"], "process exited");
  EXPECT_EQ(j["process"]["ancestry"].size(), 1U);
  EXPECT_EQ(j["evidence"][0], "/dev/input/event3");
}

TEST(StoreSinkTest, SinkStoresFindingsNotRawEvents) {
  char tmpl[] = "/tmp/sv-sink-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  StoreOptions o;
  o.path = dir / "history.db";
  o.synchronous_full = false;
  auto store = Store::open(o);
  ASSERT_TRUE(store.ok()) << store.error().message;
  BootClock clock;
  std::vector<std::uint64_t> stored;
  std::mutex m;
  StoreSink sink(**store, clock, [&](const Record& r, Result<std::uint64_t> seq) {
    ASSERT_TRUE(seq.ok());
    EXPECT_FALSE(r.json.empty());
    std::lock_guard lk(m);
    stored.push_back(*seq);
  });
  sink.agent_started("0.1.0");
  sink.on_event(given_keyboard_read(), {});  // no finding: nothing stored
  sink.on_event(given_keyboard_read(), {given_finding(), given_finding()});
  sink.on_lost("device", 12);
  sink.on_sensor(SensorStatus{"x11", SensorState::Failed, "no DISPLAY"});
  sink.agent_stopped("0.1.0");
  (*store)->flush();
  EXPECT_EQ(stored.size(), 6U);
  HistoryQuery q;
  q.oldest_first = true;
  auto rows = (*store)->query(q).rows;
  ASSERT_EQ(rows.size(), 6U);
  EXPECT_EQ(rows[0].record.kind, RecordKind::Agent);
  EXPECT_EQ(rows[1].record.kind, RecordKind::Finding);
  EXPECT_EQ(rows[3].record.kind, RecordKind::Lost);
  EXPECT_EQ(rows[3].record.category, "device");
  EXPECT_EQ(rows[4].record.kind, RecordKind::Sensor);
  EXPECT_EQ(nlohmann::json::parse(rows[5].record.json)["event"], "stopped");
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sousveil::store
