// SPDX-License-Identifier: Apache-2.0
#include "track/tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sousveil {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using track::Change;
using track::WatcherState;

constexpr std::uint64_t kSecond = 1'000'000'000ULL;
constexpr std::uint64_t kMs = 1'000'000ULL;

// /proc as the tracker sees it: every process holds its devices until told otherwise.
class FakeHoldChecker final : public track::HoldChecker {
 public:
  std::optional<bool> holds_any(
      const ProcessKey& process,
      const std::set<std::pair<std::uint32_t, std::uint32_t>>& devices) override {
    ++m_calls;
    m_asked[process] = devices;
    auto it = m_state.find(process);
    if (it == m_state.end()) return true;
    return it->second;
  }
  void closes_its_devices(const ProcessKey& p) { m_state[p] = false; }
  void exits(const ProcessKey& p) { m_state[p] = std::nullopt; }

  int m_calls = 0;
  std::map<ProcessKey, std::set<std::pair<std::uint32_t, std::uint32_t>>> m_asked;

 private:
  std::map<ProcessKey, std::optional<bool>> m_state;
};

constexpr ProcessKey kEvtest{4242, 9000};
constexpr ProcessKey kCat{5151, 9100};

EnrichedEvent device_open(const ProcessKey& who, std::string path = "/dev/input/event3",
                          std::uint32_t minor = 67, std::int32_t err = 0) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::DeviceOpen;
  DeviceAccess d;
  d.device_class = DeviceClass::Input;
  d.major = 13;
  d.minor = minor;
  d.path = std::move(path);
  d.name = "event" + std::to_string(minor - 64);
  d.err = err;
  d.fd = err ? -1 : 3;
  ev.raw.payload = d;
  ev.process.pid = who.pid;
  ev.process.start_ticks = who.start_ticks;
  ev.process.comm = who.pid == kEvtest.pid ? "evtest" : "cat";
  ev.process.exe = "/usr/bin/" + ev.process.comm;
  return ev;
}

// An event with no device: a polling kind such as QueryKeymap would look like this.
EnrichedEvent polling(const ProcessKey& who) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::ProcessExec;
  ev.raw.payload = ExecInfo{"/usr/bin/xdotool", {"xdotool"}};
  ev.process.pid = who.pid;
  ev.process.start_ticks = who.start_ticks;
  ev.process.comm = "xdotool";
  return ev;
}

rules::Finding finding(std::string rule_id) {
  rules::Finding f;
  f.rule_id = std::move(rule_id);
  f.title = "Reads keyboards and mice directly";
  f.severity = rules::Severity::High;
  f.category = rules::Category::Keystrokes;
  f.explanation = "evtest opened /dev/input/event3";
  return f;
}

rules::Rule policy(std::chrono::milliseconds confirm_after = {},
                   std::optional<std::chrono::milliseconds> quiet_after = std::nullopt) {
  rules::Rule r;
  r.id = "keystrokes.input-device-open";
  r.confirm_after = confirm_after;
  r.quiet_after = quiet_after;
  return r;
}

std::vector<Change> kinds_of(const std::vector<track::WatcherChange>& changes) {
  std::vector<Change> out;
  for (const auto& c : changes) out.push_back(c.change);
  return out;
}

class TrackerTest : public ::testing::Test {
 protected:
  std::vector<track::WatcherChange> see(
      const EnrichedEvent& ev, std::uint64_t at, const rules::Rule& rule,
      const std::string& rule_id = "keystrokes.input-device-open") {
    return m_tracker.on_finding(finding(rule_id), &rule, ev, at);
  }

  FakeHoldChecker m_checker;
  track::TrackerOptions m_options;
  track::Tracker m_tracker{m_options, m_checker};
  rules::Rule m_now = policy();
};

TEST_F(TrackerTest, AnnouncesANewWatcherOnceAndRepeatsUpdateIt) {
  auto first = see(device_open(kEvtest), 1 * kSecond, m_now);
  ASSERT_THAT(kinds_of(first), ElementsAre(Change::New));
  const auto& w = first[0].watcher;
  EXPECT_EQ(w.state, WatcherState::Active);
  EXPECT_EQ(w.count, 1U);
  EXPECT_EQ(w.first_seen_ns, 1 * kSecond);
  EXPECT_EQ(w.last_seen_ns, 1 * kSecond);
  EXPECT_EQ(w.process_key, kEvtest);
  EXPECT_EQ(w.finding.rule_id, "keystrokes.input-device-open");
  EXPECT_EQ(w.process.comm, "evtest");
  EXPECT_FALSE(w.attempt);

  EXPECT_THAT(see(device_open(kEvtest), 2 * kSecond, m_now), IsEmpty());
  EXPECT_THAT(see(device_open(kEvtest), 3 * kSecond, m_now), IsEmpty());
  auto all = m_tracker.watchers();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].id, w.id);
  EXPECT_EQ(all[0].count, 3U);
  EXPECT_EQ(all[0].first_seen_ns, 1 * kSecond);
  EXPECT_EQ(all[0].last_seen_ns, 3 * kSecond);
  EXPECT_EQ(m_tracker.active_count(), 1U);
}

