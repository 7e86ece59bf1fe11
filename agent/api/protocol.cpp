// SPDX-License-Identifier: Apache-2.0
#include "api/protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace sousveil::api {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<ErrorCode, std::string_view>, 8> kErrorNames{{
    {ErrorCode::BadJson, "bad_json"},
    {ErrorCode::BadRequest, "bad_request"},
    {ErrorCode::UnknownMethod, "unknown_method"},
    {ErrorCode::UnsupportedVersion, "unsupported_version"},
    {ErrorCode::Forbidden, "forbidden"},
    {ErrorCode::TooLarge, "too_large"},
    {ErrorCode::Unavailable, "unavailable"},
    {ErrorCode::Internal, "internal"},
}};

constexpr std::array<std::pair<Method, std::string_view>, 6> kMethodNames{{
    {Method::Hello, "hello"},
    {Method::Status, "status"},
    {Method::Watchers, "watchers"},
    {Method::History, "history"},
    {Method::Subscribe, "subscribe"},
    {Method::Reload, "reload"},
}};

std::string type_name(const json& j) {
  if (j.is_number_integer() || j.is_number_unsigned()) return "an integer";
  if (j.is_number_float()) return "a fraction";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  if (j.is_array()) return "an array";
  return "an object";
}

// A value quoted for an error message, cut short so a huge value does not make a huge reply.
std::string quoted(const json& j) {
  std::string s = dump_compact(j);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

RequestError bad(const json& id, std::string message) {
  return RequestError{id, ErrorCode::BadRequest, std::move(message)};
}

// Unknown params are refused: a typo must not silently widen a query.
std::optional<RequestError> check_known_params(const Request& r, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : r.params.items()) {
    (void)value;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string names;
      for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return bad(r.id, fmt::format("unknown field params.{} for method {} (known: {})", key, to_string(r.method),
                                   names.empty() ? "none" : names));
    }
  }
  return std::nullopt;
}

std::variant<std::int64_t, RequestError> parse_time(const Request& r, std::string_view field, const json& v) {
  if (v.is_string()) {
    auto ns = parse_rfc3339(v.get<std::string>());
    if (!ns)
      return bad(r.id, fmt::format("params.{} must be RFC 3339 UTC like \"2026-11-29T10:00:00Z\" or unix seconds, "
                                   "got {}",
                                   field, quoted(v)));
    return *ns;
  }
  if (v.is_number()) {
    double s = v.get<double>();
    if (!std::isfinite(s) || s < 0 || s > 4.0e9)
      return bad(r.id, fmt::format("params.{} is out of range: {}", field, quoted(v)));
    if (v.is_number_integer() || v.is_number_unsigned()) return v.get<std::int64_t>() * 1'000'000'000;
    return static_cast<std::int64_t>(std::llround(s * 1e9));
  }
  return bad(r.id, fmt::format("params.{} must be an RFC 3339 string or unix seconds, got {}", field, type_name(v)));
}

std::variant<std::string, RequestError> parse_string(const Request& r, std::string_view field, const json& v) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    return bad(r.id, fmt::format("params.{} must be a non-empty string, got {}", field,
                                 v.is_string() ? "an empty string" : type_name(v)));
  return v.get<std::string>();
}

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& [c, name] : kErrorNames)
    if (c == code) return name;
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view s) {
  for (const auto& [c, name] : kErrorNames)
    if (name == s) return c;
  return std::nullopt;
}

std::string_view to_string(Method m) {
  for (const auto& [c, name] : kMethodNames)
    if (c == m) return name;
  return "?";
}

std::optional<Method> method_from_string(std::string_view s) {
  for (const auto& [c, name] : kMethodNames)
    if (name == s) return c;
  return std::nullopt;
}

const std::vector<std::string>& all_topics() {
  static const std::vector<std::string> kAll{std::string(kTopicWatcher), std::string(kTopicFinding),
                                             std::string(kTopicStatus), std::string(kTopicSensor),
                                             std::string(kTopicLost)};
  return kAll;
}

