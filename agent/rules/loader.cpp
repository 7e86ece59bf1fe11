// SPDX-License-Identifier: Apache-2.0
// Rule files: reader (YAML with positions) -> compiler (lists, macros,
// conditions, templates, overrides) -> an immutable Ruleset. Errors are
// collected, never thrown to the caller; one error does not hide the next.
#include "rules/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "rules/event_fields.h"

namespace sousveil::rules {
namespace {

// A file's text, kept for snippets.
struct SourceFile {
  std::string path;
  std::vector<std::string> lines;
};

// Thrown inside the compiler only; caught per item and turned into LoadError.
struct ItemError {
  SourcePos pos;
  std::string message;
};

SourcePos pos_of(const SourceFile& f, const YAML::Node& n) {
  auto m = n.Mark();
  if (m.line < 0) return {f.path, 0, 0};
  return {f.path, m.line + 1, m.column + 1};
}

std::string snippet_for(const std::map<std::string, SourceFile>& files, const SourcePos& pos) {
  auto it = files.find(pos.file);
  if (it == files.end() || pos.line <= 0 || pos.line > static_cast<int>(it->second.lines.size())) return "";
  const std::string& line = it->second.lines[static_cast<std::size_t>(pos.line - 1)];
  std::string num = std::to_string(pos.line);
  std::string out = " " + num + " | " + line + "\n";
  out += " " + std::string(num.size(), ' ') + " | " + std::string(static_cast<std::size_t>(std::max(0, pos.column - 1)), ' ') + "^";
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest_field(std::string_view name) {
  std::string_view best;
  std::size_t best_d = 4;
  for (const auto& f : all_fields()) {
    auto d = edit_distance(name, f.name);
    if (d < best_d) {
      best_d = d;
      best = f.name;
    }
  }
  return best.empty() ? "" : "; did you mean '" + std::string(best) + "'?";
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  int base = 10;
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  // One sign at most, before any 0x: from_chars would take a second one.
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return neg ? -v : v;
}

// YAML (an example event) to the JSON form of an event. Plain scalars that
// read as integers or booleans become numbers or booleans; quoted ones stay text.
nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : n) j[kv.first.as<std::string>()] = to_json(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : n) j.push_back(to_json(item));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = n.Scalar();
      if (n.Tag() != "!") {
        if (auto v = parse_int(s)) return *v;
        if (s == "true") return true;
        if (s == "false") return false;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

struct ListDef {
  std::vector<std::string> items;
  SourcePos pos;
};

struct MacroDef {
  YAML::Node condition;
  const SourceFile* file = nullptr;
  SourcePos pos;
  enum class State { Pending, Compiling, Done, Failed } state = State::Pending;
  std::optional<Condition> compiled;
};

// A use of a macro whose own error is already reported: not reported again.
struct MacroAlreadyFailed {};

struct RawItem {
  YAML::Node node;
  const SourceFile* file;
};

class Compiler {
 public:
  Compiler(std::map<std::string, ListDef>& lists, std::map<std::string, MacroDef>& macros)
      : m_lists(lists), m_macros(macros) {}

  Condition condition(const YAML::Node& n, const SourceFile& f) {
    if (!n.IsMap() || n.size() == 0)
      throw ItemError{pos_of(f, n), "a condition is a mapping: field: value, or all/any/not/macro"};
    std::vector<Condition> parts;
    for (const auto& kv : n) {
      auto key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "all" || key == "any") {
        if (!v.IsSequence() || v.size() == 0)
          throw ItemError{pos_of(f, v), "'" + key + "' takes a non-empty list of conditions"};
        std::vector<Condition> children;
        for (const auto& c : v) children.push_back(condition(c, f));
        parts.push_back(key == "all" ? Condition::all(std::move(children)) : Condition::any(std::move(children)));
      } else if (key == "not") {
        parts.push_back(Condition::negate(condition(v, f)));
      } else if (key == "macro") {
        parts.push_back(macro(v, f));
      } else {
        auto field = field_by_name(key);
        if (!field) throw ItemError{pos_of(f, kv.first), "unknown field '" + key + "'" + suggest_field(key)};
        parts.push_back(field_test(*field, v, f));
      }
    }
    return Condition::all(std::move(parts));
  }

 private:
  Condition macro(const YAML::Node& v, const SourceFile& f) {
    if (!v.IsScalar()) throw ItemError{pos_of(f, v), "'macro' takes a macro name"};
    auto name = v.Scalar();
    auto it = m_macros.find(name);
    if (it == m_macros.end()) throw ItemError{pos_of(f, v), "unknown macro '" + name + "'"};
    auto& m = it->second;
    if (m.state == MacroDef::State::Done) return *m.compiled;
    if (m.state == MacroDef::State::Failed) throw MacroAlreadyFailed{};
    if (m.state == MacroDef::State::Compiling)
      throw ItemError{pos_of(f, v), "macro '" + name + "' refers to itself"};
    m.state = MacroDef::State::Compiling;
    try {
      m.compiled = condition(m.condition, *m.file);
    } catch (...) {
      m.state = MacroDef::State::Failed;
      throw;
    }
    m.state = MacroDef::State::Done;
    return *m.compiled;
  }

  std::string scalar(const YAML::Node& v, const SourceFile& f, std::string_view what) {
    if (!v.IsScalar()) throw ItemError{pos_of(f, v), std::string(what) + " takes a single value"};
    return v.Scalar();
  }

  std::int64_t number(const YAML::Node& v, const SourceFile& f, const FieldInfo& field) {
    auto s = scalar(v, f, field.name);
    auto n = parse_int(s);
    if (!n) throw ItemError{pos_of(f, v), std::string(field.name) + " is a number; '" + s + "' is not"};
    return *n;
  }

  std::vector<std::string> list_values(const YAML::Node& v, const SourceFile& f) {
    if (v.IsScalar()) {
      auto it = m_lists.find(v.Scalar());
      if (it == m_lists.end()) throw ItemError{pos_of(f, v), "unknown list '" + v.Scalar() + "'"};
      return it->second.items;
    }
    if (!v.IsSequence()) throw ItemError{pos_of(f, v), "'in' takes a list of values or the name of a list"};
    std::vector<std::string> out;
    for (const auto& item : v) {
      if (!item.IsScalar()) throw ItemError{pos_of(f, item), "list items are single values"};
      // A bare name inside a list may be another list, as in Falco.
      auto it = item.Tag() != "!" ? m_lists.find(item.Scalar()) : m_lists.end();
      if (it != m_lists.end())
        out.insert(out.end(), it->second.items.begin(), it->second.items.end());
      else
        out.push_back(item.Scalar());
    }
    return out;
  }

  Condition field_test(FieldId id, const YAML::Node& v, const SourceFile& f) {
    const auto& info = field_info(id);
    bool numeric = info.type == FieldType::Number;
    if (v.IsScalar()) return numeric ? Condition::compare(Condition::Op::Eq, id, number(v, f, info))
                                     : Condition::compare(Condition::Op::Eq, id, v.Scalar());
    if (v.IsSequence()) return in_test(id, v, f);
    if (!v.IsMap() || v.size() == 0)
      throw ItemError{pos_of(f, v), "a field takes a value, a list of values, or operators"};
    std::vector<Condition> parts;
    using Op = Condition::Op;
    for (const auto& kv : v) {
      auto op = kv.first.as<std::string>();
      const YAML::Node& arg = kv.second;
      auto need_text = [&] {
        if (numeric) throw ItemError{pos_of(f, kv.first), "'" + op + "' works on text; " + std::string(info.name) + " is a number"};
      };
      auto need_number = [&] {
        if (!numeric) throw ItemError{pos_of(f, kv.first), "'" + op + "' compares numbers; " + std::string(info.name) + " is text"};
      };
      if (op == "eq" || op == "ne") {
        auto o = op == "eq" ? Op::Eq : Op::Ne;
        parts.push_back(numeric ? Condition::compare(o, id, number(arg, f, info)) : Condition::compare(o, id, scalar(arg, f, op)));
      } else if (op == "in") {
        parts.push_back(in_test(id, arg, f));
      } else if (op == "glob") {
        need_text();
        parts.push_back(Condition::compare(Op::Glob, id, scalar(arg, f, op)));
      } else if (op == "prefix") {
        need_text();
        parts.push_back(Condition::compare(Op::Prefix, id, scalar(arg, f, op)));
      } else if (op == "regex") {
        need_text();
        auto re = std::make_shared<re2::RE2>(scalar(arg, f, op), re2::RE2::Quiet);
        if (!re->ok()) throw ItemError{pos_of(f, arg), "bad regex: " + re->error()};
        parts.push_back(Condition::regex(id, std::move(re)));
      } else if (op == "lt" || op == "le" || op == "gt" || op == "ge") {
        need_number();
        auto o = op == "lt" ? Op::Lt : op == "le" ? Op::Le : op == "gt" ? Op::Gt : Op::Ge;
        parts.push_back(Condition::compare(o, id, number(arg, f, info)));
      } else if (op == "exists") {
        auto s = scalar(arg, f, op);
        if (s != "true" && s != "false") throw ItemError{pos_of(f, arg), "'exists' takes true or false"};
        parts.push_back(Condition::exists(id, s == "true"));
      } else {
        throw ItemError{pos_of(f, kv.first), "unknown operator '" + op +
                                                 "'; expected eq, ne, in, glob, prefix, regex, lt, le, gt, ge or exists"};
      }
    }
    return Condition::all(std::move(parts));
  }

  Condition in_test(FieldId id, const YAML::Node& v, const SourceFile& f) {
    auto values = list_values(v, f);
    const auto& info = field_info(id);
    if (info.type != FieldType::Number) return Condition::in(id, std::move(values));
    std::vector<std::int64_t> nums;
    for (const auto& s : values) {
      auto n = parse_int(s);
      if (!n) throw ItemError{pos_of(f, v), std::string(info.name) + " is a number; '" + s + "' is not"};
      nums.push_back(*n);
    }
    return Condition::in(id, std::move(nums));
  }

  std::map<std::string, ListDef>& m_lists;
  std::map<std::string, MacroDef>& m_macros;
};

const std::set<std::string> kRuleKeys = {"rule", "title", "kinds", "match", "exceptions", "severity",
                                         "category", "mitre", "explain", "enabled", "confirm_after",
                                         "quiet_after", "examples"};
const std::set<std::string> kListKeys = {"list", "items", "append"};
const std::set<std::string> kMacroKeys = {"macro", "condition"};
const std::set<std::string> kOverrideKeys = {"override", "enabled", "reason", "exceptions"};
const std::set<std::string> kExceptionKeys = {"name", "reason", "match"};

void check_keys(const YAML::Node& n, const SourceFile& f, const std::set<std::string>& allowed, std::string_view what) {
  for (const auto& kv : n) {
    auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ItemError{pos_of(f, kv.first), "unknown key '" + k + "' in " + std::string(what) + "; expected " + list};
    }
  }
}

const YAML::Node require(const YAML::Node& item, const SourceFile& f, const char* key, std::string_view what) {
  if (!item[key]) throw ItemError{pos_of(f, item), std::string(what) + " has no '" + key + "'"};
  return item[key];
}

std::chrono::milliseconds seconds_value(const YAML::Node& v, const SourceFile& f, const char* key) {
  if (!v.IsScalar()) throw ItemError{pos_of(f, v), std::string(key) + " takes a number of seconds"};
  double secs = 0;
  const auto& s = v.Scalar();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  constexpr double kMaxSeconds = 366.0 * 24 * 3600;
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(secs) || secs < 0 || secs > kMaxSeconds)
    throw ItemError{pos_of(f, v), std::string(key) + " takes a number of seconds up to a year, not '" + s + "'"};
  return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
}

