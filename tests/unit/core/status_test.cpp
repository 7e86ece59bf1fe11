// SPDX-License-Identifier: Apache-2.0
#include "core/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Status given_status() {
  Status s;
  s.version = "0.1.0";
  s.mode = "ebpf";
  s.fidelity = "full";
  s.uptime_s = 12.5;
  s.sensors = {{"ebpf", SensorState::Running, "device opens on tracepoints"},
               {"proc-scan", SensorState::Disabled, "not needed: eBPF is running"}};
  s.device = {100, 90, 0};
  s.process = {500, 0, 0};
  s.snapshot = {3, 3, 0};
  s.kernel.open_seen = 10000;
  s.kernel.open_filtered = 9800;
  s.kernel.open_own_tty = 50;
  s.kernel.open_failed_filtered = 40;
  s.decode.decoded = 603;
  s.decode.errors[static_cast<int>(DecodeError::Short)] = 1;
  s.decode.errors[static_cast<int>(DecodeError::BadClass)] = 2;
  s.not_a_device = 10;
  s.processes_tracked = 321;
  s.proc_reads = 44;
  s.processes_gone = 5;
  return s;
}

TEST(StatusJson, CountsEventsPerCategory) {
  auto s = given_status();
  s.device.lost = 7;
  s.process.lost = 2;
  s.snapshot.lost = 1;
  auto j = to_json(s);
  EXPECT_EQ(j["events"]["device"]["seen"], 100);
  EXPECT_EQ(j["events"]["device"]["delivered"], 90);
  EXPECT_EQ(j["events"]["device"]["lost"], 7);
  EXPECT_EQ(j["events"]["process"]["seen"], 500);
  EXPECT_EQ(j["events"]["process"]["lost"], 2);
  EXPECT_EQ(j["events"]["snapshot"]["delivered"], 3);
  EXPECT_EQ(j["events"]["snapshot"]["lost"], 1);
  EXPECT_EQ(j["events"]["lost_total"], 10);
}

TEST(StatusJson, NothingLostIsZero) {
  auto j = to_json(given_status());
  EXPECT_EQ(j["events"]["device"]["lost"], 0);
  EXPECT_EQ(j["events"]["lost_total"], 0);
}

TEST(StatusJson, DescribesModeAndSensors) {
  auto j = to_json(given_status());
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_EQ(j["mode"], "ebpf");
  EXPECT_EQ(j["fidelity"], "full");
  EXPECT_DOUBLE_EQ(j["uptime_s"].get<double>(), 12.5);
  ASSERT_EQ(j["sensors"].size(), 2U);
  EXPECT_EQ(j["sensors"][0]["name"], "ebpf");
  EXPECT_EQ(j["sensors"][0]["state"], "running");
  EXPECT_EQ(j["sensors"][1]["state"], "disabled");
  EXPECT_EQ(j["sensors"][1]["detail"], "not needed: eBPF is running");
}

TEST(StatusJson, ReportsKernelAndUserSpaceCounters) {
  auto j = to_json(given_status());
  EXPECT_EQ(j["kernel_filter"]["opens_seen"], 10000);
  EXPECT_EQ(j["kernel_filter"]["opens_not_sensitive"], 9800);
  EXPECT_EQ(j["kernel_filter"]["opens_own_terminal"], 50);
  EXPECT_EQ(j["kernel_filter"]["failed_opens_not_device"], 40);
  EXPECT_EQ(j["user_space"]["records_decoded"], 603);
  EXPECT_EQ(j["user_space"]["records_malformed"], 3);
  EXPECT_EQ(j["user_space"]["failed_opens_not_device"], 10);
  EXPECT_EQ(j["user_space"]["processes_tracked"], 321);
  EXPECT_EQ(j["user_space"]["processes_read_from_proc"], 44);
  EXPECT_EQ(j["user_space"]["processes_gone_before_read"], 5);
}

TEST(StatusJson, SensorsIsAnArrayEvenWhenEmpty) {
  Status s;
  auto j = to_json(s);
  EXPECT_TRUE(j["sensors"].is_array());
  EXPECT_TRUE(j["sensors"].empty());
}

TEST(StatusText, HasNoWarningWhenNothingWasLost) {
  auto text = to_text(given_status());
  EXPECT_THAT(text, Not(HasSubstr("WARNING")));
  EXPECT_THAT(text, HasSubstr("mode ebpf (full fidelity)"));
  EXPECT_THAT(text, HasSubstr("ebpf"));
  EXPECT_THAT(text, HasSubstr("running"));
  EXPECT_THAT(text, HasSubstr("603 records, 3 malformed, 321 processes tracked"));
}

struct LossCase {
  const char* name;
  std::uint64_t device;
  std::uint64_t process;
  std::uint64_t snapshot;
};

std::ostream& operator<<(std::ostream& os, const LossCase& c) { return os << c.name; }

class StatusTextLoss : public ::testing::TestWithParam<LossCase> {};

TEST_P(StatusTextLoss, WarnsWithTheTotal) {
  auto s = given_status();
  s.device.lost = GetParam().device;
  s.process.lost = GetParam().process;
  s.snapshot.lost = GetParam().snapshot;
  auto text = to_text(s);
  auto total = GetParam().device + GetParam().process + GetParam().snapshot;
  EXPECT_THAT(text, HasSubstr("WARNING: " + std::to_string(total) + " events were lost"));
}

const LossCase kLosses[] = {
    {"Device", 4, 0, 0},
    {"Process", 0, 1, 0},
    {"Snapshot", 0, 0, 9},
    {"All", 1, 2, 3},
};

INSTANTIATE_TEST_SUITE_P(Categories, StatusTextLoss, ::testing::ValuesIn(kLosses),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(StatusText, ShowsTheLostColumnPerCategory) {
  auto s = given_status();
  s.device.lost = 77;
  auto text = to_text(s);
  // "  device          100         90       77"
  EXPECT_THAT(text, ::testing::ContainsRegex("device +100 +90 +77"));
}

TEST(SensorStateNames, AreStable) {
  EXPECT_EQ(to_string(SensorState::Running), "running");
  EXPECT_EQ(to_string(SensorState::Done), "done");
  EXPECT_EQ(to_string(SensorState::Failed), "failed");
  EXPECT_EQ(to_string(SensorState::Disabled), "disabled");
}

TEST(StatusTotals, SumsTheLostOfEveryCategory) {
  Status s;
  s.device.lost = 1;
  s.process.lost = 10;
  s.snapshot.lost = 100;
  EXPECT_EQ(s.total_lost(), 111U);
}

}  // namespace
}  // namespace sousveil
