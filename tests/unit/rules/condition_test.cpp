// SPDX-License-Identifier: Apache-2.0
#include "rules/condition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rules/event_fields.h"
#include "rules/loader.h"
#include "support/rule_files.h"

namespace sousveil {
namespace {

using nlohmann::json;
using testing_support::RuleDir;

// Lists and macros every case may use; the case's condition becomes the match
// of the one rule below them.
constexpr std::string_view kPrelude = R"(
- list: shells
  items: [/usr/bin/bash, /usr/bin/zsh]
- list: editors
  items: [/usr/bin/vim, /usr/bin/nano]
- list: minors
  items: [16, "0x40"]
- list: login_flags
  items: [--login, -l]
- macro: is_shell
  condition: {process.exe: {in: shells}}
- macro: shell_or_editor
  condition:
    any:
      - {macro: is_shell}
      - {process.exe: {in: editors}}
)";

// A login shell on an input device: text, number and list fields all present,
// process.unit present but empty, no ioctl, X11 or BPF fields at all.
constexpr const char* kShell = R"({
  "kind": "device_open", "result": "ok",
  "device": {"class": "input", "major": 13, "minor": 64, "path": "/dev/input/event3"},
  "access": {"mode": "read", "flags": ["O_RDONLY", "O_CLOEXEC"], "fd": 3},
  "process": {"pid": 4242, "uid": 1000, "comm": "bash", "exe": "/usr/bin/bash",
              "cmdline": ["bash", "-i", "--login"], "unit": "",
              "ancestry": [{"pid": 4000, "comm": "sshd", "exe": "/usr/sbin/sshd"},
                           {"pid": 1, "comm": "systemd", "exe": "/usr/lib/systemd/systemd"}]}})";

// A process whose argv is known to be empty.
constexpr const char* kNoArgs = R"({
  "kind": "device_open",
  "process": {"comm": "kworker", "exe": "/usr/bin/x", "cmdline": []}})";

// A number field written as text is not a number: the field is unknown.
constexpr const char* kPidAsText = R"({"kind": "device_open", "process": {"pid": "4242"}})";

// A program whose path is the name of a list, to tell quoted from bare names.
constexpr const char* kNamedLikeAList = R"({"kind": "device_open", "process": {"exe": "shells"}})";

// A text field written as a number reads as its decimal text.
constexpr const char* kDisplayAsNumber =
    R"({"kind": "x11_request", "x11": {"display": 0, "rate": 40}})";

struct OpCase {
  const char* name;
  const char* match;  // the condition, as YAML
  const char* event;  // the JSON form of the event
  bool holds;
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) {
  return os << c.name << ": " << c.match;
}

class ConditionOperator : public ::testing::TestWithParam<OpCase> {};

TEST_P(ConditionOperator, HoldsExactlyWhenExpected) {
  const auto& c = GetParam();
  RuleDir dir;
  auto file = dir.write("case.yaml", std::string(kPrelude) +
                                         "- rule: test.case\n"
                                         "  title: Test case\n"
                                         "  kinds: [device_open]\n"
                                         "  match: " +
                                         c.match +
                                         "\n"
                                         "  severity: info\n"
                                         "  category: posture\n"
                                         "  explain: x\n");
  auto loaded = rules::load_rules({file});
  ASSERT_TRUE(loaded.ok()) << loaded.format_errors();
  const auto* rule = loaded.ruleset->find("test.case");
  ASSERT_NE(rule, nullptr);
  auto event = json::parse(c.event);
  rules::JsonEventFields fields(event);
  EXPECT_EQ(rule->match.eval(fields), c.holds) << c.match << "\non " << event.dump();
}