ParsedRequest parse_request(std::string_view line) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." -> from "parse error".
    std::string what = e.what();
    auto at = what.find("parse error");
    return RequestError{nullptr, ErrorCode::BadJson,
                        "the line is not valid JSON: " + (at == std::string::npos ? what : what.substr(at))};
  }
  if (!j.is_object())
    return bad(nullptr, fmt::format("a request must be a JSON object, got {}", type_name(j)));

  json id = nullptr;
  auto id_it = j.find("id");
  if (id_it == j.end()) return bad(nullptr, "missing field \"id\" (a number or string the reply echoes)");
  if (!id_it->is_number() && !id_it->is_string())
    return bad(nullptr, fmt::format("field \"id\" must be a number or a string, got {}", type_name(*id_it)));
  id = *id_it;

  auto v = j.find("v");
  if (v == j.end()) return bad(id, fmt::format("missing field \"v\" (the protocol version, {})", kProtocolVersion));
  if (!v->is_number_integer() && !v->is_number_unsigned())
    return bad(id, fmt::format("field \"v\" must be an integer (the protocol version, {}), got {}", kProtocolVersion,
                               type_name(*v)));
  if (v->get<std::int64_t>() != kProtocolVersion)
    return RequestError{id, ErrorCode::UnsupportedVersion,
                        fmt::format("protocol version {} is not supported; this agent speaks version {}",
                                    v->get<std::int64_t>(), kProtocolVersion)};

  auto m = j.find("method");
  if (m == j.end()) return bad(id, "missing field \"method\"");
  if (!m->is_string()) return bad(id, fmt::format("field \"method\" must be a string, got {}", type_name(*m)));
  auto method = method_from_string(m->get_ref<const std::string&>());
  if (!method) {
    std::string known;
    for (const auto& [c, name] : kMethodNames) known += (known.empty() ? "" : ", ") + std::string(name);
    return RequestError{id, ErrorCode::UnknownMethod,
                        fmt::format("unknown method {} (known: {})", quoted(*m), known)};
  }

  Request r;
  r.id = id;
  r.method = *method;
  if (auto p = j.find("params"); p != j.end() && !p->is_null()) {
    if (!p->is_object()) return bad(id, fmt::format("field \"params\" must be an object, got {}", type_name(*p)));
    r.params = *p;
  }
  return r;
}

std::variant<WatcherFilter, RequestError> parse_watchers_params(const Request& r) {
  if (auto e = check_known_params(r, {"state"})) return *e;
  auto s = r.params.find("state");
  if (s == r.params.end()) return WatcherFilter::All;
  if (s->is_string()) {
    const auto& v = s->get_ref<const std::string&>();
    if (v == "all") return WatcherFilter::All;
    if (v == "active") return WatcherFilter::Active;
    if (v == "ended") return WatcherFilter::Ended;
  }
  return bad(r.id, fmt::format("params.state must be \"active\", \"ended\" or \"all\", got {}", quoted(*s)));
}

std::variant<HistoryQuery, RequestError> parse_history_params(const Request& r) {
  if (auto e = check_known_params(r, {"since", "until", "category", "rule", "pid", "exe", "kind", "limit"})) return *e;
  HistoryQuery q;
  for (const auto& [key, v] : r.params.items()) {
    if (key == "since" || key == "until") {
      auto t = parse_time(r, key, v);
      if (auto* e = std::get_if<RequestError>(&t)) return *e;
      (key == "since" ? q.since_ns : q.until_ns) = std::get<std::int64_t>(t);
    } else if (key == "pid") {
      if (!(v.is_number_integer() || v.is_number_unsigned()) || v.get<std::int64_t>() <= 0 ||
          v.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max())
        return bad(r.id, fmt::format("params.pid must be a positive integer, got {}", quoted(v)));
      q.pid = v.get<std::uint32_t>();
    } else if (key == "limit") {
      if (!(v.is_number_integer() || v.is_number_unsigned()) || v.get<std::int64_t>() < 1 ||
          v.get<std::int64_t>() > static_cast<std::int64_t>(kHistoryMaxLimit))
        return bad(r.id, fmt::format("params.limit must be an integer from 1 to {}, got {}", kHistoryMaxLimit,
                                     quoted(v)));
      q.limit = v.get<std::size_t>();
    } else {
      auto s = parse_string(r, key, v);
      if (auto* e = std::get_if<RequestError>(&s)) return *e;
      auto& slot = key == "category" ? q.category : key == "rule" ? q.rule : key == "exe" ? q.exe : q.kind;
      slot = std::get<std::string>(std::move(s));
    }
  }
  if (q.since_ns && q.until_ns && *q.since_ns > *q.until_ns)
    return bad(r.id, "params.since is after params.until");
  return q;
}

