// SPDX-License-Identifier: Apache-2.0
// The rules and the product catalog that ship in rules/: they load, every
// rule carries examples that pass, and the two agree with each other.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "rules/defaults.h"
#include "rules/event_fields.h"
#include "rules/loader.h"

#ifndef SOUSVEIL_RULES_DIR_FOR_TESTS
#error "tests/unit/CMakeLists.txt defines SOUSVEIL_RULES_DIR_FOR_TESTS"
#endif

namespace sousveil {
namespace {

using ::testing::IsEmpty;

const std::filesystem::path kRulesDir = SOUSVEIL_RULES_DIR_FOR_TESTS;

// Loaded once: several suites and every per-rule case read it.
const rules::LoadResult& shipped() {
  static const rules::LoadResult loaded = rules::load_rules({kRulesDir});
  return loaded;
}

const catalog::CatalogLoad& shipped_catalog() {
  static const catalog::CatalogLoad loaded = catalog::load_catalog({kRulesDir / "products"});
  return loaded;
}

TEST(ShippedRules, LoadWithoutErrors) {
  const auto& loaded = shipped();
  EXPECT_THAT(loaded.errors, IsEmpty()) << loaded.format_errors();
  ASSERT_NE(loaded.ruleset, nullptr);
  EXPECT_GE(loaded.ruleset->rules().size(), 60U);
}

TEST(ShippedRules, AreWhereTheAgentLooksInASourceTree) {
  // shipped_rules_dir() honours $SOUSVEIL_RULES_DIR; in a plain test run it is
  // the source tree's rules/.
  if (std::getenv("SOUSVEIL_RULES_DIR")) GTEST_SKIP() << "SOUSVEIL_RULES_DIR is set";
  EXPECT_TRUE(std::filesystem::equivalent(rules::shipped_rules_dir(), kRulesDir));
}

TEST(ShippedRules, PassTheirExamples) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  auto errors = rules::check_examples(*shipped().ruleset);
  std::string text;
  for (const auto& e : errors) text += e.format() + "\n";
  EXPECT_THAT(errors, IsEmpty()) << text;
}

TEST(ShippedRules, EveryRuleHasAMatchAndANoMatchExample) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  for (const auto& r : shipped().ruleset->rules()) {
    EXPECT_FALSE(r.examples_match.empty()) << r.id << " has no match example";
    EXPECT_FALSE(r.examples_no_match.empty()) << r.id << " has no no_match example";
  }
}

TEST(ShippedRules, CoverEveryCategory) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  std::set<rules::Category> seen;
  for (const auto& r : shipped().ruleset->rules()) seen.insert(r.category);
  for (int i = 0; i < rules::kCategoryCount; ++i) {
    auto c = static_cast<rules::Category>(i);
    EXPECT_TRUE(seen.count(c)) << "no shipped rule in category " << rules::to_string(c);
  }
}

TEST(ShippedRules, AreNamedAfterTheirCategory) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  for (const auto& r : shipped().ruleset->rules())
    EXPECT_EQ(r.id.substr(0, r.id.find('.')), rules::to_string(r.category)) << r.id;
}

TEST(ShippedRules, AreAllEnabled) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  EXPECT_EQ(shipped().ruleset->enabled_count(), shipped().ruleset->rules().size());
}

// Everything an exception's condition tests, macros expanded.
class ConditionFields {
 public:
  ConditionFields() {
    for (const auto& file : rule_files())
      for (const auto& item : YAML::LoadFile(file.string()))
        if (item["macro"]) m_macros[item["macro"].as<std::string>()] = item["condition"];
  }

  static std::vector<std::filesystem::path> rule_files() {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(kRulesDir))
      if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::set<std::string> of(const YAML::Node& condition, int depth = 0) const {
    std::set<std::string> out;
    if (!condition.IsMap() || depth > 16) return out;
    for (const auto& kv : condition) {
      auto key = kv.first.as<std::string>();
      if (key == "all" || key == "any") {
        for (const auto& c : kv.second) out.merge(of(c, depth + 1));
      } else if (key == "not") {
        out.merge(of(kv.second, depth + 1));
      } else if (key == "macro") {
        auto it = m_macros.find(kv.second.as<std::string>());
        if (it != m_macros.end()) out.merge(of(it->second, depth + 1));
      } else {
        out.insert(key);
      }
    }
    return out;
  }

