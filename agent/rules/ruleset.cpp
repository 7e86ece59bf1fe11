// SPDX-License-Identifier: Apache-2.0
#include "rules/ruleset.h"

#include <algorithm>

namespace sousveil::rules {

Ruleset::Ruleset(std::vector<Rule> rules, std::vector<std::string> sources)
    : m_rules(std::move(rules)), m_sources(std::move(sources)) {
  for (const auto& r : m_rules) {
    if (!r.enabled) continue;
    for (const auto& k : r.kinds) {
      auto it = std::find_if(m_by_kind.begin(), m_by_kind.end(), [&](const auto& e) { return e.first == k; });
      if (it == m_by_kind.end()) it = m_by_kind.insert(m_by_kind.end(), {k, {}});
      it->second.push_back(&r);
    }
  }
}

bool Ruleset::fires(const Rule& rule, const EventFields& event, const RuleException** stopped_by) const {
  if (!rule.match.eval(event)) return false;
  for (const auto& ex : rule.exceptions) {
    if (ex.match.eval(event)) {
      if (stopped_by) *stopped_by = &ex;
      return false;
    }
  }
  return true;
}

void Ruleset::match(const EventFields& event, std::string_view kind, std::vector<const Rule*>& fired,
                    std::vector<Excepted>* excepted) const {
  auto it = std::find_if(m_by_kind.begin(), m_by_kind.end(), [&](const auto& e) { return e.first == kind; });
  if (it == m_by_kind.end()) return;
  for (const Rule* r : it->second) {
    const RuleException* stopped = nullptr;
    if (fires(*r, event, &stopped))
      fired.push_back(r);
    else if (stopped && excepted)
      excepted->push_back({r, stopped});
  }
}

const Rule* Ruleset::find(std::string_view id) const {
  auto it = std::find_if(m_rules.begin(), m_rules.end(), [&](const Rule& r) { return r.id == id; });
  return it == m_rules.end() ? nullptr : &*it;
}

std::size_t Ruleset::enabled_count() const {
  return static_cast<std::size_t>(std::count_if(m_rules.begin(), m_rules.end(), [](const Rule& r) { return r.enabled; }));
}

}  // namespace sousveil::rules
