// SPDX-License-Identifier: Apache-2.0
#include "rules/condition.h"

#include <fnmatch.h>

#include <algorithm>

namespace sousveil::rules {

Condition Condition::all(std::vector<Condition> children) {
  if (children.size() == 1) return std::move(children.front());
  Condition c(Op::All);
  c.m_children = std::move(children);
  return c;
}

Condition Condition::any(std::vector<Condition> children) {
  if (children.size() == 1) return std::move(children.front());
  Condition c(Op::Any);
  c.m_children = std::move(children);
  return c;
}

Condition Condition::negate(Condition child) {
  Condition c(Op::Not);
  c.m_children.push_back(std::move(child));
  return c;
}

Condition Condition::compare(Op op, FieldId field, std::string text) {
  Condition c(op);
  c.m_field = field;
  c.m_text = std::move(text);
  return c;
}

Condition Condition::compare(Op op, FieldId field, std::int64_t number) {
  Condition c(op);
  c.m_field = field;
  c.m_numeric = true;
  c.m_number = number;
  return c;
}

Condition Condition::in(FieldId field, std::vector<std::string> values) {
  Condition c(Op::In);
  c.m_field = field;
  std::sort(values.begin(), values.end());
  c.m_strings = std::move(values);
  return c;
}

Condition Condition::in(FieldId field, std::vector<std::int64_t> values) {
  Condition c(Op::In);
  c.m_field = field;
  c.m_numeric = true;
  std::sort(values.begin(), values.end());
  c.m_numbers = std::move(values);
  return c;
}

Condition Condition::regex(FieldId field, std::shared_ptr<const re2::RE2> re) {
  Condition c(Op::Regex);
  c.m_field = field;
  c.m_re = std::move(re);
  return c;
}

Condition Condition::exists(FieldId field, bool should_exist) {
  Condition c(should_exist ? Op::Exists : Op::Absent);
  c.m_field = field;
  return c;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // fnmatch needs NUL-terminated strings; patterns and values are short.
  std::string p(pattern), t(text);
  return fnmatch(p.c_str(), t.c_str(), 0) == 0;
}

bool Condition::test_string(std::string_view v) const {
  switch (m_op) {
    case Op::Eq: return v == m_text;
    case Op::Ne: return v != m_text;
    case Op::In: return std::binary_search(m_strings.begin(), m_strings.end(), v,
                                           [](std::string_view a, std::string_view b) { return a < b; });
    case Op::Glob: return glob_match(m_text, v);
    case Op::Prefix: return v.substr(0, m_text.size()) == m_text;
    case Op::Regex: return re2::RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *m_re);
    default: return false;
  }
}

bool Condition::test_number(std::int64_t v) const {
  switch (m_op) {
    case Op::Eq: return v == m_number;
    case Op::Ne: return v != m_number;
    case Op::In: return std::binary_search(m_numbers.begin(), m_numbers.end(), v);
    case Op::Lt: return v < m_number;
    case Op::Le: return v <= m_number;
    case Op::Gt: return v > m_number;
    case Op::Ge: return v >= m_number;
    default: return false;
  }
}

bool Condition::eval(const EventFields& event) const {
  switch (m_op) {
    case Op::True: return true;
    case Op::All:
      for (const auto& c : m_children)
        if (!c.eval(event)) return false;
      return true;
    case Op::Any:
      for (const auto& c : m_children)
        if (c.eval(event)) return true;
      return false;
    case Op::Not: return !m_children.front().eval(event);
    default: break;
  }
  FieldValue v = event.get(m_field);
  bool present = v.type == FieldValue::Type::Number ||
                 (v.type == FieldValue::Type::String && !v.string.empty()) ||
                 (v.type == FieldValue::Type::List && !v.list->empty());
  if (m_op == Op::Exists) return present;
  if (m_op == Op::Absent) return !present;
  // Unknown (missing, empty text, empty list) satisfies no test, `ne` included:
  // "not X" is only claimed about a value that is known.
  if (!present) return false;
  switch (v.type) {
    case FieldValue::Type::Missing: return false;
    case FieldValue::Type::Number: return m_numeric && test_number(v.number);
    case FieldValue::Type::String: return !m_numeric && test_string(v.string);
    case FieldValue::Type::List:
      if (m_op == Op::Ne)  // no element equals the value
        return std::none_of(v.list->begin(), v.list->end(), [&](const std::string& s) { return s == m_text; });
      return std::any_of(v.list->begin(), v.list->end(), [&](const std::string& s) { return test_string(s); });
  }
  return false;
}

}  // namespace sousveil::rules
