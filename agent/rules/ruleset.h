// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"

namespace sousveil::rules {

// Why a rule that matched did not fire.
struct Excepted {
  const Rule* rule;
  const RuleException* exception;
};

// The compiled rules, immutable once built, indexed by event kind. Every
// matching rule fires: there is no "first rule wins".
class Ruleset {
 public:
  Ruleset(std::vector<Rule> rules, std::vector<std::string> sources);

  // Appends every enabled rule for this kind that matches and that no
  // exception covers; excepted matches go to *excepted when given.
  void match(const EventFields& event, std::string_view kind, std::vector<const Rule*>& fired,
             std::vector<Excepted>* excepted = nullptr) const;
  // Whether one rule fires on the event (examples, tests); the exception that
  // stopped it otherwise.
  bool fires(const Rule& rule, const EventFields& event, const RuleException** stopped_by = nullptr) const;

  const std::vector<Rule>& rules() const { return m_rules; }
  const Rule* find(std::string_view id) const;
  const std::vector<std::string>& sources() const { return m_sources; }
  std::size_t enabled_count() const;

 private:
  std::vector<Rule> m_rules;
  std::vector<std::string> m_sources;
  // A handful of kinds: a flat list beats hashing the kind on every event.
  std::vector<std::pair<std::string, std::vector<const Rule*>>> m_by_kind;
};

}  // namespace sousveil::rules
