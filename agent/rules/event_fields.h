// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "model/event.h"
#include "rules/fields.h"

namespace sousveil::rules {

// Rule fields of a live event. No allocation except for the list fields a
// rule actually asks for (ancestors), built once per event.
class EnrichedEventFields final : public EventFields {
 public:
  explicit EnrichedEventFields(const EnrichedEvent& event) : m_event(event) {}
  FieldValue get(FieldId id) const override;

 private:
  const EnrichedEvent& m_event;
  mutable std::optional<std::vector<std::string>> m_ancestor_names;
  mutable std::optional<std::vector<std::string>> m_ancestor_exes;
  mutable std::optional<std::vector<std::string>> m_flags;
  mutable std::optional<std::string> m_evidence;
  mutable std::string m_args;
  mutable bool m_args_built = false;
};

// Rule fields of an event in its JSON form (docs/events.md): replayed events
// (`sousveil rules test`) and rule examples. Kinds without a sensor yet are
// written this way too.
class JsonEventFields final : public EventFields {
 public:
  explicit JsonEventFields(const nlohmann::json& event);
  FieldValue get(FieldId id) const override;

 private:
  const nlohmann::json& m_event;
  mutable std::array<std::optional<std::vector<std::string>>, kFieldCount> m_lists;
  mutable std::array<std::optional<std::string>, kFieldCount> m_strings;
};

}  // namespace sousveil::rules
