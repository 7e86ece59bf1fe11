// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/rate_folder.h"

#include <gtest/gtest.h>

namespace sousveil::x11 {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;

FoldKey key(std::uint32_t client, std::string request = "GetImage") {
  return {":0", client, std::move(request), "root"};
}

X11Info sample(std::uint32_t client) {
  X11Info i;
  i.display = ":0";
  i.client = client;
  i.request = "GetImage";
  i.detail = "root";
  i.root = true;
  return i;
}

TEST(RateFolder, FirstSightingIsReportedAtOnceRepeatsAreFolded) {
  RateFolder f;
  EXPECT_TRUE(f.observe(key(0x400000), sample(0x400000), 0));
  // A 60 fps grabber: 59 more in the first second.
  for (int i = 1; i < 60; ++i) EXPECT_FALSE(f.observe(key(0x400000), sample(0x400000), i * kSecond / 60));
  auto out = f.flush(kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 59u);
  EXPECT_EQ(out[0].rate, 59u);
  EXPECT_DOUBLE_EQ(out[0].period_s, 1.0);
  EXPECT_EQ(out[0].sample.request, "GetImage");
  EXPECT_TRUE(out[0].sample.root);
  // The next second: 60 requests, one folded report.
  for (int i = 0; i < 60; ++i) f.observe(key(0x400000), sample(0x400000), kSecond + i * kSecond / 60);
  out = f.flush(2 * kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 60u);
  EXPECT_EQ(out[0].rate, 60u);
}

TEST(RateFolder, CountRepeatOnlyCountsKeysAlreadySeen) {
  RateFolder f;
  EXPECT_FALSE(f.count_repeat(key(7)));
  EXPECT_EQ(f.size(), 0u);
  EXPECT_TRUE(f.observe(key(7), sample(7), 0));
  EXPECT_TRUE(f.count_repeat(key(7)));
  EXPECT_TRUE(f.count_repeat(key(7)));
  auto out = f.flush(kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 2u);
}

TEST(RateFolder, KeysAreSeparateAndQuietKeysReportNothing) {
  RateFolder f;
  EXPECT_TRUE(f.observe(key(1), sample(1), 0));
  EXPECT_TRUE(f.observe(key(2), sample(2), 0));
  EXPECT_TRUE(f.observe(key(1, "QueryKeymap"), sample(1), 0));
  EXPECT_TRUE(f.flush(kSecond).empty());  // nothing repeated
  f.observe(key(2), sample(2), kSecond + 1);
  auto out = f.flush(2 * kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key.client, 2u);
  EXPECT_EQ(out[0].count, 1u);
  EXPECT_EQ(out[0].rate, 1u);  // at least 1 when anything was folded
}

TEST(RateFolder, IdleKeysAreForgottenAndSeenAsNewAgain) {
  RateFolder f(3);
  EXPECT_TRUE(f.observe(key(1), sample(1), 0));
  for (int i = 1; i <= 3; ++i) f.flush(i * kSecond);
  EXPECT_EQ(f.size(), 0u);
  EXPECT_TRUE(f.observe(key(1), sample(1), 4 * kSecond));
}

TEST(RateFolder, ADisconnectingClientHandsOverItsPendingCount) {
  RateFolder f;
  f.observe(key(1), sample(1), 0);
  f.observe(key(1), sample(1), kSecond / 10);
  f.observe(key(1), sample(1), kSecond / 5);
  f.observe(key(2), sample(2), 0);
  auto out = f.take_client(":0", 1, kSecond / 2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 2u);
  EXPECT_DOUBLE_EQ(out[0].period_s, 0.5);
  EXPECT_EQ(out[0].rate, 2u);  // 2 seen in that second, not 4 a second
  EXPECT_EQ(f.size(), 1u);
  EXPECT_TRUE(f.observe(key(1), sample(1), kSecond));  // a new client with the same base
  f.forget_display(":0");
  EXPECT_EQ(f.size(), 0u);
}

}  // namespace
}  // namespace sousveil::x11
