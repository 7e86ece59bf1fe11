// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rules/fields.h"

namespace sousveil::rules {

// A compiled, immutable match expression. For list-valued fields a test holds
// when any element satisfies it (`ne`: when none equals the value). A field
// that is missing, empty text or an empty list is unknown and satisfies no
// test but `exists: false`.
class Condition {
 public:
  enum class Op : std::uint8_t {
    True, All, Any, Not,
    Eq, Ne, In, Glob, Prefix, Regex, Lt, Le, Gt, Ge, Exists, Absent,
  };

  static Condition always() { return Condition(Op::True); }
  static Condition all(std::vector<Condition> children);
  static Condition any(std::vector<Condition> children);
  static Condition negate(Condition child);
  static Condition compare(Op op, FieldId field, std::string text);
  static Condition compare(Op op, FieldId field, std::int64_t number);
  static Condition in(FieldId field, std::vector<std::string> values);
  static Condition in(FieldId field, std::vector<std::int64_t> values);
  static Condition regex(FieldId field, std::shared_ptr<const re2::RE2> re);
  static Condition exists(FieldId field, bool should_exist);

  bool eval(const EventFields& event) const;
  Op op() const { return m_op; }
  const std::vector<Condition>& children() const { return m_children; }

 private:
  explicit Condition(Op op) : m_op(op) {}
  bool test_string(std::string_view v) const;
  bool test_number(std::int64_t v) const;

  Op m_op;
  FieldId m_field = FieldId::Kind;
  bool m_numeric = false;
  std::int64_t m_number = 0;
  std::string m_text;
  std::vector<std::string> m_strings;   // sorted, for In
  std::vector<std::int64_t> m_numbers;  // sorted, for In
  std::shared_ptr<const re2::RE2> m_re;
  std::vector<Condition> m_children;
};

// fnmatch-style glob: * any run (including /), ? one character, [...] a class.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sousveil::rules
