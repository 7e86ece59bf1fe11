// SPDX-License-Identifier: Apache-2.0
// Reader for sousveil.conf: walks the YAML against a fixed schema and
// collects every error (one does not hide the next) with its position.
#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace sousveil::config {
namespace {

using std::chrono::milliseconds;

struct Range {
  std::uint64_t min;
  std::uint64_t max;
};

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

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "250ms", "30s", "10m", "12h", "90d"; a bare 0 means zero.
std::optional<milliseconds> parse_duration(std::string_view s) {
  if (s == "0") return milliseconds(0);
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [suffix, scale] : kUnits) {
    if (s.size() <= suffix.size() || s.substr(s.size() - suffix.size()) != suffix) continue;
    auto n = parse_uint(s.substr(0, s.size() - suffix.size()));
    if (!n) continue;  // "5ms" also ends in "s": try the next unit
    if (*n > (std::uint64_t{1} << 50) / scale) return std::nullopt;
    return milliseconds(static_cast<std::int64_t>(*n * scale));
  }
  return std::nullopt;
}

// "1048576", "512KiB", "8MiB", "1GiB", "2TiB".
std::optional<std::uint64_t> parse_size(std::string_view s) {
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40}};
  for (const auto& [suffix, scale] : kUnits) {
    if (s.size() <= suffix.size() || s.substr(s.size() - suffix.size()) != suffix) continue;
    auto n = parse_uint(s.substr(0, s.size() - suffix.size()));
    if (!n || *n > (std::uint64_t{1} << 60) / scale) return std::nullopt;
    return *n * scale;
  }
  return parse_uint(s);
}