bool bool_value(const YAML::Node& v, const SourceFile& f, const char* key) {
  if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false"))
    throw ItemError{pos_of(f, v), std::string(key) + " takes true or false"};
  return v.Scalar() == "true";
}

// Text a person reads (reasons): not null, not empty. Reported at `where`.
std::string reason_text(const YAML::Node& v, const SourceFile& f, const YAML::Node& where, const std::string& message) {
  if (!v || v.IsNull() || !v.IsScalar() || v.Scalar().empty()) throw ItemError{pos_of(f, where), message};
  return v.Scalar();
}

std::vector<RuleException> exceptions_of(const YAML::Node& v, const SourceFile& f, Compiler& c) {
  if (!v.IsSequence()) throw ItemError{pos_of(f, v), "'exceptions' takes a list of {name, reason, match}"};
  std::vector<RuleException> out;
  for (const auto& e : v) {
    if (!e.IsMap()) throw ItemError{pos_of(f, e), "an exception is a mapping with name, reason and match"};
    check_keys(e, f, kExceptionKeys, "exception");
    RuleException ex;
    ex.name = require(e, f, "name", "an exception").as<std::string>();
    ex.reason = reason_text(require(e, f, "reason", "exception '" + ex.name + "'"), f, e,
                            "exception '" + ex.name + "' needs a reason a person can read");
    ex.match = c.condition(require(e, f, "match", "exception '" + ex.name + "'"), f);
    ex.pos = pos_of(f, e);
    out.push_back(std::move(ex));
  }
  return out;
}

