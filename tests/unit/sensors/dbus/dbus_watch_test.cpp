// SPDX-License-Identifier: Apache-2.0
#include "sensors/dbus/dbus_watch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/boot_clock.h"
#include "output/event_json.h"
#include "rules/event_fields.h"

namespace sousveil::dbus {
namespace {

BusMessage call(std::string interface, std::string member, std::string sender = ":1.42") {
  BusMessage m;
  m.type = BusMessage::Type::MethodCall;
  m.sender = std::move(sender);
  m.destination = "org.freedesktop.portal.Desktop";
  m.path = "/org/freedesktop/portal/desktop";
  m.interface = std::move(interface);
  m.member = std::move(member);
  return m;
}

BusMessage owner_changed(std::string name, std::string old_owner, std::string new_owner) {
  BusMessage m;
  m.type = BusMessage::Type::Signal;
  m.sender = "org.freedesktop.DBus";
  m.interface = "org.freedesktop.DBus";
  m.member = "NameOwnerChanged";
  m.name = std::move(name);
  m.old_owner = std::move(old_owner);
  m.new_owner = std::move(new_owner);
  return m;
}

const BusId kSession{false, 1000, "/run/user/1000/bus"};
const BusId kSystem{true, 0, "/run/dbus/system_bus_socket"};

struct TranslateCase {
  const char* name;
  BusMessage message;
  bool seen;
};

class Translate : public ::testing::TestWithParam<TranslateCase> {};

TEST_P(Translate, KeepsOnlyCallsOnWatchedInterfaces) {
  EXPECT_EQ(translate(GetParam().message, kSession).has_value(), GetParam().seen);
}

BusMessage with_type(BusMessage m, BusMessage::Type t) {
  m.type = t;
  return m;
}

INSTANTIATE_TEST_SUITE_P(
    Messages, Translate,
    ::testing::Values(
        TranslateCase{"ScreenCastCreateSession", call("org.freedesktop.portal.ScreenCast", "CreateSession"), true},
        TranslateCase{"ScreenshotPortal", call("org.freedesktop.portal.Screenshot", "Screenshot"), true},
        TranslateCase{"RemoteDesktopStart", call("org.freedesktop.portal.RemoteDesktop", "Start"), true},
        TranslateCase{"InputCaptureEnable", call("org.freedesktop.portal.InputCapture", "Enable"), true},
        TranslateCase{"CameraAccess", call("org.freedesktop.portal.Camera", "AccessCamera"), true},
        TranslateCase{"ClipboardRead", call("org.freedesktop.portal.Clipboard", "SelectionRead"), true},
        TranslateCase{"BackendScreenCast", call("org.freedesktop.impl.portal.ScreenCast", "Start"), true},
        TranslateCase{"MutterSession", call("org.gnome.Mutter.ScreenCast.Session", "RecordMonitor"), true},
        TranslateCase{"MutterRemoteDesktop", call("org.gnome.Mutter.RemoteDesktop", "CreateSession"), true},
        TranslateCase{"ShellScreenshot", call("org.gnome.Shell.Screenshot", "Screenshot"), true},
        TranslateCase{"PermissionGrant", call("org.freedesktop.impl.portal.PermissionStore", "SetPermission"), true},
        TranslateCase{"PermissionRead", call("org.freedesktop.impl.portal.PermissionStore", "Lookup"), false},
        TranslateCase{"OtherPortal", call("org.freedesktop.portal.Notification", "AddNotification"), false},
        TranslateCase{"Prefix", call("org.freedesktop.portal.ScreenCastX", "Start"), false},
        TranslateCase{"ReplyNotACall",
                      with_type(call("org.freedesktop.portal.ScreenCast", "Start"), BusMessage::Type::MethodReturn),
                      false},
        TranslateCase{"SignalNotACall",
                      with_type(call("org.freedesktop.portal.ScreenCast", "Start"), BusMessage::Type::Signal),
                      false}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(Translate, NamesTheBusAndCopiesOnlyNames) {
  auto m = call("org.freedesktop.portal.Screenshot", "Screenshot");
  m.interactive = false;
  auto info = translate(m, kSession);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->bus, "session");
  EXPECT_EQ(info->bus_uid, 1000U);
  EXPECT_EQ(info->type, "method_call");
  EXPECT_EQ(info->sender, ":1.42");
  EXPECT_EQ(info->destination, "org.freedesktop.portal.Desktop");
  EXPECT_EQ(info->path, "/org/freedesktop/portal/desktop");
  EXPECT_EQ(info->detail, "interactive=false");

  auto sys = translate(call("org.freedesktop.portal.ScreenCast", "Start"), kSystem);
  ASSERT_TRUE(sys);
  EXPECT_EQ(sys->bus, "system");
  EXPECT_EQ(sys->bus_uid, 0U);
  EXPECT_EQ(sys->detail, "");
}

TEST(Translate, PermissionGrantNamesTheTable) {
  auto m = call("org.freedesktop.impl.portal.PermissionStore", "SetPermission");
  m.table = "screenshot";
  auto info = translate(m, kSession);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->detail, "table=screenshot");
}

TEST(BodyDetail, DecodesOnlyWhatIdentifiesTheRequest) {
  EXPECT_EQ(body_detail_wanted("org.freedesktop.portal.Screenshot", "Screenshot"), BodyDetail::ScreenshotOptions);
  EXPECT_EQ(body_detail_wanted("org.freedesktop.portal.Screenshot", "PickColor"), BodyDetail::None);
  EXPECT_EQ(body_detail_wanted("org.freedesktop.portal.Clipboard", "SelectionRead"), BodyDetail::None);
  EXPECT_EQ(body_detail_wanted("org.freedesktop.impl.portal.PermissionStore", "SetPermission"),
            BodyDetail::PermissionTable);
  EXPECT_EQ(body_detail_wanted("org.freedesktop.DBus", "NameOwnerChanged"), BodyDetail::NameOwnerChanged);
}

TEST(MatchRules, CoverEveryWatchedInterfaceAndTheDriverSignal) {
  auto rules = monitor_match_rules();
  for (auto i : watched_interfaces()) {
    auto want = "type='method_call',interface='" + std::string(i) + "'";
    EXPECT_NE(std::find(rules.begin(), rules.end(), want), rules.end()) << want;
  }
  EXPECT_NE(std::find_if(rules.begin(), rules.end(),
                         [](const auto& r) { return r.find("member='NameOwnerChanged'") != std::string::npos; }),
            rules.end());
  // Never a rule that matches everything: the monitor sees only what it needs.
  for (const auto& r : rules) EXPECT_NE(r.find("interface="), std::string::npos) << r;
}

TEST(OwnerChange, JoinsAndLeavesOfConnectionsOnly) {
  auto joined = owner_change(owner_changed(":1.7", "", ":1.7"));
  ASSERT_TRUE(joined);
  EXPECT_TRUE(joined->joined);
  EXPECT_EQ(joined->unique_name, ":1.7");
  auto left = owner_change(owner_changed(":1.7", ":1.7", ""));
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->joined);
  // A well-known name moving is not a connection joining.
  EXPECT_FALSE(owner_change(owner_changed("org.freedesktop.portal.Desktop", "", ":1.9")));
  // Only the bus driver may say so.
  auto forged = owner_changed(":1.7", ":1.7", "");
  forged.sender = ":1.99";
  EXPECT_FALSE(owner_change(forged));
}

RawEvent dbus_event(std::string member) {
  RawEvent ev;
  ev.kind = EventKind::DbusCall;
  ev.source = EventSource::Dbus;
  DbusInfo info;
  info.member = std::move(member);
  ev.payload = info;
  return ev;
}

Credentials creds(std::uint32_t pid) { return Credentials{pid, 1000, 123'000'000, "gdbus"}; }

TEST(CredentialsCache, ParksEventsUntilTheLookupAnswersAndStartsOneLookupPerName) {
  CredentialsCache cache;
  EXPECT_EQ(cache.find(":1.5"), nullptr);
  EXPECT_TRUE(cache.wait(":1.5", dbus_event("CreateSession")));
  EXPECT_FALSE(cache.wait(":1.5", dbus_event("Start")));  // one lookup in flight is enough
  EXPECT_EQ(cache.pending(), 1U);
  auto events = cache.resolved(":1.5", creds(4242));
  ASSERT_EQ(events.size(), 2U);
  for (const auto& ev : events) {
    EXPECT_EQ(ev.process.pid, 4242U);
    EXPECT_EQ(ev.process.uid, 1000U);
    EXPECT_EQ(ev.process.start_boot_ns, 123'000'000U);
    EXPECT_EQ(ev.process.comm, "gdbus");
  }
  EXPECT_EQ(std::get<DbusInfo>(events[0].payload).member, "CreateSession");
  ASSERT_NE(cache.find(":1.5"), nullptr);
  EXPECT_EQ(cache.find(":1.5")->pid, 4242U);
  EXPECT_EQ(cache.pending(), 0U);
  EXPECT_EQ(cache.stats().lookups, 1U);
}

TEST(CredentialsCache, PrefetchOnJoinAvoidsALookupLater) {
  CredentialsCache cache;
  EXPECT_TRUE(cache.prefetch(":1.8"));
  EXPECT_FALSE(cache.prefetch(":1.8"));
  // The call arrives while the prefetch is in flight: it waits for that one.
  EXPECT_FALSE(cache.wait(":1.8", dbus_event("Start")));
  auto events = cache.resolved(":1.8", creds(77));
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].process.pid, 77U);
  EXPECT_FALSE(cache.prefetch(":1.8"));  // known now
}