std::string format_duration(milliseconds d) {
  auto ms = static_cast<std::uint64_t>(d.count());
  if (ms == 0) return "0";
  static const std::pair<const char*, std::uint64_t> kUnits[] = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  for (const auto& [suffix, scale] : kUnits)
    if (ms % scale == 0) return std::to_string(ms / scale) + suffix;
  return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t b) {
  static const std::pair<const char*, std::uint64_t> kUnits[] = {
      {"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}};
  if (b == 0) return "0";
  for (const auto& [suffix, scale] : kUnits)
    if (b % scale == 0) return std::to_string(b / scale) + suffix;
  return std::to_string(b);
}

bool valid_group_name(const std::string& g) {
  if (g.empty() || g.size() > 32) return false;
  if (!(std::islower(static_cast<unsigned char>(g[0])) || g[0] == '_')) return false;
  return std::all_of(g.begin(), g.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '_' || c == '-';
  });
}

class Reader {
 public:
  explicit Reader(std::string name) : m_name(std::move(name)) {}

  using Handler = std::function<void(const YAML::Node& value, const std::string& path)>;
  struct Field {
    std::string_view key;
    Handler handle;
  };

  void error(const YAML::Node& at, const std::string& path, const std::string& message) {
    auto m = at.Mark();
    std::string where = m_name;
    if (m.line >= 0) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    m_errors.push_back(where + ": " + (path.empty() ? "" : path + ": ") + message);
  }

  // A mapping whose keys must all be known; null means "all defaults".
  void section(const YAML::Node& node, const std::string& path, const std::vector<Field>& fields) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      error(node, path, "expected a mapping of settings");
      return;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {
        error(kv.first, path, "a key must be a plain name");
        continue;
      }
      auto key = kv.first.Scalar();
      auto full = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        error(kv.first, full, "set twice");
        continue;
      }
      auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
      if (it == fields.end()) {
        std::string known, guess;
        std::size_t best = 3;
        for (const auto& f : fields) {
          known += (known.empty() ? "" : ", ") + std::string(f.key);
          if (auto d = edit_distance(key, f.key); d < best) best = d, guess = f.key;
        }
        error(kv.first, full,
              "unknown setting" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)") + "; known here: " +
                  known);
        continue;
      }
      it->handle(kv.second, full);
    }
  }

  std::optional<std::string> scalar(const YAML::Node& v, const std::string& path, const char* what) {
    if (!v.IsScalar()) {
      error(v, path, std::string("expected ") + what);
      return std::nullopt;
    }
    return v.Scalar();
  }

  Handler boolean(bool& out) {
    return [this, &out](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "true or false");
      if (!s) return;
      if (*s == "true") out = true;
      else if (*s == "false") out = false;
      else error(v, path, "expected true or false, not '" + *s + "'");
    };
  }

  template <class T>
  Handler integer(T& out, Range range) {
    return [this, &out, range](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "a whole number");
      if (!s) return;
      auto n = parse_uint(*s);
      if (!n) return error(v, path, "expected a whole number, not '" + *s + "'");
      if (*n < range.min || *n > range.max)
        return error(v, path, std::to_string(*n) + " is out of range " + std::to_string(range.min) + ".." +
                                  std::to_string(range.max));
      out = static_cast<T>(*n);
    };
  }

  template <class D>
  Handler duration(D& out, milliseconds min, milliseconds max, bool zero_ok = false) {
    return [this, &out, min, max, zero_ok](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "a duration like 500ms, 30s, 10m, 12h or 90d");
      if (!s) return;
      auto d = parse_duration(*s);
      if (!d)
        return error(v, path, "expected a duration like 500ms, 30s, 10m, 12h or 90d, not '" + *s + "'");
      if (!(zero_ok && d->count() == 0) && (*d < min || *d > max))
        return error(v, path, "'" + *s + "' is out of range " + format_duration(min) + ".." +
                                  format_duration(max) + (zero_ok ? " (or 0 for none)" : ""));
      if (d->count() % std::chrono::duration_cast<milliseconds>(D(1)).count() != 0)
        return error(v, path, "'" + *s + "' is finer than this setting counts (" +
                                  format_duration(std::chrono::duration_cast<milliseconds>(D(1))) + ")");
      out = std::chrono::duration_cast<D>(*d);
    };
  }

  Handler size(std::uint64_t& out, std::uint64_t min, std::uint64_t max, bool zero_ok) {
    return [this, &out, min, max, zero_ok](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "a size like 1048576, 512KiB, 8MiB or 1GiB");
      if (!s) return;
      auto n = parse_size(*s);
      if (!n) return error(v, path, "expected a size like 1048576, 512KiB, 8MiB or 1GiB, not '" + *s + "'");
      if (!(zero_ok && *n == 0) && (*n < min || *n > max))
        return error(v, path, "'" + *s + "' is out of range " + format_size(min) + ".." + format_size(max) +
                                  (zero_ok ? " (or 0 for no limit)" : ""));
      out = *n;
    };
  }

  Handler absolute_path(std::filesystem::path& out, std::size_t max_len = 4096) {
    return [this, &out, max_len](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "an absolute path");
      if (!s) return;
      if (s->empty() || (*s)[0] != '/') return error(v, path, "expected an absolute path, not '" + *s + "'");
      if (s->size() > max_len)
        return error(v, path, "path is " + std::to_string(s->size()) + " bytes; at most " +
                                  std::to_string(max_len) + " fit here");
      out = *s;
    };
  }

  Handler path_list(std::vector<std::filesystem::path>& out) {
    return [this, &out](const YAML::Node& v, const std::string& path) {
      if (v.IsNull()) return;
      if (!v.IsSequence()) return error(v, path, "expected a list of absolute paths");
      std::vector<std::filesystem::path> list;
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::filesystem::path p;
        absolute_path(p)(v[i], path + "[" + std::to_string(i) + "]");
        if (!p.empty()) list.push_back(std::move(p));
      }
      out = std::move(list);
    };
  }

  Handler group(std::string& out) {
    return [this, &out](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "a group name");
      if (!s) return;
      if (!valid_group_name(*s))
        return error(v, path, "'" + *s + "' is not a valid group name (lower case letters, digits, _ and -)");
      out = *s;
    };
  }

  Handler one_of(std::string& out, std::vector<std::string> allowed) {
    return [this, &out, allowed](const YAML::Node& v, const std::string& path) {
      auto s = scalar(v, path, "a name");
      if (!s) return;
      if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return error(v, path, "'" + *s + "' is not one of " + list);
      }
      out = *s;
    };
  }

  const std::vector<std::string>& errors() const { return m_errors; }

 private:
  std::string m_name;
  std::vector<std::string> m_errors;
};