const OpCase kOperators[] = {
    // eq, written bare or as an operator.
    {"EqTextEqual", "{process.exe: /usr/bin/bash}", kShell, true},
    {"EqTextDiffers", "{process.exe: /usr/bin/zsh}", kShell, false},
    {"EqTextIsCaseSensitive", "{process.name: BASH}", kShell, false},
    {"EqOperatorText", "{process.exe: {eq: /usr/bin/bash}}", kShell, true},
    {"EqNumberEqual", "{process.uid: 1000}", kShell, true},
    {"EqNumberDiffers", "{process.uid: 0}", kShell, false},
    {"EqNumberInHex", "{device.major: 0xd}", kShell, true},
    {"EqOperatorNumber", "{process.uid: {eq: 1000}}", kShell, true},
    {"EqListAnyElement", "{process.cmdline: --login}", kShell, true},
    {"EqListNoElement", "{process.cmdline: --norc}", kShell, false},
    {"EqTextFieldWrittenAsNumber", "{x11.display: \"0\"}", kDisplayAsNumber, true},
    // ne: on a list, no element equals.
    {"NeTextDiffers", "{process.exe: {ne: /usr/bin/zsh}}", kShell, true},
    {"NeTextEqual", "{process.exe: {ne: /usr/bin/bash}}", kShell, false},
    {"NeNumberDiffers", "{process.uid: {ne: 0}}", kShell, true},
    {"NeNumberEqual", "{process.uid: {ne: 1000}}", kShell, false},
    {"NeListNoElementEquals", "{process.cmdline: {ne: --norc}}", kShell, true},
    {"NeListOneElementEquals", "{process.cmdline: {ne: --login}}", kShell, false},
    {"NeListFirstElementEquals", "{process.cmdline: {ne: bash}}", kShell, false},
    // in: inline, by a list's name, a list inside an inline list.
    {"InInlineShortForm", "{process.exe: [/usr/bin/zsh, /usr/bin/bash]}", kShell, true},
    {"InInlineOperator", "{process.exe: {in: [/usr/bin/zsh, /usr/bin/bash]}}", kShell, true},
    {"InInlineMiss", "{process.exe: {in: [/usr/bin/zsh, /usr/bin/fish]}}", kShell, false},
    {"InByListName", "{process.exe: {in: shells}}", kShell, true},
    {"InByListNameMiss", "{process.exe: {in: editors}}", kShell, false},
    {"InListInsideInlineList", "{process.exe: {in: [editors, shells]}}", kShell, true},
    {"InListNextToLiteral", "{process.exe: [editors, /usr/bin/bash]}", kShell, true},
    {"InListInsideListMiss", "{process.exe: [editors, /usr/bin/fish]}", kShell, false},
    {"InListNameIsNotALiteral", "{process.exe: [shells]}", kNamedLikeAList, false},
    {"InQuotedListNameIsALiteral", "{process.exe: [\"shells\"]}", kNamedLikeAList, true},
    {"InNumberInline", "{process.uid: [0, 1000]}", kShell, true},
    {"InNumberInlineMiss", "{process.uid: [0, 1]}", kShell, false},
    {"InNumberByListNameWithHex", "{device.minor: {in: minors}}", kShell, true},
    {"InNumberByListNameMiss", "{device.major: {in: minors}}", kShell, false},
    {"InListAnyElement", "{process.cmdline: {in: login_flags}}", kShell, true},
    {"InListNoElement", "{process.cmdline: [-c, --norc]}", kShell, false},
    {"InAncestorsByListName", "{ancestors.exe: {in: [/usr/sbin/sshd]}}", kShell, true},
    // glob: * crosses '/', ? is one character, [...] a class.
    {"GlobStarCrossesSlash", "{process.exe: {glob: \"/*bash\"}}", kShell, true},
    {"GlobStarInTheMiddle", "{process.exe: {glob: \"/usr/*/bash\"}}", kShell, true},
    {"GlobQuestionMark", "{process.exe: {glob: \"/usr/bin/b?sh\"}}", kShell, true},
    {"GlobClass", "{process.exe: {glob: \"/usr/bin/[bz]ash\"}}", kShell, true},
    {"GlobIsWholeValue", "{process.exe: {glob: /usr/bin/ba}}", kShell, false},
    {"GlobMiss", "{process.exe: {glob: \"/usr/bin/z*\"}}", kShell, false},
    {"GlobListAnyElement", "{process.cmdline: {glob: \"--l*\"}}", kShell, true},
    {"GlobListNoElement", "{process.cmdline: {glob: \"--x*\"}}", kShell, false},
    // prefix
    {"PrefixHolds", "{process.exe: {prefix: /usr/bin/}}", kShell, true},
    {"PrefixMiss", "{process.exe: {prefix: /usr/sbin/}}", kShell, false},
    {"PrefixLongerThanValue", "{process.name: {prefix: bashful}}", kShell, false},
    {"PrefixWholeValue", "{process.name: {prefix: bash}}", kShell, true},
    {"PrefixListAnyElement", "{process.cmdline: {prefix: --log}}", kShell, true},
    {"PrefixListNoElement", "{ancestors.exe: {prefix: /opt/}}", kShell, false},
    // regex: RE2, unanchored.
    {"RegexIsUnanchored", "{process.exe: {regex: 'b.sh'}}", kShell, true},
    {"RegexAnchoredMiss", "{process.exe: {regex: '^bash'}}", kShell, false},
    {"RegexAnchoredWhole", "{process.exe: {regex: '^/usr/bin/(ba|z)sh$'}}", kShell, true},
    {"RegexMiss", "{process.exe: {regex: 'zsh'}}", kShell, false},
    {"RegexListAnyElement", "{process.cmdline: {regex: '^-i$'}}", kShell, true},
    {"RegexListNoElement", "{process.cmdline: {regex: '^-x'}}", kShell, false},
    // lt le gt ge, at both sides of the boundary.
    {"LtBelow", "{process.uid: {lt: 1001}}", kShell, true},
    {"LtEqual", "{process.uid: {lt: 1000}}", kShell, false},
    {"LeEqual", "{process.uid: {le: 1000}}", kShell, true},
    {"LeAbove", "{process.uid: {le: 999}}", kShell, false},
    {"GtAbove", "{process.uid: {gt: 999}}", kShell, true},
    {"GtEqual", "{process.uid: {gt: 1000}}", kShell, false},
    {"GeEqual", "{process.uid: {ge: 1000}}", kShell, true},
    {"GeBelow", "{process.uid: {ge: 1001}}", kShell, false},
    {"GtNegative", "{access.fd: {gt: -1}}", kShell, true},
    {"GeHex", "{device.minor: {ge: 0x40}}", kShell, true},
    {"RangeBothHold", "{process.uid: {ge: 1000, lt: 60000}}", kShell, true},
    {"RangeOneFails", "{process.uid: {ge: 1000, lt: 1000}}", kShell, false},
    {"RateGe", "{x11.rate: {ge: 2}}", kDisplayAsNumber, true},
    // exists
    {"ExistsTrueOnText", "{process.exe: {exists: true}}", kShell, true},
    {"ExistsFalseOnText", "{process.exe: {exists: false}}", kShell, false},
    {"ExistsTrueOnNumber", "{process.uid: {exists: true}}", kShell, true},
    {"ExistsFalseOnNumber", "{process.uid: {exists: false}}", kShell, false},
    {"ExistsTrueOnList", "{process.cmdline: {exists: true}}", kShell, true},
    {"ExistsFalseOnList", "{process.cmdline: {exists: false}}", kShell, false},
    {"ExistsTrueOnZero", "{access.fd: {exists: true}}", R"({"access": {"fd": 0}})", true},
    // Missing fields satisfy nothing but exists: false.
    {"MissingTextEq", "{x11.request: GetImage}", kShell, false},
    {"MissingTextNe", "{x11.request: {ne: GetImage}}", kShell, false},
    {"MissingTextIn", "{x11.request: [GetImage, ShmGetImage]}", kShell, false},
    {"MissingTextGlob", "{x11.request: {glob: \"*\"}}", kShell, false},
    {"MissingTextPrefix", "{x11.request: {prefix: \"\"}}", kShell, false},
    {"MissingTextRegex", "{x11.request: {regex: '.*'}}", kShell, false},
    {"MissingTextExistsTrue", "{x11.request: {exists: true}}", kShell, false},
    {"MissingTextExistsFalse", "{x11.request: {exists: false}}", kShell, true},
    {"MissingNumberEq", "{ioctl.arg: 0}", kShell, false},
    {"MissingNumberNe", "{ioctl.arg: {ne: 0}}", kShell, false},
    {"MissingNumberIn", "{ioctl.arg: [0, 1]}", kShell, false},
    {"MissingNumberLt", "{ioctl.arg: {lt: 100}}", kShell, false},
    {"MissingNumberLe", "{ioctl.arg: {le: 100}}", kShell, false},
    {"MissingNumberGt", "{ioctl.arg: {gt: -100}}", kShell, false},
    {"MissingNumberGe", "{ioctl.arg: {ge: -100}}", kShell, false},
    {"MissingNumberExistsFalse", "{ioctl.arg: {exists: false}}", kShell, true},
    {"MissingListEq", "{bpf.helpers: probe_write_user}", kShell, false},
    {"MissingListNe", "{bpf.helpers: {ne: probe_write_user}}", kShell, false},
    {"MissingListExistsFalse", "{bpf.helpers: {exists: false}}", kShell, true},
    {"MissingParentOfNoAncestry", "{parent.exe: {ne: /usr/sbin/sshd}}", kNoArgs, false},
    // Empty text and empty lists are unknown too.
    {"EmptyTextEqEmpty", "{process.unit: \"\"}", kShell, false},
    {"EmptyTextNe", "{process.unit: {ne: session-2.scope}}", kShell, false},
    {"EmptyTextGlob", "{process.unit: {glob: \"*\"}}", kShell, false},
    {"EmptyTextExistsTrue", "{process.unit: {exists: true}}", kShell, false},
    {"EmptyTextExistsFalse", "{process.unit: {exists: false}}", kShell, true},
    {"EmptyListNe", "{process.cmdline: {ne: --login}}", kNoArgs, false},
    {"EmptyListGlob", "{process.cmdline: {glob: \"*\"}}", kNoArgs, false},
    {"EmptyListExistsFalse", "{process.cmdline: {exists: false}}", kNoArgs, true},
    {"EmptyArgsFromEmptyCmdline", "{process.args: {exists: false}}", kNoArgs, true},
    {"NumberWrittenAsTextEq", "{process.pid: 4242}", kPidAsText, false},
    {"NumberWrittenAsTextNe", "{process.pid: {ne: 1}}", kPidAsText, false},
    {"NumberWrittenAsTextExistsFalse", "{process.pid: {exists: false}}", kPidAsText, true},
    // Derived and nested fields.
    {"ArgsJoinCmdline", "{process.args: bash -i --login}", kShell, true},
    {"ParentIsFirstAncestor", "{parent.name: sshd, parent.exe: /usr/sbin/sshd}", kShell, true},
    {"AncestorNamesAnyElement", "{ancestors.name: systemd}", kShell, true},
    {"TargetNameIsComm", "{target.name: bash}", R"({"target": {"comm": "bash"}})", true},
    // Every key of one mapping must hold; every operator of one field too.
    {"MappingKeysAllHold", "{process.exe: /usr/bin/bash, process.uid: 1000}", kShell, true},
    {"MappingKeysOneFails", "{process.exe: /usr/bin/bash, process.uid: 0}", kShell, false},
    {"OperatorsAllHold", "{process.exe: {prefix: /usr/, glob: \"*sh\", ne: /usr/bin/zsh}}", kShell,
     true},
    {"OperatorsOneFails", "{process.exe: {prefix: /usr/, glob: \"*vim\"}}", kShell, false},
    // all / any / not / macro, and nestings of them.
    {"AllHolds", "{all: [{process.exe: /usr/bin/bash}, {process.uid: 1000}]}", kShell, true},
    {"AllOneFails", "{all: [{process.exe: /usr/bin/bash}, {process.uid: 0}]}", kShell, false},
    {"AnyOneHolds", "{any: [{process.uid: 0}, {process.exe: /usr/bin/bash}]}", kShell, true},
    {"AnyNoneHolds", "{any: [{process.uid: 0}, {x11.request: GetImage}]}", kShell, false},
    {"NotTurnsFalseToTrue", "{not: {process.uid: 0}}", kShell, true},
    {"NotTurnsTrueToFalse", "{not: {process.exe: /usr/bin/bash}}", kShell, false},
    {"NotOfMissingHolds", "{not: {x11.rate: {ge: 2}}}", kShell, true},
    {"NotNot", "{not: {not: {process.uid: 1000}}}", kShell, true},
    {"MacroHolds", "{macro: is_shell}", kShell, true},
    {"MacroMiss", "{macro: is_shell}", kNoArgs, false},
    {"MacroUsingMacro", "{macro: shell_or_editor}", kShell, true},
    {"NotMacro", "{not: {macro: is_shell}}", kShell, false},
    {"MacroNextToField", "{macro: is_shell, process.uid: 0}", kShell, false},
    {"AnyOfMacroAndAll", "{any: [{macro: shell_or_editor}, {all: [{process.uid: 0}]}]}", kNoArgs,
     false},
    {"DeepNesting",
     "{all: [{any: [{not: {macro: is_shell}}, {process.cmdline: --login}]},"
     " {not: {any: [{process.uid: 0}, {x11.request: GetImage}]}}]}",
     kShell, true},
    {"DeepNestingFails",
     "{all: [{any: [{not: {macro: is_shell}}, {process.cmdline: --norc}]},"
     " {not: {any: [{process.uid: 0}, {x11.request: GetImage}]}}]}",
     kShell, false},
};