std::variant<std::vector<std::string>, RequestError> parse_subscribe_params(const Request& r) {
  if (auto e = check_known_params(r, {"topics"})) return *e;
  auto t = r.params.find("topics");
  if (t == r.params.end()) return all_topics();
  if (!t->is_array()) return bad(r.id, fmt::format("params.topics must be an array of strings, got {}", type_name(*t)));
  if (t->empty()) return bad(r.id, "params.topics is empty (leave it out to subscribe to every topic)");
  std::vector<std::string> topics;
  for (std::size_t i = 0; i < t->size(); ++i) {
    const auto& v = (*t)[i];
    const auto& all = all_topics();
    if (!v.is_string() || std::find(all.begin(), all.end(), v.get_ref<const std::string&>()) == all.end())
      return bad(r.id, fmt::format("params.topics[{}] must be one of watcher, finding, status, sensor, lost; got {}", i,
                                   quoted(v)));
    if (std::find(topics.begin(), topics.end(), v.get<std::string>()) == topics.end())
      topics.push_back(v.get<std::string>());
  }
  return topics;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       sec = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23 || *mi > 59 || *sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    std::int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t days = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
  std::int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + *sec - offset_s;
  return secs * 1'000'000'000 + frac_ns;
}

std::string dump_compact(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string success_line(const json& id, const json& result) {
  json j = {{"v", kProtocolVersion}, {"id", id}, {"ok", true}, {"result", result}};
  return dump_compact(j) + '\n';
}

std::string error_line(const json& id, ErrorCode code, std::string_view message) {
  json j = {{"v", kProtocolVersion},
            {"id", id},
            {"ok", false},
            {"error", {{"code", to_string(code)}, {"message", message}}}};
  return dump_compact(j) + '\n';
}

std::string push_line(std::string_view topic, const json& data) {
  json j = {{"v", kProtocolVersion}, {"event", topic}, {"data", data}};
  return dump_compact(j) + '\n';
}

std::string request_line(const json& id, std::string_view method, const json& params) {
  json j = {{"v", kProtocolVersion}, {"id", id}, {"method", method}};
  if (!params.is_null() && !params.empty()) j["params"] = params;
  return dump_compact(j) + '\n';
}

void LineBuffer::append(std::string_view data) {
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::string_view chunk = nl == std::string_view::npos ? data : data.substr(0, nl);
    if (!m_discarding) {
      if (m_partial.size() + chunk.size() > m_max) {
        // Too long: report it at once (the sender may never end it) and skip the rest of it.
        m_partial.clear();
        m_partial.shrink_to_fit();
        m_discarding = true;
        m_lines.push_back(Line{{}, true});
      } else {
        m_partial.append(chunk);
      }
    }
    if (nl == std::string_view::npos) return;
    finish_line();
    data.remove_prefix(nl + 1);
  }
}

void LineBuffer::finish_line() {
  if (m_discarding) {
    m_discarding = false;
    return;
  }
  if (!m_partial.empty() && m_partial.back() == '\r') m_partial.pop_back();
  if (!m_partial.empty()) m_lines.push_back(Line{std::move(m_partial), false});
  m_partial.clear();
}

std::optional<LineBuffer::Line> LineBuffer::next() {
  if (m_lines.empty()) return std::nullopt;
  Line l = std::move(m_lines.front());
  m_lines.pop_front();
  return l;
}

}  // namespace sousveil::api