std::vector<RuleExample> examples_of(const YAML::Node& v, const SourceFile& f, const Rule& rule) {
  std::vector<RuleExample> out;
  if (!v) return out;
  if (!v.IsSequence()) throw ItemError{pos_of(f, v), "examples take a list of events"};
  for (const auto& e : v) {
    if (!e.IsMap()) throw ItemError{pos_of(f, e), "an example is an event: a mapping in the JSON layout of `sousveil events`"};
    RuleExample ex{to_json(e), pos_of(f, e)};
    if (!ex.event.contains("kind") || !ex.event["kind"].is_string())
      throw ItemError{pos_of(f, e), "an example needs a kind, written as text"};
    auto kind = ex.event["kind"].get<std::string>();
    if (std::find(rule.kinds.begin(), rule.kinds.end(), kind) == rule.kinds.end())
      throw ItemError{pos_of(f, e), "example's kind '" + kind + "' is not one of the rule's kinds"};
    out.push_back(std::move(ex));
  }
  return out;
}

bool valid_id(const std::string& id) {
  if (id.empty() || !(std::islower(static_cast<unsigned char>(id[0])) || std::isdigit(static_cast<unsigned char>(id[0]))))
    return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) ||
           ch == '.' || ch == '-' || ch == '_';
  });
}

