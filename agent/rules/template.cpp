// SPDX-License-Identifier: Apache-2.0
#include "rules/template.h"

namespace sousveil::rules {

Result<Template> Template::parse(std::string_view text) {
  Template t;
  t.m_source = std::string(text);
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      auto close = text.find('}', i);
      if (close == std::string_view::npos)
        return make_error("unclosed '{' at offset " + std::to_string(i) + " of the explanation");
      auto name = text.substr(i + 1, close - i - 1);
      auto field = field_by_name(name);
      if (!field) return make_error("unknown field '" + std::string(name) + "' in the explanation");
      if (!literal.empty()) t.m_parts.emplace_back(std::move(literal));
      literal.clear();
      t.m_parts.emplace_back(*field);
      i = close;
    } else if (c == '}') {
      return make_error("unmatched '}' at offset " + std::to_string(i) + " of the explanation");
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) t.m_parts.emplace_back(std::move(literal));
  return t;
}

std::string Template::render(const EventFields& event) const {
  std::string out;
  for (const auto& part : m_parts) {
    if (const auto* s = std::get_if<std::string>(&part))
      out += *s;
    else
      out += event.get(std::get<FieldId>(part)).to_text();
  }
  return out;
}

}  // namespace sousveil::rules
