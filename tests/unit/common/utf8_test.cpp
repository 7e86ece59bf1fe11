// SPDX-License-Identifier: Apache-2.0
#include "common/utf8.h"

#include <gtest/gtest.h>

namespace sousveil {
namespace {

struct Utf8Case {
  const char* name;
  std::string in;
  std::string out;
};

class ValidUtf8Test : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(ValidUtf8Test, ReplacesOnlyInvalidSequences) { EXPECT_EQ(valid_utf8(GetParam().in), GetParam().out); }

const std::string R = "\xEF\xBF\xBD";
const Utf8Case kCases[] = {
    {"Ascii", "head -c 100", "head -c 100"},
    {"TwoByte", "caf\xC3\xA9", "caf\xC3\xA9"},
    {"ThreeByte", "\xE2\x82\xAC", "\xE2\x82\xAC"},
    {"FourByte", "\xF0\x9F\x91\x80", "\xF0\x9F\x91\x80"},
    {"LoneContinuation", "a\x80" "b", "a" + R + "b"},
    {"InvalidLeadFF", "\xFF\xFE", R + R},
    {"TruncatedTwoByte", "x\xC3", "x" + R},
    {"OverlongSlash", "\xC0\xAF", R + R},
    {"OverlongThreeByte", "\xE0\x80\xAF", R + R + R},
    {"Surrogate", "\xED\xA0\x80", R + R + R},
    {"BeyondUnicode", "\xF4\x90\x80\x80", R + R + R + R},
    {"EmbeddedNul", std::string("a\0b", 3), std::string("a\0b", 3)},
    {"Empty", "", ""},
};

INSTANTIATE_TEST_SUITE_P(Sequences, ValidUtf8Test, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace sousveil