 private:
  std::map<std::string, YAML::Node> m_macros;
};

TEST(ShippedRules, ExceptionsNeverTrustAProcessNameAlone) {
  // Any program can call itself Xorg: an exception that looks at the name must
  // also look at the executable.
  ConditionFields fields;
  int exceptions = 0;
  for (const auto& file : ConditionFields::rule_files()) {
    for (const auto& item : YAML::LoadFile(file.string())) {
      if (!item["exceptions"]) continue;
      auto who = item["rule"] ? item["rule"].as<std::string>() : item["override"].as<std::string>();
      for (const auto& ex : item["exceptions"]) {
        ++exceptions;
        auto used = fields.of(ex["match"]);
        bool by_name =
            used.count("process.name") || used.count("parent.name") || used.count("ancestors.name");
        bool by_exe = used.count("process.exe") || used.count("process.exe_inode");
        EXPECT_TRUE(!by_name || by_exe)
            << file.filename() << ": " << who << " exception '" << ex["name"].as<std::string>()
            << "' matches a name without the executable";
      }
    }
  }
  EXPECT_GT(exceptions, 20);
}

TEST(ShippedRules, EveryExceptionGivesAReason) {
  ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
  for (const auto& r : shipped().ruleset->rules())
    for (const auto& ex : r.exceptions) {
      EXPECT_GT(ex.reason.size(), 20U) << r.id << " / " << ex.name << ": '" << ex.reason << "'";
      EXPECT_NE(ex.reason, "null") << r.id << " / " << ex.name;
    }
}

TEST(ShippedRules, ProductListsNameCatalogProducts) {
  // 00-lists.yaml names catalog ids for process.product; a typo there would
  // silently never match.
  ASSERT_TRUE(shipped_catalog().ok());
  int checked = 0;
  for (const auto& item : YAML::LoadFile((kRulesDir / "00-lists.yaml").string())) {
    if (!item["list"]) continue;
    auto name = item["list"].as<std::string>();
    if (name.size() < 9 || name.substr(name.size() - 9) != "_products") continue;
    for (const auto& id : item["items"]) {
      ++checked;
      EXPECT_NE(shipped_catalog().catalog->find(id.as<std::string>()), nullptr)
          << "list " << name << " names '" << id.as<std::string>()
          << "', which is not in rules/products";
    }
  }
  EXPECT_GT(checked, 0);
}

// One case per shipped rule: its own examples, through the kind index.
std::string camel_case(const std::string& id) {
  std::string out;
  bool upper = true;
  for (char ch : id) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return out;
}

std::vector<std::string> shipped_rule_ids() {
  std::vector<std::string> ids;
  if (shipped().ruleset)
    for (const auto& r : shipped().ruleset->rules()) ids.push_back(r.id);
  return ids;
}

class ShippedRule : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_NE(shipped().ruleset, nullptr) << shipped().format_errors();
    m_rule = shipped().ruleset->find(GetParam());
    ASSERT_NE(m_rule, nullptr);
  }
  // The rules that fire on the example, as the engine would pick them.
  std::vector<std::string> fired(const nlohmann::json& event) const {
    rules::JsonEventFields fields(event);
    std::vector<const rules::Rule*> out;
    shipped().ruleset->match(fields, event.value("kind", ""), out);
    std::vector<std::string> ids;
    for (const auto* r : out) ids.push_back(r->id);
    return ids;
  }
  std::string where(const rules::RuleExample& ex) const {
    return ex.pos.file + ":" + std::to_string(ex.pos.line) + ": " + ex.event.dump();
  }

  const rules::Rule* m_rule = nullptr;
};

TEST_P(ShippedRule, FiresOnItsMatchExamplesOnly) {
  ASSERT_FALSE(m_rule->examples_match.empty());
  ASSERT_FALSE(m_rule->examples_no_match.empty());
  for (const auto& ex : m_rule->examples_match) {
    EXPECT_THAT(fired(ex.event), ::testing::Contains(m_rule->id)) << where(ex);
    rules::JsonEventFields fields(ex.event);
    auto text = m_rule->explain.render(fields);
    EXPECT_FALSE(text.empty()) << where(ex);
    EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("?"))) << where(ex) << "\n" << text;
  }
  for (const auto& ex : m_rule->examples_no_match)
    EXPECT_THAT(fired(ex.event), ::testing::Not(::testing::Contains(m_rule->id))) << where(ex);
}