const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
const std::vector<std::string> kSeverities = {"info", "low", "medium", "high", "critical"};

constexpr std::size_t kSunPathMax = 107;  // sockaddr_un.sun_path less the NUL

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = name;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return make_error(where + ": not valid YAML: " + e.msg);
  }
  Config c;
  c.source = name;
  Reader r(name);
  std::string level = "info";
  if (!root.IsNull() && !root.IsMap()) {
    r.error(root, "", "expected a mapping of sections (log, sensors, rules, store, api, notify, housekeeping)");
  } else {
    using ms = milliseconds;
    using std::chrono::hours;
    using std::chrono::minutes;
    using std::chrono::seconds;
    std::uint64_t ringbuf = c.sensors.ringbuf_bytes;
    r.section(root, "", {
        {"log", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {{"level", r.one_of(level, kLevels)}});
         }},
        {"sensors", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {
               {"ebpf", r.boolean(c.sensors.ebpf)},
               {"snapshot", r.boolean(c.sensors.snapshot)},
               {"user", r.boolean(c.sensors.user)},
               {"ringbuf_bytes", [&](const YAML::Node& n, const std::string& q) {
                  std::uint64_t before = ringbuf;
                  r.size(ringbuf, 64ULL << 10, 1ULL << 30, false)(n, q);
                  // The kernel takes only a power of two of pages.
                  if (ringbuf != before && (ringbuf & (ringbuf - 1)) != 0) {
                    r.error(n, q, "must be a power of two (like 4MiB, 8MiB, 16MiB)");
                    ringbuf = before;
                  }
                }},
               {"ratelimit", r.duration(c.sensors.ratelimit, ms(0), hours(1))},
           });
         }},
        {"rules", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {{"dirs", r.path_list(c.rules.dirs)}, {"catalog", r.path_list(c.rules.catalog)}});
         }},
        {"store", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {
               {"enabled", r.boolean(c.store.enabled)},
               {"path", r.absolute_path(c.store.path)},
               {"max_age", r.duration(c.store.max_age, hours(1), hours(24 * 3660), true)},
               {"max_bytes", r.size(c.store.max_bytes, 1ULL << 20, 1ULL << 42, true)},
               {"retention_interval", r.duration(c.store.retention_interval, minutes(1), hours(24))},
           });
         }},
        {"api", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {
               {"enabled", r.boolean(c.api.enabled)},
               {"socket", r.absolute_path(c.api.socket, kSunPathMax)},
               {"socket_group", r.group(c.api.socket_group)},
               {"audit_group", r.group(c.api.audit_group)},
               {"client_queue", r.integer(c.api.client_queue, {16, 1'000'000})},
           });
         }},
        {"notify", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {
               {"min_severity", r.one_of(c.notify.min_severity, kSeverities)},
               {"storm_window", r.duration(c.notify.storm_window, seconds(1), hours(1))},
               {"storm_threshold", r.integer(c.notify.storm_threshold, {1, 1000})},
               {"expire_timeout", r.duration(c.notify.expire_timeout, ms(100), hours(24), true)},
           });
         }},
        {"housekeeping", [&](const YAML::Node& v, const std::string& p) {
           r.section(v, p, {
               {"interval", r.duration(c.housekeeping.interval, ms(100), seconds(60))},
               {"fallback_interval", r.duration(c.housekeeping.fallback_interval, ms(500), minutes(10))},
               {"exited_grace", r.duration(c.housekeeping.exited_grace, seconds(1), hours(1))},
               {"ended_retention", r.duration(c.housekeeping.ended_retention, seconds(10), hours(24 * 7))},
               {"max_ended", r.integer(c.housekeeping.max_ended, {1, 100'000})},
           });
         }},
    });
    c.sensors.ringbuf_bytes = static_cast<std::uint32_t>(ringbuf);
  }
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return make_error(all);
  }
  c.log_level = spdlog::level::from_str(level);
  return c;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot read the config file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(path.string() + ": read error");
  return parse_config(text.str(), path.string());
}

