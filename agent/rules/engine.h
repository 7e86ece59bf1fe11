// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/event.h"
#include "rules/fields.h"
#include "rules/ruleset.h"

namespace sousveil::rules {

// What a rule concluded about one event, explained for the person.
struct Finding {
  std::string rule_id;
  std::string title;
  Severity severity = Severity::Info;
  Category category = Category::Posture;
  std::string mitre;
  std::string explanation;
  std::string product;  // catalog id, when the process matched one
};

// Matches events against the ruleset in force. A reload swaps the whole set
// at once; events already being matched finish with the old one.
class RuleEngine {
 public:
  explicit RuleEngine(std::shared_ptr<const Ruleset> ruleset) : m_ruleset(std::move(ruleset)) {}

  // Every rule that fires on the event.
  std::vector<Finding> evaluate(const EventFields& fields, std::string_view kind, std::string_view product) const;
  void swap(std::shared_ptr<const Ruleset> ruleset) { std::atomic_store(&m_ruleset, std::move(ruleset)); }
  std::shared_ptr<const Ruleset> ruleset() const { return std::atomic_load(&m_ruleset); }

  std::uint64_t evaluated() const { return m_evaluated; }
  std::uint64_t fired() const { return m_fired; }
  std::uint64_t excepted() const { return m_excepted; }

 private:
  std::shared_ptr<const Ruleset> m_ruleset;
  mutable std::uint64_t m_evaluated = 0;
  mutable std::uint64_t m_fired = 0;
  mutable std::uint64_t m_excepted = 0;
};

}  // namespace sousveil::rules