INSTANTIATE_TEST_SUITE_P(Operators, ConditionOperator, ::testing::ValuesIn(kOperators),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

struct GlobCase {
  const char* name;
  const char* pattern;
  const char* text;
  bool matches;
};

std::ostream& operator<<(std::ostream& os, const GlobCase& c) { return os << c.name; }

class GlobMatch : public ::testing::TestWithParam<GlobCase> {};

TEST_P(GlobMatch, MatchesLikeTheShellButAcrossSlashes) {
  const auto& c = GetParam();
  EXPECT_EQ(rules::glob_match(c.pattern, c.text), c.matches) << c.pattern << " on " << c.text;
}

const GlobCase kGlobs[] = {
    {"StarAnyRun", "*HubstaffClient*", "/opt/Hubstaff/HubstaffClient.bin.x86_64", true},
    {"StarEmptyRun", "/usr/bin/x11vnc*", "/usr/bin/x11vnc", true},
    {"StarAcrossSlashes", "/opt/*/agent", "/opt/vendor/bin/agent", true},
    {"QuestionOneCharacter", "/dev/video?", "/dev/video0", true},
    {"QuestionNotTwo", "/dev/video?", "/dev/video10", false},
    {"ClassRange", "/dev/hidraw[0-9]", "/dev/hidraw3", true},
    {"ClassNegated", "/dev/hidraw[!0-9]", "/dev/hidraw3", false},
    {"Literal", "/usr/bin/xrdp", "/usr/bin/xrdp", true},
    {"LiteralIsWhole", "/usr/bin/xrdp", "/usr/bin/xrdp-sesman", false},
    {"EscapedStar", "/tmp/\\*", "/tmp/*", true},
    {"EscapedStarIsLiteral", "/tmp/\\*", "/tmp/a", false},
    {"EmptyPatternEmptyText", "", "", true},
};

INSTANTIATE_TEST_SUITE_P(Patterns, GlobMatch, ::testing::ValuesIn(kGlobs),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// The compiled form can be built directly too: the loader is not the only way in.
class ConditionApi : public ::testing::Test {
 protected:
  json m_event = json::parse(kShell);
  rules::JsonEventFields m_fields{m_event};
};

TEST_F(ConditionApi, AlwaysHolds) { EXPECT_TRUE(rules::Condition::always().eval(m_fields)); }

TEST_F(ConditionApi, AllOfOneIsThatOne) {
  std::vector<rules::Condition> one;
  one.push_back(rules::Condition::compare(rules::Condition::Op::Eq, rules::FieldId::ProcessUid,
                                          std::int64_t{1000}));
  auto c = rules::Condition::all(std::move(one));
  EXPECT_EQ(c.op(), rules::Condition::Op::Eq);
  EXPECT_TRUE(c.eval(m_fields));
}

TEST_F(ConditionApi, NumberTestOnATextFieldNeverHolds) {
  // The loader refuses this; built by hand it is simply false.
  auto c = rules::Condition::compare(rules::Condition::Op::Eq, rules::FieldId::ProcessName,
                                     std::int64_t{0});
  EXPECT_FALSE(c.eval(m_fields));
}

TEST_F(ConditionApi, InOverNumbersIsOrderFree) {
  auto c =
      rules::Condition::in(rules::FieldId::ProcessUid, std::vector<std::int64_t>{5000, 1000, -1});
  EXPECT_TRUE(c.eval(m_fields));
}

}  // namespace
}  // namespace sousveil