AgentOptions to_agent_options(const Config& c) {
  AgentOptions a;
  a.use_bpf = c.sensors.ebpf;
  a.snapshot = c.sensors.snapshot;
  a.use_user_sensors = c.sensors.user;
  a.ringbuf_bytes = c.sensors.ringbuf_bytes;
  a.ratelimit = c.sensors.ratelimit;
  a.rule_sources = c.rules.dirs;
  a.catalog_sources = c.rules.catalog;
  a.housekeeping_interval = c.housekeeping.interval;
  a.fallback_interval = c.housekeeping.fallback_interval;
  a.exited_grace = c.housekeeping.exited_grace;
  a.tracker.ended_retention = c.housekeeping.ended_retention;
  a.tracker.max_ended = c.housekeeping.max_ended;
  return a;
}

std::string to_yaml(const Config& c) {
  auto paths = [](const std::vector<std::filesystem::path>& v) {
    if (v.empty()) return std::string("[]");
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::string("\"") + v[i].string() + "\"";
    return s + "]";
  };
  auto b = [](bool v) { return v ? "true" : "false"; };
  std::ostringstream o;
  auto level = spdlog::level::to_string_view(c.log_level);
  o << "log:\n  level: " << (c.log_level == spdlog::level::warn ? "warn" : std::string(level.data(), level.size()))
    << "\n"
    << "sensors:\n  ebpf: " << b(c.sensors.ebpf) << "\n  snapshot: " << b(c.sensors.snapshot)
    << "\n  user: " << b(c.sensors.user) << "\n  ringbuf_bytes: " << format_size(c.sensors.ringbuf_bytes)
    << "\n  ratelimit: " << format_duration(c.sensors.ratelimit) << "\n"
    << "rules:\n  dirs: " << paths(c.rules.dirs) << "\n  catalog: " << paths(c.rules.catalog) << "\n"
    << "store:\n  enabled: " << b(c.store.enabled) << "\n  path: \"" << c.store.path.string()
    << "\"\n  max_age: " << format_duration(c.store.max_age) << "\n  max_bytes: " << format_size(c.store.max_bytes)
    << "\n  retention_interval: " << format_duration(c.store.retention_interval) << "\n"
    << "api:\n  enabled: " << b(c.api.enabled) << "\n  socket: \"" << c.api.socket.string()
    << "\"\n  socket_group: " << c.api.socket_group << "\n  audit_group: " << c.api.audit_group
    << "\n  client_queue: " << c.api.client_queue << "\n"
    << "notify:\n  min_severity: " << c.notify.min_severity
    << "\n  storm_window: " << format_duration(c.notify.storm_window)
    << "\n  storm_threshold: " << c.notify.storm_threshold
    << "\n  expire_timeout: " << format_duration(c.notify.expire_timeout) << "\n"
    << "housekeeping:\n  interval: " << format_duration(c.housekeeping.interval)
    << "\n  fallback_interval: " << format_duration(c.housekeeping.fallback_interval)
    << "\n  exited_grace: " << format_duration(c.housekeeping.exited_grace)
    << "\n  ended_retention: " << format_duration(c.housekeeping.ended_retention)
    << "\n  max_ended: " << c.housekeeping.max_ended << "\n";
  return o.str();
}

std::vector<std::string> describe_changes(const Config& before, const Config& after) {
  // Compare the canonical YAML line by line: every knob is one line there.
  auto lines = [](const std::string& y) {
    std::vector<std::string> out;
    std::istringstream in(y);
    std::string section, line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != ' ') section = line.substr(0, line.size() - 1);
      else out.push_back(section + "." + line.substr(2));
    }
    return out;
  };
  auto a = lines(to_yaml(before)), b = lines(to_yaml(after));
  std::vector<std::string> changes;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    auto colon = a[i].find(": ");
    changes.push_back(a[i].substr(0, colon) + ": " + a[i].substr(colon + 2) + " -> " +
                      b[i].substr(b[i].find(": ") + 2));
  }
  return changes;
}

}  // namespace sousveil::config
