// SPDX-License-Identifier: Apache-2.0
#include "model/event.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct ModeCase {
  const char* name;
  std::uint32_t flags;
  const char* mode;
};

std::ostream& operator<<(std::ostream& os, const ModeCase& c) { return os << c.name; }

class AccessMode : public ::testing::TestWithParam<ModeCase> {};

TEST_P(AccessMode, NamesTheAccessMode) {
  EXPECT_EQ(access_mode(GetParam().flags), GetParam().mode);
}

const ModeCase kModes[] = {
    {"ReadOnly", O_RDONLY, "read"},
    {"WriteOnly", O_WRONLY, "write"},
    {"ReadWrite", O_RDWR, "read-write"},
    {"ReadWithOtherFlags", O_RDONLY | O_NONBLOCK | O_CLOEXEC, "read"},
    {"ReadWriteFromFdinfo", 0100002, "read-write"},
    {"BothBits", O_ACCMODE, "unknown"},
};

INSTANTIATE_TEST_SUITE_P(Flags, AccessMode, ::testing::ValuesIn(kModes),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(OpenFlagNames, NoneForAPlainOpen) {
  EXPECT_THAT(open_flag_names(O_RDONLY), IsEmpty());
  EXPECT_THAT(open_flag_names(O_RDWR), IsEmpty());
}

TEST(OpenFlagNames, NamesTheNotableFlagsInOrder) {
  EXPECT_THAT(open_flag_names(O_RDWR | O_NONBLOCK | O_CLOEXEC),
              ElementsAre("O_NONBLOCK", "O_CLOEXEC"));
  EXPECT_THAT(open_flag_names(O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NOCTTY),
              ElementsAre("O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND"));
  EXPECT_THAT(open_flag_names(O_PATH), ElementsAre("O_PATH"));
}

TEST(OpenFlagNames, TellsOSyncFromODsync) {
  EXPECT_THAT(open_flag_names(O_SYNC), ElementsAre("O_SYNC"));
  EXPECT_THAT(open_flag_names(O_DSYNC), IsEmpty());
}

TEST(OpenFlagNames, IgnoresLargefile) { EXPECT_THAT(open_flag_names(0100000), IsEmpty()); }

TEST(EventNames, KindsAndSources) {
  EXPECT_EQ(to_string(EventKind::DeviceOpen), "device_open");
  EXPECT_EQ(to_string(EventKind::DeviceHeld), "device_held");
  EXPECT_EQ(to_string(EventKind::ProcessExec), "process_exec");
  EXPECT_EQ(to_string(EventKind::ProcessFork), "process_fork");
  EXPECT_EQ(to_string(EventKind::ProcessExit), "process_exit");
  EXPECT_EQ(to_string(EventSource::Ebpf), "ebpf");
  EXPECT_EQ(to_string(EventSource::EbpfSnapshot), "ebpf-snapshot");
  EXPECT_EQ(to_string(EventSource::ProcScan), "proc-scan");
}

TEST(RawEvent, IsADeviceEventOnlyForOpensAndHoldings) {
  RawEvent e;
  e.kind = EventKind::DeviceOpen;
  EXPECT_TRUE(e.is_device());
  e.kind = EventKind::DeviceHeld;
  EXPECT_TRUE(e.is_device());
  e.kind = EventKind::ProcessExec;
  EXPECT_FALSE(e.is_device());
}

}  // namespace
}  // namespace sousveil
