// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "rules/fields.h"

namespace sousveil::rules {

// An explanation with {field.name} placeholders, checked at load time.
// "{{" and "}}" stand for literal braces.
class Template {
 public:
  Template() = default;
  // Fails naming the first unknown field or unbalanced brace, with its offset.
  static Result<Template> parse(std::string_view text);
  std::string render(const EventFields& event) const;
  const std::string& source() const { return m_source; }

 private:
  std::vector<std::variant<std::string, FieldId>> m_parts;
  std::string m_source;
};

}  // namespace sousveil::rules