TEST_P(ShippedRule, SaysWhatItIsAbout) {
  EXPECT_FALSE(m_rule->title.empty());
  EXPECT_FALSE(m_rule->kinds.empty());
  // It speaks of this event: at least one {field}, not only literal {{ }}.
  const auto& text = m_rule->explain.source();
  bool names_a_field = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    names_a_field = true;
  }
  EXPECT_TRUE(names_a_field) << text;
  if (!m_rule->mitre.empty()) {
    EXPECT_EQ(m_rule->mitre[0], 'T');
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, ShippedRule, ::testing::ValuesIn(shipped_rule_ids()),
                         [](const auto& param_info) { return camel_case(param_info.param); });

// The product catalog.
TEST(ShippedCatalog, LoadsWithoutErrors) {
  const auto& loaded = shipped_catalog();
  std::string text;
  for (const auto& e : loaded.errors) text += e.format() + "\n";
  EXPECT_THAT(loaded.errors, IsEmpty()) << text;
  ASSERT_NE(loaded.catalog, nullptr);
  EXPECT_GE(loaded.catalog->products().size(), 20U);
}

TEST(ShippedCatalog, HasUniqueIdsAndEveryKind) {
  ASSERT_TRUE(shipped_catalog().ok());
  std::set<std::string> ids;
  std::set<std::string> kinds;
  for (const auto& p : shipped_catalog().catalog->products()) {
    EXPECT_TRUE(ids.insert(p.id).second) << "duplicate product id " << p.id;
    kinds.insert(p.kind);
    EXPECT_FALSE(p.sources.empty()) << p.id << " names no source for what recognises it";
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"employee-monitoring", "remote-view", "session-recording",
                                          "endpoint-agent"}));
}

TEST(ShippedCatalog, RecognisesAProductByExecutableUnitAndPackage) {
  ASSERT_TRUE(shipped_catalog().ok());
  const auto& cat = *shipped_catalog().catalog;
  const auto* by_exe = cat.match({"/usr/bin/x11vnc", "", ""});
  ASSERT_NE(by_exe, nullptr);
  EXPECT_EQ(by_exe->id, "x11vnc");
  const auto* by_unit = cat.match({"", "osqueryd.service", ""});
  ASSERT_NE(by_unit, nullptr);
  EXPECT_EQ(by_unit->id, "osquery");
  const auto* by_package = cat.match({"", "", "xrdp"});
  ASSERT_NE(by_package, nullptr);
  EXPECT_EQ(by_package->id, "xrdp");
  EXPECT_EQ(cat.match({"/usr/bin/bash", "session-2.scope", "bash"}), nullptr);
}

TEST(ShippedCatalog, EachLiteralPathUnitAndPackageIsRecognisedAsItsOwnProduct) {
  // An earlier product's glob, unit or package must not hide a later one.
  ASSERT_TRUE(shipped_catalog().ok());
  const auto& cat = *shipped_catalog().catalog;
  for (const auto& p : cat.products()) {
    for (const auto& exe : p.executables) {
      if (exe.find_first_of("*?[") != std::string::npos) continue;
      const auto* m = cat.match({exe, "", ""});
      EXPECT_TRUE(m && m->id == p.id)
          << exe << " is recognised as " << (m ? m->id : "nothing") << ", not " << p.id;
    }
    for (const auto& unit : p.units) {
      const auto* m = cat.match({"", unit, ""});
      EXPECT_TRUE(m && m->id == p.id)
          << unit << " is recognised as " << (m ? m->id : "nothing") << ", not " << p.id;
    }
    for (const auto& package : p.packages) {
      const auto* m = cat.match({"", "", package});
      EXPECT_TRUE(m && m->id == p.id)
          << package << " is recognised as " << (m ? m->id : "nothing") << ", not " << p.id;
    }
  }
}

}  // namespace
}  // namespace sousveil
