// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil::cli {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

Options parsed(const std::vector<std::string>& args) {
  auto r = parse(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : Options{};
}

std::string refusal(const std::vector<std::string>& args) {
  auto r = parse(args);
  EXPECT_FALSE(r.ok()) << "accepted";
  return r.ok() ? "" : r.error().message;
}

struct CommandCase {
  const char* name;
  const char* word;
  Command command;
};

std::ostream& operator<<(std::ostream& os, const CommandCase& c) { return os << c.name; }

class ParseCommand : public ::testing::TestWithParam<CommandCase> {};

TEST_P(ParseCommand, RecognisesTheCommand) {
  auto o = parsed({GetParam().word});
  EXPECT_EQ(o.command, GetParam().command);
}

const CommandCase kCommands[] = {
    {"Events", "events", Command::Events},    {"Status", "status", Command::Status},
    {"Version", "version", Command::Version}, {"DashDashVersion", "--version", Command::Version},
    {"Help", "help", Command::Help},          {"DashDashHelp", "--help", Command::Help},
    {"DashH", "-h", Command::Help},           {"Dash", "dash", Command::Dash},
};

INSTANTIATE_TEST_SUITE_P(Words, ParseCommand, ::testing::ValuesIn(kCommands),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ParseCli, DefaultsOfABareCommand) {
  auto o = parsed({"events"});
  EXPECT_FALSE(o.pretty);
  EXPECT_FALSE(o.json);
  EXPECT_FALSE(o.process_events);
  EXPECT_TRUE(o.use_bpf);
  EXPECT_TRUE(o.snapshot);
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.duration.has_value());
}

TEST(ParseCli, DashFlags) {
  auto o = parsed({"dash", "--socket", "/tmp/sv.sock", "--once"});
  EXPECT_EQ(o.command, Command::Dash);
  EXPECT_EQ(o.socket_path, "/tmp/sv.sock");
  EXPECT_TRUE(o.once);
  EXPECT_FALSE(o.json);
  EXPECT_TRUE(parsed({"dash", "--json"}).json);
  EXPECT_THAT(refusal({"dash", "--socket"}), HasSubstr("--socket needs"));
  EXPECT_EQ(parsed({"dash"}).socket_path, "/run/sousveil/sousveil.sock");
  EXPECT_THAT(refusal({"events", "--once"}), HasSubstr("'--once'"));
  EXPECT_THAT(refusal({"dash", "--pretty"}), HasSubstr("'--pretty'"));
}

TEST(ParseCli, NoCommandIsAnError) { EXPECT_THAT(refusal({}), HasSubstr("no command")); }

TEST(ParseCli, UnknownCommandIsNamed) {
  EXPECT_THAT(refusal({"watch"}), HasSubstr("'watch'"));
  EXPECT_THAT(refusal({"--pretty"}), HasSubstr("'--pretty'"));
}

TEST(ParseCli, EventsFlags) {
  auto o = parsed({"events", "--pretty", "--process-events", "--no-bpf", "--no-snapshot", "-v"});
  EXPECT_EQ(o.command, Command::Events);
  EXPECT_TRUE(o.pretty);
  EXPECT_TRUE(o.process_events);
  EXPECT_FALSE(o.use_bpf);
  EXPECT_FALSE(o.snapshot);
  EXPECT_TRUE(o.verbose);
  EXPECT_FALSE(o.json);
}

TEST(ParseCli, StatusFlags) {
  auto o = parsed({"status", "--json", "--no-bpf", "--no-snapshot", "--verbose"});
  EXPECT_EQ(o.command, Command::Status);
  EXPECT_TRUE(o.json);
  EXPECT_FALSE(o.use_bpf);
  EXPECT_FALSE(o.snapshot);
  EXPECT_TRUE(o.verbose);
  EXPECT_FALSE(o.pretty);
}

TEST(ParseCli, EachFlagSetsOnlyItsOption) {
  EXPECT_TRUE(parsed({"events", "--pretty"}).pretty);
  EXPECT_FALSE(parsed({"events", "--pretty"}).process_events);
  EXPECT_TRUE(parsed({"events", "--process-events"}).process_events);
  EXPECT_FALSE(parsed({"events", "--process-events"}).pretty);
  EXPECT_FALSE(parsed({"events", "--no-bpf"}).use_bpf);
  EXPECT_TRUE(parsed({"events", "--no-bpf"}).snapshot);
  EXPECT_FALSE(parsed({"events", "--no-snapshot"}).snapshot);
  EXPECT_TRUE(parsed({"events", "--no-snapshot"}).use_bpf);
  EXPECT_TRUE(parsed({"status", "--json"}).json);
  EXPECT_TRUE(parsed({"version", "-v"}).verbose);
  EXPECT_TRUE(parsed({"help", "--verbose"}).verbose);
}