TEST_F(TrackerTest, KeepsTheFirstFewDevicesAsEvidenceOnce) {
  for (int round = 0; round < 2; ++round)
    for (std::uint32_t i = 0; i < 12; ++i)
      see(device_open(kEvtest, "/dev/input/event" + std::to_string(i), 64 + i), (1 + i) * kSecond,
          m_now);
  auto w = m_tracker.watchers().at(0);
  EXPECT_EQ(w.count, 24U);
  EXPECT_THAT(w.evidence, ElementsAre("/dev/input/event0", "/dev/input/event1", "/dev/input/event2",
                                      "/dev/input/event3", "/dev/input/event4", "/dev/input/event5",
                                      "/dev/input/event6", "/dev/input/event7"));
  EXPECT_EQ(w.devices.size(), 12U) << "every device held is checked, not only those shown";
}

TEST_F(TrackerTest, NamesTheDeviceWhenThePathIsUnknown) {
  see(device_open(kEvtest, "", 70), 1 * kSecond, m_now);
  EXPECT_THAT(m_tracker.watchers().at(0).evidence, ElementsAre("event6"));
}

TEST_F(TrackerTest, WaitsForConfirmAfterAndAnnouncesIfStillHeld) {
  auto rule = policy(std::chrono::seconds(5));
  EXPECT_THAT(see(device_open(kEvtest), 1 * kSecond, rule), IsEmpty());
  EXPECT_THAT(m_tracker.watchers(), IsEmpty()) << "pending watchers are not listed";
  EXPECT_EQ(m_tracker.active_count(), 0U);
  EXPECT_THAT(see(device_open(kEvtest), 3 * kSecond, rule), IsEmpty());
  EXPECT_THAT(m_tracker.tick(6 * kSecond - 1), IsEmpty());
  auto changes = m_tracker.tick(6 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::New));
  EXPECT_EQ(changes[0].watcher.state, WatcherState::Active);
  EXPECT_EQ(changes[0].watcher.count, 2U);
  EXPECT_EQ(changes[0].watcher.first_seen_ns, 1 * kSecond);
  EXPECT_THAT(m_tracker.tick(7 * kSecond), IsEmpty()) << "announced once";
  EXPECT_EQ(m_tracker.active_count(), 1U);
  EXPECT_EQ(m_tracker.unconfirmed(), 0U);
  EXPECT_EQ(m_checker.m_asked[kEvtest],
            (std::set<std::pair<std::uint32_t, std::uint32_t>>{{13, 67}}));
}

TEST_F(TrackerTest, NeverAnnouncesAWatcherThatEndsBeforeConfirmation) {
  auto rule = policy(std::chrono::seconds(5));
  see(device_open(kEvtest), 1 * kSecond, rule);
  m_checker.closes_its_devices(kEvtest);
  EXPECT_THAT(m_tracker.tick(2 * kSecond), IsEmpty());
  EXPECT_EQ(m_tracker.unconfirmed(), 1U);
  EXPECT_THAT(m_tracker.tick(10 * kSecond), IsEmpty());
  EXPECT_THAT(m_tracker.watchers(), IsEmpty());
}

TEST_F(TrackerTest, NeverAnnouncesAWatcherWhoseProcessExitsBeforeConfirmation) {
  auto rule = policy(std::chrono::milliseconds(500));
  see(device_open(kEvtest), 1 * kSecond, rule);
  EXPECT_THAT(m_tracker.on_process_exit(kEvtest, 1 * kSecond + 100 * kMs), IsEmpty());
  EXPECT_EQ(m_tracker.unconfirmed(), 1U);
  EXPECT_THAT(m_tracker.tick(5 * kSecond), IsEmpty());
  EXPECT_THAT(m_tracker.watchers(), IsEmpty());
}

