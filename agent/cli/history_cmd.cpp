// SPDX-License-Identifier: Apache-2.0
#include "cli/history_cmd.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <iostream>

#include "common/boot_clock.h"
#include "common/logging.h"
#include "store/history_time.h"
#include "store/store.h"

namespace sousveil::cli {
namespace {

struct HistoryArgs {
  bool verify = false;
  bool json = false;
  std::string db = store::kDefaultDbPath;
  store::HistoryQuery query;
};

template <class T>
Result<T> parse_number(const std::string& flag, const std::string& v, T max) {
  T n{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n > max)
    return make_error(fmt::format("{} takes a number up to {}, not '{}'", flag, max, v));
  return n;
}

Result<HistoryArgs> parse(const std::vector<std::string>& args) {
  HistoryArgs h;
  std::size_t i = 0;
  if (!args.empty() && args[0] == "verify") {
    h.verify = true;
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size()) return make_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--db") {
      auto v = value();
      if (!v) return v.error();
      h.db = *v;
      continue;
    }
    if (h.verify) return make_error("unknown flag '" + a + "' for 'sousveil history verify'; it takes --db PATH");
    if (a == "--json") {
      h.json = true;
    } else if (a == "--oldest-first") {
      h.query.oldest_first = true;
    } else if (a == "--since" || a == "--until") {
      auto v = value();
      if (!v) return v.error();
      auto t = store::parse_history_time(*v);
      if (!t) return make_error(a + ": " + t.error().message);
      (a == "--since" ? h.query.since_ns : h.query.until_ns) = *t;
    } else if (a == "--category" || a == "--rule" || a == "--exe") {
      auto v = value();
      if (!v) return v.error();
      (a == "--category" ? h.query.category : a == "--rule" ? h.query.rule : h.query.exe) = *v;
    } else if (a == "--kind") {
      auto v = value();
      if (!v) return v.error();
      auto k = store::parse_record_kind(*v);
      if (!k) return make_error("--kind takes finding, watcher, sensor, lost, agent or prune, not '" + *v + "'");
      h.query.kind = *k;
    } else if (a == "--pid") {
      auto v = value();
      if (!v) return v.error();
      auto n = parse_number<std::uint32_t>(a, *v, 4'194'304);
      if (!n) return n.error();
      h.query.pid = *n;
    } else if (a == "--limit") {
      auto v = value();
      if (!v) return v.error();
      auto n = parse_number<std::size_t>(a, *v, store::kMaxQueryLimit);
      if (!n) return n.error();
      if (*n == 0) return make_error("--limit takes a number from 1 to 10000, not 0");
      h.query.limit = *n;
    } else {
      return make_error("unknown flag '" + a + "' for 'sousveil history'; try 'sousveil history --help'");
    }
  }
  return h;
}

std::string text_line(const store::Row& row) {
  const auto& r = row.record;
  std::string who;
  if (r.pid) who = fmt::format("pid {} {}", *r.pid, r.exe);
  std::string what = r.rule;
  if (r.kind != store::RecordKind::Finding && r.kind != store::RecordKind::Watcher) {
    auto j = nlohmann::json::parse(r.json, nullptr, false);
    if (j.is_object()) {
      if (r.kind == store::RecordKind::Lost) what = fmt::format("{} lost", j.value("count", 0ULL));
      else if (r.kind == store::RecordKind::Sensor)
        what = j.value("name", "") + " " + j.value("state", "") + ": " + j.value("detail", "");
      else if (r.kind == store::RecordKind::Agent) what = j.value("event", "") + " " + j.value("version", "");
      else if (r.kind == store::RecordKind::Prune)
        what = fmt::format("removed {} rows ({}..{}) by {}", j.value("removed", 0ULL), j.value("first_seq", 0ULL),
                           j.value("last_seq", 0ULL), j.value("reason", ""));
    }
  } else if (r.kind == store::RecordKind::Watcher) {
    auto j = nlohmann::json::parse(r.json, nullptr, false);
    if (j.is_object()) what = fmt::format("#{} {} {}", r.watcher_id.value_or(0), j.value("change", ""), r.rule);
  }
  return fmt::format("{} {:>7} {:<8} {:<8} {:<14} {}{}{}", BootClock::format_unix_ns(static_cast<std::uint64_t>(r.time_ns)),
                     row.seq, store::to_string(r.kind), r.severity, r.category, what, who.empty() ? "" : "  ", who);
}

}  // namespace

std::string history_usage() {
  return "usage: sousveil history [flags]          rows of the history, newest first\n"
         "       sousveil history verify [--db PATH]  recompute the hash chain\n"
         "\n"
         "flags:\n"
         "  --db PATH        the history database (default /var/lib/sousveil/history.db)\n"
         "  --since T        from T: RFC 3339 (2026-11-29T10:00:00Z) or unix seconds\n"
         "  --until T        up to T\n"
         "  --category C     keystrokes, screen, camera, microphone, ...\n"
         "  --rule R         a rule id\n"
         "  --pid N          a process id\n"
         "  --exe PATH       an executable path\n"
         "  --kind K         finding, watcher, sensor, lost, agent or prune\n"
         "  --limit N        at most N rows (default 1000, max 10000)\n"
         "  --oldest-first   oldest first instead\n"
         "  --json           one JSON object per row (the socket API's history row)\n";
}

int run_history_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "help" || args[0] == "--help" || args[0] == "-h")) {
    std::cout << history_usage();
    return 0;
  }
  logging::init(logging::Sink::Stderr, spdlog::level::warn);
  auto parsed = parse(args);
  if (!parsed) {
    std::fprintf(stderr, "sousveil history: %s\n", parsed.error().message.c_str());
    return 2;
  }
  const HistoryArgs& h = *parsed;
  store::StoreOptions options;
  options.path = h.db;
  options.writer = false;  // never takes the agent's lock; reads a consistent snapshot
  auto opened = store::Store::open(options);
  if (!opened) {
    std::fprintf(stderr, "sousveil history: %s\n", opened.error().message.c_str());
    return 2;
  }
  auto& st = **opened;
  if (h.verify) {
    auto rep = st.verify();
    if (!rep) {
      std::fprintf(stderr, "sousveil history verify: %s\n", rep.error().message.c_str());
      return 2;
    }
    if (rep->ok) {
      std::string anchored =
          rep->anchor_seq > 0 ? fmt::format(" (anchored after pruned seq {})", rep->anchor_seq) : std::string();
      std::cout << fmt::format("chain ok: {} rows, first seq {}, last seq {}{}\n", rep->rows, rep->first_seq,
                               rep->last_seq, anchored);
      return 0;
    }
    std::cout << fmt::format("chain BROKEN at seq {}: {}: {}\n", rep->broken_seq, rep->problem, rep->detail);
    return 1;
  }
  auto result = st.try_query(h.query);
  if (!result) {
    std::fprintf(stderr, "sousveil history: %s\n", result.error().message.c_str());
    return 2;
  }
  for (const auto& row : result->rows) {
    std::string line = h.json ? store::to_json(row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                              : text_line(row);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (result->truncated)
    std::fprintf(stderr, "sousveil history: more rows match; showing %zu (use --limit or --since)\n",
                 result->rows.size());
  return 0;
}

}  // namespace sousveil::cli