TEST(ParseCli, UnknownFlagIsNamed) {
  auto msg = refusal({"events", "--colour"});
  EXPECT_THAT(msg, HasSubstr("'--colour'"));
  EXPECT_THAT(msg, HasSubstr("events"));
}

struct ForeignFlagCase {
  const char* name;
  std::vector<std::string> args;
  const char* flag;
};

std::ostream& operator<<(std::ostream& os, const ForeignFlagCase& c) { return os << c.name; }

class ParseForeignFlag : public ::testing::TestWithParam<ForeignFlagCase> {};

TEST_P(ParseForeignFlag, RefusesAFlagOfAnotherCommand) {
  EXPECT_THAT(refusal(GetParam().args), HasSubstr(std::string("'") + GetParam().flag + "'"));
}

const ForeignFlagCase kForeignFlags[] = {
    {"JsonForEvents", {"events", "--json"}, "--json"},
    {"PrettyForStatus", {"status", "--pretty"}, "--pretty"},
    {"ProcessEventsForStatus", {"status", "--process-events"}, "--process-events"},
    {"DurationForVersion", {"version", "--duration", "1"}, "--duration"},
    {"NoBpfForHelp", {"help", "--no-bpf"}, "--no-bpf"},
    {"NoSnapshotForVersion", {"version", "--no-snapshot"}, "--no-snapshot"},
};

INSTANTIATE_TEST_SUITE_P(Commands, ParseForeignFlag, ::testing::ValuesIn(kForeignFlags),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ParseCli, DurationInWholeSeconds) {
  EXPECT_EQ(parsed({"events", "--duration", "3"}).duration, 3000ms);
  EXPECT_EQ(parsed({"status", "--duration", "2"}).duration, 2000ms);
}

TEST(ParseCli, DurationInFractionsOfASecond) {
  EXPECT_EQ(parsed({"events", "--duration", "0.5"}).duration, 500ms);
  EXPECT_EQ(parsed({"events", "--duration", "1.25"}).duration, 1250ms);
}

TEST(ParseCli, DurationThenMoreFlags) {
  auto o = parsed({"events", "--duration", "2", "--pretty"});
  EXPECT_EQ(o.duration, 2000ms);
  EXPECT_TRUE(o.pretty);
}

TEST(ParseCli, DurationWithoutAValue) {
  EXPECT_THAT(refusal({"events", "--duration"}), HasSubstr("--duration"));
}

struct BadDurationCase {
  const char* name;
  const char* value;
};

std::ostream& operator<<(std::ostream& os, const BadDurationCase& c) { return os << c.name; }

class ParseBadDuration : public ::testing::TestWithParam<BadDurationCase> {};

TEST_P(ParseBadDuration, IsRefusedWithTheValue) {
  auto msg = refusal({"events", "--duration", GetParam().value});
  EXPECT_THAT(msg, HasSubstr("--duration"));
  EXPECT_THAT(msg, HasSubstr(std::string("'") + GetParam().value + "'"));
}

const BadDurationCase kBadDurations[] = {
    {"Negative", "-1"},    {"Zero", "0"},
    {"NotANumber", "abc"}, {"TrailingUnit", "5s"},
    {"Empty", ""},         {"NegativeFraction", "-0.5"},
    {"TwoNumbers", "1 2"}, {"AnotherFlag", "--pretty"},
};

INSTANTIATE_TEST_SUITE_P(Values, ParseBadDuration, ::testing::ValuesIn(kBadDurations),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

class ParseNonFiniteDuration : public ::testing::TestWithParam<BadDurationCase> {};

TEST_P(ParseNonFiniteDuration, IsRefused) {
  // Non-finite and huge values once overflowed the conversion to milliseconds.
  auto r = parse({"events", "--duration", GetParam().value});
  ASSERT_FALSE(r.ok()) << GetParam().value << " accepted";
  EXPECT_THAT(r.error().message, HasSubstr("--duration"));
}

const BadDurationCase kNonFiniteDurations[] = {
    {"NotANumberNan", "nan"},
    {"Infinity", "inf"},
    {"TooLarge", "1e300"},
};

INSTANTIATE_TEST_SUITE_P(Values, ParseNonFiniteDuration, ::testing::ValuesIn(kNonFiniteDurations),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Usage, NamesEveryCommandAndFlag) {
  auto text = usage();
  for (const char* word : {"events", "status", "version", "help", "--pretty", "--process-events",
                           "--duration", "--json", "--no-bpf", "--no-snapshot", "--verbose"})
    EXPECT_THAT(text, HasSubstr(word));
}

}  // namespace
}  // namespace sousveil::cli