TEST_F(TrackerTest, ARefusedAttemptIsAnnouncedAndEndsAtOnce) {
  auto changes = see(device_open(kEvtest, "/dev/input/event3", 67, EACCES), 1 * kSecond, m_now);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::New, Change::Ended));
  EXPECT_TRUE(changes[0].watcher.attempt);
  EXPECT_THAT(changes[1].watcher.end_reason, StartsWith("attempt refused"));
  EXPECT_EQ(changes[1].watcher.state, WatcherState::Ended);
  EXPECT_EQ(m_tracker.active_count(), 0U);
  auto all = m_tracker.watchers();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].state, WatcherState::Ended);
  EXPECT_TRUE(all[0].devices.empty()) << "a refused open holds nothing";
  EXPECT_THAT(m_tracker.tick(2 * kSecond), IsEmpty());
  EXPECT_EQ(m_checker.m_calls, 0);
}

TEST_F(TrackerTest, ARefusedAttemptWaitsForConfirmAfterToo) {
  auto rule = policy(std::chrono::seconds(2));
  EXPECT_THAT(see(device_open(kEvtest, "/dev/input/event3", 67, ENXIO), 1 * kSecond, rule),
              IsEmpty());
  EXPECT_THAT(m_tracker.tick(2 * kSecond), IsEmpty());
  auto changes = m_tracker.tick(3 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::New, Change::Ended));
  EXPECT_THAT(changes[1].watcher.end_reason, StartsWith("attempt refused"));
}

TEST_F(TrackerTest, ASuccessfulOpenTurnsAnAttemptIntoAWatcher) {
  auto rule = policy(std::chrono::seconds(2));
  see(device_open(kEvtest, "/dev/input/event3", 67, EACCES), 1 * kSecond, rule);
  see(device_open(kEvtest), 1 * kSecond + 10 * kMs, rule);
  auto changes = m_tracker.tick(3 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::New));
  EXPECT_FALSE(changes[0].watcher.attempt);
  EXPECT_EQ(m_tracker.active_count(), 1U);
}

TEST_F(TrackerTest, AfterARefusedAttemptASuccessIsANewWatcher) {
  auto refused = see(device_open(kEvtest, "/dev/input/event3", 67, EACCES), 1 * kSecond, m_now);
  auto opened = see(device_open(kEvtest), 2 * kSecond, m_now);
  ASSERT_THAT(kinds_of(opened), ElementsAre(Change::New));
  EXPECT_NE(opened[0].watcher.id, refused[0].watcher.id);
  EXPECT_FALSE(opened[0].watcher.attempt);
}

TEST_F(TrackerTest, ProcessExitEndsEveryWatcherOfThatProcessOnly) {
  see(device_open(kEvtest), 1 * kSecond, m_now, "keystrokes.input-device-open");
  see(device_open(kEvtest), 1 * kSecond, m_now, "keystrokes.input-grab");
  see(device_open(kCat), 1 * kSecond, m_now);
  auto changes = m_tracker.on_process_exit(kEvtest, 4 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::Ended, Change::Ended));
  for (const auto& c : changes) {
    EXPECT_EQ(c.watcher.end_reason, "process exited");
    EXPECT_EQ(c.watcher.process_key, kEvtest);
    EXPECT_EQ(c.watcher.state, WatcherState::Ended);
  }
  EXPECT_EQ(m_tracker.active_count(), 1U);
  EXPECT_THAT(m_tracker.on_process_exit(kEvtest, 5 * kSecond), IsEmpty());
}

TEST_F(TrackerTest, EndsWhenTheDeviceIsClosed) {
  see(device_open(kEvtest), 1 * kSecond, m_now);
  EXPECT_THAT(m_tracker.tick(2 * kSecond), IsEmpty());
  m_checker.closes_its_devices(kEvtest);
  auto changes = m_tracker.tick(3 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::Ended));
  EXPECT_EQ(changes[0].watcher.end_reason, "device closed");
  EXPECT_EQ(m_tracker.active_count(), 0U);
}

TEST_F(TrackerTest, EndsWhenTheProcessIsGoneAtTheNextCheck) {
  see(device_open(kEvtest), 1 * kSecond, m_now);
  m_checker.exits(kEvtest);
  auto changes = m_tracker.tick(3 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::Ended));
  EXPECT_EQ(changes[0].watcher.end_reason, "process exited");
}

