// SPDX-License-Identifier: Apache-2.0
#include "rules/engine.h"

namespace sousveil::rules {

std::vector<Finding> RuleEngine::evaluate(const EventFields& fields, std::string_view kind,
                                          std::string_view product) const {
  auto rs = ruleset();
  std::vector<Finding> out;
  if (!rs) return out;
  ++m_evaluated;
  std::vector<const Rule*> fired;
  std::vector<Excepted> excepted;
  rs->match(fields, kind, fired, &excepted);
  m_excepted += excepted.size();
  for (const Rule* r : fired) {
    ++m_fired;
    out.push_back({r->id, r->title, r->severity, r->category, r->mitre, r->explain.render(fields),
                   std::string(product)});
  }
  return out;
}

}  // namespace sousveil::rules