TEST(CredentialsCache, AFailedLookupStillHandsTheEventsBackUnnamed) {
  CredentialsCache cache;
  cache.wait(":1.9", dbus_event("Screenshot"));
  auto events = cache.resolved(":1.9", std::nullopt);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].process.pid, 0U);
  EXPECT_EQ(cache.find(":1.9"), nullptr);
  EXPECT_EQ(cache.stats().failures, 1U);
}

TEST(CredentialsCache, DropsOnLeaveEvenWhenTheAnswerComesAfter) {
  CredentialsCache cache;
  cache.resolved(":1.1", creds(10));
  cache.drop(":1.1");
  EXPECT_EQ(cache.find(":1.1"), nullptr);

  // Left while its lookup was in flight: the parked call is still named, the
  // name is not kept.
  cache.wait(":1.2", dbus_event("Start"));
  cache.drop(":1.2");
  auto events = cache.resolved(":1.2", creds(20));
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].process.pid, 20U);
  EXPECT_EQ(cache.find(":1.2"), nullptr);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(CredentialsCache, BoundedWhenLeavesAreMissed) {
  CredentialsCache cache(3);
  for (int i = 0; i < 10; ++i) cache.resolved(":1." + std::to_string(i), creds(100 + i));
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.find(":1.0"), nullptr);
  ASSERT_NE(cache.find(":1.9"), nullptr);
  EXPECT_EQ(cache.stats().evicted, 7U);
}