TEST_F(TrackerTest, EndsAfterTheQuietPeriodOnly) {
  auto rule = policy({}, std::chrono::seconds(30));
  ASSERT_THAT(kinds_of(see(polling(kEvtest), 10 * kSecond, rule)), ElementsAre(Change::New));
  EXPECT_THAT(m_tracker.tick(40 * kSecond - 1), IsEmpty());
  see(polling(kEvtest), 35 * kSecond, rule);  // still polling: the quiet period starts again
  EXPECT_THAT(m_tracker.tick(64 * kSecond), IsEmpty());
  auto changes = m_tracker.tick(65 * kSecond);
  ASSERT_THAT(kinds_of(changes), ElementsAre(Change::Ended));
  EXPECT_EQ(changes[0].watcher.end_reason, "quiet");
  EXPECT_EQ(changes[0].watcher.count, 2U);
  EXPECT_EQ(m_checker.m_calls, 0) << "nothing held, nothing to check";
}

TEST_F(TrackerTest, WithoutQuietAfterAWatcherWithNoDeviceStays) {
  see(polling(kEvtest), 10 * kSecond, m_now);
  EXPECT_THAT(m_tracker.tick(3600 * kSecond), IsEmpty());
  EXPECT_EQ(m_tracker.active_count(), 1U);
}

TEST_F(TrackerTest, TwoRulesOnOneProcessAreTwoWatchers) {
  auto a = see(device_open(kEvtest), 1 * kSecond, m_now, "keystrokes.input-device-open");
  auto b = see(device_open(kEvtest), 1 * kSecond, m_now, "keystrokes.input-grab");
  ASSERT_THAT(kinds_of(a), ElementsAre(Change::New));
  ASSERT_THAT(kinds_of(b), ElementsAre(Change::New));
  EXPECT_NE(a[0].watcher.id, b[0].watcher.id);
  EXPECT_EQ(m_tracker.active_count(), 2U);
}

TEST_F(TrackerTest, OneRuleOnTwoProcessesIsTwoWatchers) {
  ASSERT_THAT(kinds_of(see(device_open(kEvtest), 1 * kSecond, m_now)), ElementsAre(Change::New));
  ASSERT_THAT(kinds_of(see(device_open(kCat), 1 * kSecond, m_now)), ElementsAre(Change::New));
  EXPECT_EQ(m_tracker.active_count(), 2U);
}

TEST_F(TrackerTest, AReusedPidIsAnotherProcess) {
  ProcessKey reused{kEvtest.pid, kEvtest.start_ticks + 500};
  ASSERT_THAT(kinds_of(see(device_open(kEvtest), 1 * kSecond, m_now)), ElementsAre(Change::New));
  ASSERT_THAT(kinds_of(see(device_open(reused), 2 * kSecond, m_now)), ElementsAre(Change::New));
  EXPECT_EQ(m_tracker.active_count(), 2U);
  m_tracker.on_process_exit(kEvtest, 3 * kSecond);
  EXPECT_EQ(m_tracker.active_count(), 1U);
}

TEST_F(TrackerTest, TheSameRuleAgainAfterAnEndIsANewWatcher) {
  auto first = see(device_open(kEvtest), 1 * kSecond, m_now);
  m_checker.closes_its_devices(kEvtest);
  m_tracker.tick(2 * kSecond);
  auto again = see(device_open(kEvtest), 3 * kSecond, m_now);
  ASSERT_THAT(kinds_of(again), ElementsAre(Change::New));
  EXPECT_NE(again[0].watcher.id, first[0].watcher.id);
  EXPECT_EQ(again[0].watcher.count, 1U);
}

TEST_F(TrackerTest, WithoutARuleAnnouncesAtOnce) {
  auto changes =
      m_tracker.on_finding(finding("site.anything"), nullptr, device_open(kEvtest), 1 * kSecond);
  EXPECT_THAT(kinds_of(changes), ElementsAre(Change::New));
}

EnrichedEvent posture_event(std::string subject, PostureState state = PostureState::New) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::Posture;
  ev.raw.source = EventSource::Posture;
  PostureInfo info;
  info.check = "enterprise-ca";
  info.subject = std::move(subject);
  info.detail = "local certificate authority";
  info.state = state;
  ev.raw.payload = info;
  return ev;
}

