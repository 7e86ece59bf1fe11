// SPDX-License-Identifier: Apache-2.0
// An x11_request event as rules see it live and as they see it replayed from
// its JSON: the two must agree field by field.
#include <gtest/gtest.h>

#include "output/event_json.h"
#include "rules/event_fields.h"
#include "rules/fields.h"

namespace sousveil {
namespace {

using rules::FieldId;
using rules::FieldValue;

EnrichedEvent given_x11(std::uint32_t rate) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::X11Request;
  ev.raw.source = EventSource::X11;
  ev.raw.ts_boot_ns = 1'000'000'000ULL;
  X11Info x;
  x.display = ":0";
  x.client = 0x600000;
  x.request = "XISelectEvents";
  x.extension = "XInputExtension";
  x.major = 131;
  x.minor = 46;
  x.detail = "raw-keys-root";
  x.root = true;
  x.mask = {"RawKeyPress", "RawKeyRelease"};
  x.count = rate ? 40 : 1;
  x.rate = rate;
  x.period_s = rate ? 1.0 : 0.0;
  ev.raw.repeats = x.count - 1;
  ev.raw.payload = x;
  ev.process.pid = 4242;
  ev.process.comm = "xinput";
  ev.process.exe = "/usr/bin/xinput";
  return ev;
}

bool same(const FieldValue& a, const FieldValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case FieldValue::Type::Missing: return true;
    case FieldValue::Type::Number: return a.number == b.number;
    case FieldValue::Type::String: return a.string == b.string;
    case FieldValue::Type::List: return *a.list == *b.list;
  }
  return false;
}

TEST(X11Event, JsonCarriesTheRequestAndNoRateOnAFirstSighting) {
  BootClock clock;
  auto j = to_json(given_x11(0), clock);
  EXPECT_EQ(j["kind"], "x11_request");
  EXPECT_EQ(j["source"], "x11");
  EXPECT_EQ(j["x11"]["display"], ":0");
  EXPECT_EQ(j["x11"]["request"], "XISelectEvents");
  EXPECT_EQ(j["x11"]["extension"], "XInputExtension");
  EXPECT_EQ(j["x11"]["detail"], "raw-keys-root");
  EXPECT_EQ(j["x11"]["root"], true);
  EXPECT_EQ(j["x11"]["mask"], nlohmann::json::array({"RawKeyPress", "RawKeyRelease"}));
  EXPECT_EQ(j["x11"]["count"], 1);
  EXPECT_FALSE(j["x11"].contains("rate"));
  EXPECT_FALSE(j.contains("repeats"));
  auto folded = to_json(given_x11(40), clock);
  EXPECT_EQ(folded["x11"]["rate"], 40);
  EXPECT_EQ(folded["repeats"], 39);
  EXPECT_NE(to_pretty_line(given_x11(40), clock).find("XISelectEvents"), std::string::npos);
}

TEST(X11Event, LiveAndReplayedFieldsAgree) {
  BootClock clock;
  for (std::uint32_t rate : {0u, 40u}) {
    auto ev = given_x11(rate);
    auto j = to_json(ev, clock);
    rules::EnrichedEventFields live(ev);
    rules::JsonEventFields replayed(j);
    for (auto id : {FieldId::Kind, FieldId::Source, FieldId::X11Display, FieldId::X11Request, FieldId::X11Detail,
                    FieldId::X11Rate, FieldId::X11Extension, FieldId::X11Client, FieldId::X11Mask, FieldId::X11Count,
                    FieldId::X11Root, FieldId::ProcessExe}) {
      EXPECT_TRUE(same(live.get(id), replayed.get(id)))
          << rules::field_info(id).name << " live=" << live.get(id).to_text()
          << " replayed=" << replayed.get(id).to_text() << " rate=" << rate;
    }
    EXPECT_EQ(live.get(FieldId::X11Rate).type, rate ? FieldValue::Type::Number : FieldValue::Type::Missing);
    EXPECT_EQ(live.get(FieldId::X11Root).string, "true");
  }
}

}  // namespace
}  // namespace sousveil
