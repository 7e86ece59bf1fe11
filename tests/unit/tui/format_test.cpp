// SPDX-License-Identifier: Apache-2.0
#include "tui/format.h"

#include <gtest/gtest.h>

#include <clocale>

namespace sousveil::tui {
namespace {

// wcwidth follows LC_CTYPE; the dashboard runs in the user's (UTF-8) locale.
class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override { std::setlocale(LC_CTYPE, "C.UTF-8"); }
};

struct DurationCase {
  double seconds;
  const char* text;
};
class DurationTest : public ::testing::TestWithParam<DurationCase> {};
TEST_P(DurationTest, Formats) { EXPECT_EQ(format_duration(GetParam().seconds), GetParam().text); }
INSTANTIATE_TEST_SUITE_P(Durations, DurationTest,
                         ::testing::Values(DurationCase{-5, "0s"}, DurationCase{0, "0s"}, DurationCase{0.4, "0s"},
                                           DurationCase{3, "3s"}, DurationCase{59.9, "59s"}, DurationCase{60, "1m00s"},
                                           DurationCase{252, "4m12s"}, DurationCase{3599, "59m59s"},
                                           DurationCase{3600, "1h00m"}, DurationCase{7500, "2h05m"},
                                           DurationCase{86399, "23h59m"}, DurationCase{86400, "1d"},
                                           DurationCase{3 * 86400 + 5000, "3d"}));

TEST(Format, CountsKeepFewColumns) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1.0k");
  EXPECT_EQ(format_count(1234), "1.2k");
  EXPECT_EQ(format_count(45'000), "45k");
  EXPECT_EQ(format_count(999'999), "1.0M");
  EXPECT_EQ(format_count(1'200'000), "1.2M");
  EXPECT_EQ(format_count(3'400'000'000ULL), "3.4G");
}

TEST(Format, Rates) {
  EXPECT_EQ(format_rate(0), "0/s");
  EXPECT_EQ(format_rate(0.2), "<1/s");
  EXPECT_EQ(format_rate(12.4), "12/s");
  EXPECT_EQ(format_rate(1500), "1.5k/s");
  EXPECT_EQ(format_byte_rate(0), "0 B/s");
  EXPECT_EQ(format_byte_rate(512), "512 B/s");
  EXPECT_EQ(format_byte_rate(1536), "1.5 KiB/s");
  EXPECT_EQ(format_byte_rate(12.0 * 1024 * 1024), "12 MiB/s");
}

TEST_F(FormatTest, DisplayWidthCountsColumnsNotBytes) {
  EXPECT_EQ(display_width("head"), 4);
  EXPECT_EQ(display_width("caf\u00E9"), 4);           // é: two bytes, one column
  EXPECT_EQ(display_width("\u65E5\u672C"), 4);         // two wide CJK characters
  EXPECT_EQ(display_width("e\u0301"), 1);              // combining acute accent
  EXPECT_EQ(display_width("\xff\xfe"), 2);             // invalid bytes: one U+FFFD each
  EXPECT_EQ(display_width("a\x1b[31mb"), 7);           // ESC shown as '?'
}

TEST_F(FormatTest, SanitizeDefusesTerminalControl) {
  EXPECT_EQ(sanitize("ok\x1b]0;pwned\x07"), "ok?]0;pwned?");
  EXPECT_EQ(sanitize("tab\there"), "tab?here");
  EXPECT_EQ(sanitize("\xC2\x9B" "31m"), "?31m");  // C1 CSI
  EXPECT_EQ(sanitize("bad\xC0\xAF"), "bad\uFFFD\uFFFD");  // overlong '/'
  EXPECT_EQ(sanitize("\u65E5"), "\u65E5");
}

TEST_F(FormatTest, TruncateEndNeverSplitsACharacter) {
  EXPECT_EQ(truncate_end("short", 10), "short");
  EXPECT_EQ(truncate_end("exactly", 7), "exactly");
  EXPECT_EQ(truncate_end("truncated", 6), "trunc\u2026");
  EXPECT_EQ(truncate_end("anything", 0), "");
  // Wide characters: 4 columns fit "日" + "…" (3), not half of "本".
  EXPECT_EQ(truncate_end("\u65E5\u672C\u8A9E", 4), "\u65E5\u2026");
  EXPECT_EQ(display_width(truncate_end("\u65E5\u672C\u8A9E", 4)), 3);
  EXPECT_EQ(truncate_end("\u65E5\u672C\u8A9E", 5), "\u65E5\u672C\u2026");
  // Multi-byte characters are never cut between their bytes.
  EXPECT_EQ(truncate_end("\u00E9\u00E9\u00E9\u00E9", 3), "\u00E9\u00E9\u2026");
}

TEST_F(FormatTest, TruncateMiddleKeepsBothEnds) {
  EXPECT_EQ(truncate_middle("/usr/bin/head", 20), "/usr/bin/head");
  std::string p = "/usr/lib/x86_64-linux-gnu/monitoring/agent/bin/keylogger";
  std::string t = truncate_middle(p, 24);
  EXPECT_EQ(display_width(t), 24);
  EXPECT_EQ(t.substr(0, 5), "/usr/");
  EXPECT_NE(t.find("\u2026"), std::string::npos);
  EXPECT_EQ(t.substr(t.size() - 9), "keylogger");
  // Wide characters at the cut: never more than the width, never half of one.
  std::string w = truncate_middle("/home/\u65E5\u672C\u8A9E\u65E5\u672C\u8A9E/file", 10);
  EXPECT_LE(display_width(w), 10);
  EXPECT_EQ(sanitize(w), w);
  EXPECT_EQ(truncate_middle("abcdef", 2), "a\u2026");
}

TEST_F(FormatTest, FitPadsToExactWidth) {
  EXPECT_EQ(fit("ab", 4), "ab  ");
  EXPECT_EQ(fit_right("ab", 4), "  ab");
  EXPECT_EQ(display_width(fit("\u65E5\u672C\u8A9E", 5)), 5);  // "日本…" + nothing; 5 columns
  EXPECT_EQ(display_width(fit("\u65E5\u672C\u8A9E", 4)), 4);  // "日…" + a space
}

TEST_F(FormatTest, WrapBreaksAtSpacesAndSplitsLongWords) {
  auto lines = wrap("the quick brown fox jumps", 10);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "the quick");
  EXPECT_EQ(lines[1], "brown fox");
  EXPECT_EQ(lines[2], "jumps");
  auto long_word = wrap("/a/very/long/path/that/does/not/fit", 10);
  for (const auto& l : long_word) EXPECT_LE(display_width(l), 10);
  EXPECT_EQ(wrap("one\ntwo", 20), (std::vector<std::string>{"one", "two"}));
}

TEST(Format, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0.0);
  auto t = parse_rfc3339("2026-11-29T10:00:00.500000000Z");
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(*t, 1795946400.5);
  EXPECT_TRUE(parse_rfc3339("2026-11-29T10:00:00+00:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-29T10:00:00+02:00"));  // the agent speaks UTC only
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2026-13-29T10:00:00Z"));
  EXPECT_EQ(format_utc(1795946400.5), "2026-11-29 10:00:00");
}

}  // namespace
}  // namespace sousveil::tui
