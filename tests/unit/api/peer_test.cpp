// SPDX-License-Identifier: Apache-2.0
#include "api/peer.h"

#include <gtest/gtest.h>

#include <string>

namespace sousveil::api {
namespace {

using nlohmann::json;

Peer given_peer(std::uint32_t uid, Scope scope) {
  Peer p;
  p.uid = uid;
  p.scope = scope;
  return p;
}

json given_record(std::string category, std::optional<std::uint32_t> uid, std::optional<std::uint32_t> target_uid = {}) {
  json r = {{"rule", "r"}, {"category", category}, {"process", {{"pid", 10}, {"comm", "x"}}}};
  if (uid) r["process"]["uid"] = *uid;
  if (target_uid) r["target"] = {{"pid", 11}, {"uid", *target_uid}};
  return r;
}

struct VisibleCase {
  std::string name;
  json record;
  Peer peer;
  bool visible;
};
void PrintTo(const VisibleCase& c, std::ostream* os) { *os << c.name; }
class VisibleToTest : public ::testing::TestWithParam<VisibleCase> {};

TEST_P(VisibleToTest, Decides) {
  EXPECT_EQ(visible_to(GetParam().record, GetParam().peer), GetParam().visible) << GetParam().record.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Table, VisibleToTest,
    ::testing::Values(
        VisibleCase{"OwnProcess", given_record("terminal", 1000), given_peer(1000, Scope::Own), true},
        VisibleCase{"OtherUsersProcess", given_record("terminal", 1001), given_peer(1000, Scope::Own), false},
        VisibleCase{"RootProcessInjection", given_record("injection", 0), given_peer(1000, Scope::Own), false},
        VisibleCase{"TargetIsMine", given_record("process-memory", 0, 1000), given_peer(1000, Scope::Own), true},
        VisibleCase{"TargetIsSomeoneElse", given_record("process-memory", 0, 1002), given_peer(1000, Scope::Own),
                    false},
        VisibleCase{"KeystrokesWatchEveryone", given_record("keystrokes", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"Screen", given_record("screen", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"Camera", given_record("camera", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"Microphone", given_record("microphone", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"Clipboard", given_record("clipboard", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"RemoteView", given_record("remote-view", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"KernelHook", given_record("kernel-hook", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"SessionRecording", given_record("session-recording", 0), given_peer(1000, Scope::Own), true},
        VisibleCase{"Posture", given_record("posture", std::nullopt), given_peer(1000, Scope::Own), true},
        VisibleCase{"NoUidNotSystemWide", given_record("terminal", std::nullopt), given_peer(1000, Scope::Own),
                    false},
        VisibleCase{"AllSeesOthers", given_record("terminal", 1001), given_peer(1000, Scope::All), true},
        VisibleCase{"RootSeesAll", given_record("injection", 1001), given_peer(0, Scope::All), true},
        VisibleCase{"NotAnObject", json::array(), given_peer(1000, Scope::Own), false},
        VisibleCase{"NegativeUidIsNoMatch", json{{"category", "terminal"}, {"process", {{"uid", -1}}}},
                    given_peer(4294967295U, Scope::Own), false}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(MakePeer, RootIsAllOthersOwn) {
  auto root = make_peer(0, 0, 1, "sousveil-audit");
  EXPECT_EQ(root.scope, Scope::All);
  EXPECT_EQ(root.user, "root");
  auto nobody = make_peer(65534, 65534, 2, "no-such-group-here");
  EXPECT_EQ(nobody.scope, Scope::Own);
  EXPECT_FALSE(nobody.is_root());
  // Membership by the process's own groups: gid 0 is "root" on every system.
  EXPECT_EQ(make_peer(65534, 65534, 2, "root", {0}).scope, Scope::All);
  EXPECT_EQ(make_peer(65534, 0, 2, "root").scope, Scope::All);
  EXPECT_EQ(make_peer(123456, 123456, 2, "").user, "123456");
}

}  // namespace
}  // namespace sousveil::api
