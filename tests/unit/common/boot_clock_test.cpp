// SPDX-License-Identifier: Apache-2.0
#include "common/boot_clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace sousveil {
namespace {

TEST(BootClockFormat, IsRfc3339InUtcWithMicroseconds) {
  EXPECT_EQ(BootClock::format_unix_ns(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(BootClock::format_unix_ns(1'700'000'000'123'456'789ULL), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(BootClock::format_unix_ns(951'782'400'000'001'000ULL), "2000-02-29T00:00:00.000001Z");
}

TEST(BootClock, MapsBootTimeToNearlyNow) {
  BootClock clock;
  auto unix_now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  auto mapped = clock.to_unix_ns(BootClock::now_boot_ns());
  auto diff = mapped > unix_now ? mapped - unix_now : unix_now - mapped;
  EXPECT_LT(diff, 1'000'000'000ULL) << "boot clock and wall clock disagree by " << diff << " ns";
}

TEST(BootClock, KeepsTheDistanceBetweenEvents) {
  BootClock clock;
  EXPECT_EQ(clock.to_unix_ns(5'000'000'000ULL) - clock.to_unix_ns(2'000'000'000ULL),
            3'000'000'000ULL);
}

}  // namespace
}  // namespace sousveil