TEST_F(TrackerTest, EachPostureSubjectIsItsOwnWatcherAndEndsWhenResolved) {
  // Two certificates, no process behind either: two watchers of one rule.
  EXPECT_THAT(kinds_of(see(posture_event("/a.crt"), 1 * kSecond, m_now, "posture.enterprise-ca")),
              ElementsAre(Change::New));
  EXPECT_THAT(kinds_of(see(posture_event("/b.crt"), 1 * kSecond, m_now, "posture.enterprise-ca")),
              ElementsAre(Change::New));
  EXPECT_TRUE(see(posture_event("/a.crt", PostureState::Changed), 2 * kSecond, m_now, "posture.enterprise-ca").empty())
      << "a change updates the watcher";
  EXPECT_EQ(m_tracker.active_count(), 2U);
  EXPECT_TRUE(m_tracker.tick(10 * kSecond).empty()) << "no device and no quiet period: it stays";

  auto ended = m_tracker.on_resolved(posture_subject_key(posture_event("/a.crt").raw), 11 * kSecond);
  ASSERT_EQ(ended.size(), 1U);
  EXPECT_EQ(ended[0].change, Change::Ended);
  EXPECT_EQ(ended[0].watcher.end_reason, "resolved");
  EXPECT_EQ(ended[0].watcher.count, 2U);
  EXPECT_EQ(ended[0].watcher.evidence.front(), "/a.crt: local certificate authority");
  EXPECT_EQ(m_tracker.active_count(), 1U);
  EXPECT_TRUE(m_tracker.on_resolved(posture_subject_key(posture_event("/a.crt").raw), 12 * kSecond).empty());
  EXPECT_TRUE(m_tracker.on_resolved("", 12 * kSecond).empty()) << "other kinds have no subject";
}

TEST_F(TrackerTest, ListsActiveWatchersFirstThenEndedOnesNewestFirst) {
  ProcessKey p1{101, 1}, p2{102, 1}, p3{103, 1}, p4{104, 1};
  see(device_open(p1), 1 * kSecond, m_now);
  see(device_open(p2), 2 * kSecond, m_now);
  see(device_open(p3), 3 * kSecond, m_now);
  see(device_open(p4), 4 * kSecond, m_now);
  m_tracker.on_process_exit(p1, 5 * kSecond);
  m_tracker.on_process_exit(p3, 6 * kSecond);
  std::vector<std::uint32_t> order;
  std::vector<WatcherState> states;
  for (const auto& w : m_tracker.watchers()) {
    order.push_back(w.process_key.pid);
    states.push_back(w.state);
  }
  EXPECT_THAT(order, ElementsAre(104, 102, 103, 101));
  EXPECT_THAT(states, ElementsAre(WatcherState::Active, WatcherState::Active, WatcherState::Ended,
                                  WatcherState::Ended));
}

TEST(Tracker, ForgetsEndedWatchersAfterTheRetention) {
  FakeHoldChecker checker;
  track::TrackerOptions options;
  options.ended_retention = std::chrono::seconds(60);
  track::Tracker tracker(options, checker);
  auto rule = policy();
  tracker.on_finding(finding("r"), &rule, device_open(kEvtest), 1 * kSecond);
  tracker.on_process_exit(kEvtest, 10 * kSecond);
  tracker.tick(70 * kSecond);
  EXPECT_EQ(tracker.watchers().size(), 1U) << "kept for exactly the retention";
  tracker.tick(70 * kSecond + 1);
  EXPECT_THAT(tracker.watchers(), IsEmpty());
}

TEST(Tracker, KeepsOnlyTheNewestEndedWatchers) {
  FakeHoldChecker checker;
  track::TrackerOptions options;
  options.max_ended = 2;
  track::Tracker tracker(options, checker);
  auto rule = policy();
  for (std::uint32_t pid = 1; pid <= 4; ++pid) {
    ProcessKey p{pid, 1};
    tracker.on_finding(finding("r"), &rule, device_open(p), pid * kSecond);
    tracker.on_process_exit(p, pid * kSecond + 1);
  }
  std::vector<std::uint32_t> kept;
  for (const auto& w : tracker.watchers()) kept.push_back(w.process_key.pid);
  EXPECT_THAT(kept, ElementsAre(4, 3));
}

TEST(WatcherNames, ReadForPeople) {
  EXPECT_EQ(track::to_string(WatcherState::Pending), "pending");
  EXPECT_EQ(track::to_string(WatcherState::Active), "active");
  EXPECT_EQ(track::to_string(WatcherState::Ended), "ended");
  EXPECT_EQ(track::to_string(Change::New), "new");
  EXPECT_EQ(track::to_string(Change::Ended), "ended");
}

}  // namespace
}  // namespace sousveil