Rule compile_rule(const YAML::Node& item, const SourceFile& f, Compiler& c) {
  check_keys(item, f, kRuleKeys, "rule");
  Rule r;
  r.pos = pos_of(f, item);
  r.id = item["rule"].as<std::string>();
  if (!valid_id(r.id))
    throw ItemError{pos_of(f, item["rule"]), "rule id '" + r.id + "' must be lower case letters, digits, '.', '-' or '_'"};
  std::string what = "rule '" + r.id + "'";
  r.title = require(item, f, "title", what).as<std::string>();
  const auto kinds = require(item, f, "kinds", what);
  if (kinds.IsScalar()) r.kinds.push_back(kinds.Scalar());
  else if (kinds.IsSequence()) for (const auto& k : kinds) r.kinds.push_back(k.as<std::string>());
  if (r.kinds.empty()) throw ItemError{pos_of(f, kinds), what + " needs at least one event kind"};
  for (std::size_t i = 0; i < r.kinds.size(); ++i) {
    if (std::find(r.kinds.begin(), r.kinds.begin() + static_cast<std::ptrdiff_t>(i), r.kinds[i]) != r.kinds.begin() + static_cast<std::ptrdiff_t>(i))
      throw ItemError{pos_of(f, kinds.IsSequence() ? kinds[i] : kinds), "event kind '" + r.kinds[i] + "' is listed twice"};
    if (!is_event_kind(r.kinds[i])) {
      std::string valid;
      for (auto k : all_event_kinds()) valid += (valid.empty() ? "" : ", ") + std::string(k);
      throw ItemError{pos_of(f, kinds.IsSequence() ? kinds[i] : kinds), "unknown event kind '" + r.kinds[i] + "'; expected one of " + valid};
    }
  }
  r.match = c.condition(require(item, f, "match", what), f);
  if (item["exceptions"]) r.exceptions = exceptions_of(item["exceptions"], f, c);
  const auto sev = require(item, f, "severity", what);
  auto severity = severity_from_string(sev.as<std::string>());
  if (!severity) throw ItemError{pos_of(f, sev), "unknown severity '" + sev.as<std::string>() + "'; expected " + valid_severities()};
  r.severity = *severity;
  const auto cat = require(item, f, "category", what);
  auto category = category_from_string(cat.as<std::string>());
  if (!category) throw ItemError{pos_of(f, cat), "unknown category '" + cat.as<std::string>() + "'; expected " + valid_categories()};
  r.category = *category;
  if (item["mitre"]) {
    r.mitre = item["mitre"].as<std::string>();
    static const re2::RE2 kMitre(R"(T\d{4}(\.\d{3})?)");
    if (!re2::RE2::FullMatch(r.mitre, kMitre))
      throw ItemError{pos_of(f, item["mitre"]), "MITRE ATT&CK ids look like T1056.001, not '" + r.mitre + "'"};
  }
  const auto explain = require(item, f, "explain", what);
  auto tpl = Template::parse(explain.as<std::string>());
  if (!tpl) throw ItemError{pos_of(f, explain), tpl.error().message};
  r.explain = std::move(tpl).value();
  if (item["enabled"]) r.enabled = bool_value(item["enabled"], f, "enabled");
  if (item["confirm_after"]) r.confirm_after = seconds_value(item["confirm_after"], f, "confirm_after");
  if (item["quiet_after"]) r.quiet_after = seconds_value(item["quiet_after"], f, "quiet_after");
  if (const auto ex = item["examples"]) {
    if (!ex.IsMap()) throw ItemError{pos_of(f, ex), "examples take 'match' and 'no_match' lists"};
    check_keys(ex, f, {"match", "no_match"}, "examples");
    r.examples_match = examples_of(ex["match"], f, r);
    r.examples_no_match = examples_of(ex["no_match"], f, r);
  }
  return r;
}