EnrichedEvent enriched_call() {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::DbusCall;
  ev.raw.source = EventSource::Dbus;
  auto m = call("org.freedesktop.portal.Screenshot", "Screenshot");
  m.interactive = false;
  ev.raw.payload = *translate(m, kSession);
  ev.process.pid = 4242;
  ev.process.comm = "gdbus";
  ev.process.exe = "/usr/bin/gdbus";
  return ev;
}

TEST(DbusEvent, JsonAndRuleFieldsAgree) {
  auto ev = enriched_call();
  BootClock clock;
  auto j = to_json(ev, clock);
  EXPECT_EQ(j["kind"], "dbus_call");
  EXPECT_EQ(j["source"], "dbus");
  EXPECT_EQ(j["dbus"]["bus"], "session");
  EXPECT_EQ(j["dbus"]["bus_uid"], 1000);
  EXPECT_EQ(j["dbus"]["interface"], "org.freedesktop.portal.Screenshot");
  EXPECT_EQ(j["dbus"]["member"], "Screenshot");
  EXPECT_EQ(j["dbus"]["sender"], ":1.42");
  EXPECT_EQ(j["dbus"]["detail"], "interactive=false");

  rules::EnrichedEventFields live(ev);
  rules::JsonEventFields replayed(j);
  for (auto id : {rules::FieldId::DbusBus, rules::FieldId::DbusInterface, rules::FieldId::DbusMember,
                  rules::FieldId::DbusPath, rules::FieldId::DbusDestination, rules::FieldId::DbusDetail,
                  rules::FieldId::Kind, rules::FieldId::Source}) {
    EXPECT_EQ(live.get(id).to_text(), replayed.get(id).to_text()) << rules::field_info(id).name;
    EXPECT_NE(live.get(id).type, rules::FieldValue::Type::Missing) << rules::field_info(id).name;
  }
  EXPECT_EQ(live.get(rules::FieldId::DbusDetail).to_text(), "interactive=false");
  EXPECT_EQ(live.get(rules::FieldId::PipewireNode).type, rules::FieldValue::Type::Missing);
}

}  // namespace
}  // namespace sousveil::dbus