std::vector<std::filesystem::path> expand(const std::filesystem::path& p, std::vector<LoadError>& errors) {
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  if (std::filesystem::is_regular_file(p, ec)) return {p};
  errors.push_back({{p.string(), 0, 0}, "no such rule file or directory", ""});
  return {};
}

}  // namespace

std::string LoadError::headline() const {
  std::string out = pos.file;
  if (pos.line > 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  return out + ": " + message;
}

std::string LoadError::format() const {
  return snippet.empty() ? headline() : headline() + "\n" + snippet;
}

std::string LoadResult::format_errors() const {
  std::string out;
  for (const auto& e : errors) out += e.format() + "\n";
  return out;
}

LoadResult load_rules(const std::vector<std::filesystem::path>& sources) {
  LoadResult result;
  std::map<std::string, SourceFile> files;
  std::vector<RawItem> items;
  std::vector<std::string> source_names;
  std::vector<YAML::Node> docs;

  auto fail = [&](SourcePos pos, std::string message) {
    auto snip = snippet_for(files, pos);
    result.errors.push_back({std::move(pos), std::move(message), std::move(snip)});
  };

  // Read every file.
  for (const auto& src : sources) {
    for (const auto& path : expand(src, result.errors)) {
      std::ifstream in(path);
      if (!in) {
        fail({path.string(), 0, 0}, "cannot read the file");
        continue;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      SourceFile sf{path.string(), {}};
      std::istringstream lines(text);
      for (std::string l; std::getline(lines, l);) sf.lines.push_back(l);
      auto& file = files[sf.path] = std::move(sf);
      source_names.push_back(file.path);
      YAML::Node doc;
      try {
        doc = YAML::Load(text);
      } catch (const YAML::ParserException& e) {
        fail({file.path, e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
        continue;
      }
      if (doc.IsNull()) continue;  // an empty file is allowed
      if (!doc.IsSequence()) {
        fail(pos_of(file, doc), "a rule file is a list of items (- rule:, - list:, - macro:, - override:)");
        continue;
      }
      docs.push_back(doc);
      for (const auto& item : doc) items.push_back({item, &file});
    }
  }

  // Lists and macros first: rules anywhere may use them.
  std::map<std::string, ListDef> lists;
  std::map<std::string, MacroDef> macros;
  for (const auto& [item, file] : items) {
    try {
      if (!item.IsMap()) throw ItemError{pos_of(*file, item), "each item is a mapping (- rule:, - list:, - macro:, - override:)"};
      if (item["list"]) {
        check_keys(item, *file, kListKeys, "list");
        auto name = item["list"].as<std::string>();
        const auto values = require(item, *file, "items", "list '" + name + "'");
        if (!values.IsSequence()) throw ItemError{pos_of(*file, values), "'items' takes a list of values"};
        bool append = item["append"] && bool_value(item["append"], *file, "append");
        auto it = lists.find(name);
        if (append && it == lists.end())
          throw ItemError{pos_of(*file, item), "list '" + name + "' has append: true but no list of that name was defined before"};
        if (!append && it != lists.end())
          throw ItemError{pos_of(*file, item), "list '" + name + "' is already defined at " + it->second.pos.file + ":" +
                                                   std::to_string(it->second.pos.line) + "; use append: true to extend it"};
        auto& def = lists[name];
        if (!append) def.pos = pos_of(*file, item);
        for (const auto& v : values) {
          if (!v.IsScalar()) throw ItemError{pos_of(*file, v), "list items are single values"};
          def.items.push_back(v.Scalar());
        }
      } else if (item["macro"]) {
        check_keys(item, *file, kMacroKeys, "macro");
        auto name = item["macro"].as<std::string>();
        if (macros.count(name))
          throw ItemError{pos_of(*file, item), "macro '" + name + "' is already defined at " + macros[name].pos.file + ":" +
                                                   std::to_string(macros[name].pos.line)};
        macros[name] = MacroDef{require(item, *file, "condition", "macro '" + name + "'"), file, pos_of(*file, item)};
      }
    } catch (const ItemError& e) {
      fail(e.pos, e.message);
    } catch (const MacroAlreadyFailed&) {
      // reported where the macro is defined
    } catch (const YAML::Exception& e) {
      fail({file->path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
  }

  // Rules, then overrides (which may come from later, local files).
  Compiler compiler(lists, macros);
  std::vector<Rule> rules;
  std::map<std::string, std::size_t> by_id;
  for (const auto& [item, file] : items) {
    if (!item.IsMap() || !item["rule"]) continue;
    try {
      auto r = compile_rule(item, *file, compiler);
      if (auto it = by_id.find(r.id); it != by_id.end()) {
        const auto& first = rules[it->second].pos;
        throw ItemError{pos_of(*file, item["rule"]), "duplicate rule id '" + r.id + "' (first defined at " + first.file +
                                                         ":" + std::to_string(first.line) + ")"};
      }
      by_id[r.id] = rules.size();
      rules.push_back(std::move(r));
    } catch (const ItemError& e) {
      fail(e.pos, e.message);
    } catch (const MacroAlreadyFailed&) {
      // reported where the macro is defined
    } catch (const YAML::Exception& e) {
      fail({file->path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
  }
  for (const auto& [item, file] : items) {
    if (!item.IsMap()) continue;
    try {
      if (item["override"]) {
        check_keys(item, *file, kOverrideKeys, "override");
        auto id = item["override"].as<std::string>();
        auto it = by_id.find(id);
        if (it == by_id.end()) throw ItemError{pos_of(*file, item["override"]), "override of unknown rule '" + id + "'"};
        Rule& r = rules[it->second];
        if (item["enabled"]) {
          r.enabled = bool_value(item["enabled"], *file, "enabled");
          if (!r.enabled) {
            r.disabled_reason = reason_text(item["reason"], *file, item, "disabling rule '" + id + "' needs a reason") +
                                " [" + file->path + "]";
          }
        }
        if (item["exceptions"]) {
          auto more = exceptions_of(item["exceptions"], *file, compiler);
          r.exceptions.insert(r.exceptions.end(), more.begin(), more.end());
        }
        if (!item["enabled"] && !item["exceptions"])
          throw ItemError{pos_of(*file, item), "override of '" + id + "' changes nothing; give enabled or exceptions"};
      } else if (!item["rule"] && !item["list"] && !item["macro"]) {
        throw ItemError{pos_of(*file, item), "unknown item; expected one of rule, list, macro, override"};
      }
    } catch (const ItemError& e) {
      fail(e.pos, e.message);
    } catch (const MacroAlreadyFailed&) {
      // reported where the macro is defined
    } catch (const YAML::Exception& e) {
      fail({file->path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
  }
  // A macro nobody uses is still checked.
  for (auto& [name, m] : macros) {
    if (m.state != MacroDef::State::Pending) continue;
    try {
      compiler.condition(m.condition, *m.file);
    } catch (const ItemError& e) {
      fail(e.pos, e.message);
    } catch (const MacroAlreadyFailed&) {
    } catch (const YAML::Exception& e) {
      fail({m.file->path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
  }

  if (result.errors.empty()) result.ruleset = std::make_shared<const Ruleset>(std::move(rules), std::move(source_names));
  return result;
}

std::vector<LoadError> check_examples(const Ruleset& ruleset) {
  std::vector<LoadError> errors;
  for (const auto& r : ruleset.rules()) {
    if (r.examples_match.empty() || r.examples_no_match.empty())
      errors.push_back({r.pos, "rule '" + r.id + "' needs at least one example under examples.match and one under "
                               "examples.no_match: a rule cannot ship untested", ""});
    for (const auto& ex : r.examples_match) {
      JsonEventFields fields(ex.event);
      const RuleException* stopped = nullptr;
      if (!ruleset.fires(r, fields, &stopped))
        errors.push_back({ex.pos, "example should fire rule '" + r.id + "' but " +
                                      (stopped ? "exception '" + stopped->name + "' covers it" : "the match does not hold"),
                          ""});
    }
    for (const auto& ex : r.examples_no_match) {
      JsonEventFields fields(ex.event);
      if (ruleset.fires(r, fields))
        errors.push_back({ex.pos, "example should not fire rule '" + r.id + "' but it does", ""});
    }
  }
  return errors;
}

}  // namespace sousveil::rules
