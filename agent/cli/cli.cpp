// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "common/logging.h"
#include "cli/scan_cmd.h"
#include "cli/remote.h"
#include "core/runner.h"
#include "output/event_json.h"
#include "output/finding_json.h"
#include "service/embedded.h"
#include "tui/dash.h"

#ifndef SOUSVEIL_VERSION
#define SOUSVEIL_VERSION "0.0.0"
#endif

namespace sousveil::cli {
namespace {

Result<std::chrono::milliseconds> parse_seconds(const std::string& flag, const std::string& value) {
  constexpr double kMaxSeconds = 366.0 * 24 * 3600;
  double secs = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec != std::errc() || p != value.data() + value.size() || !std::isfinite(secs) || secs <= 0 ||
      secs > kMaxSeconds)
    return make_error(flag + " takes a positive number of seconds up to a year, not '" + value + "'");
  return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
}

// Prints events as JSON lines (or aligned lines) on stdout.
class PrintSink final : public EventSink {
 public:
  explicit PrintSink(bool pretty) : m_pretty(pretty) {}
  void set_clock(const BootClock* clock) { m_clock = clock; }

  void on_event(const EnrichedEvent& ev, const std::vector<rules::Finding>& findings) override {
    if (m_pretty) {
      emit(to_pretty_line(ev, *m_clock));
      for (const auto& f : findings) emit(to_pretty_line(f));
      return;
    }
    auto j = to_json(ev, *m_clock);
    if (!findings.empty()) {
      auto& arr = j["findings"] = nlohmann::json::array();
      for (const auto& f : findings) arr.push_back(to_json(f));
    }
    emit(j.dump());
  }
  void on_watcher(const track::WatcherChange& change) override {
    emit(m_pretty ? to_pretty_line(change, *m_clock) : to_json(change, *m_clock).dump());
  }
  void on_lost(std::string_view category, std::uint64_t count) override {
    if (m_pretty) {
      emit("WARNING: " + std::to_string(count) + " " + std::string(category) +
           " events lost: the view may be incomplete");
      return;
    }
    nlohmann::json j = {{"kind", "events_lost"},
                        {"time", BootClock::format_unix_ns(m_clock->to_unix_ns(BootClock::now_boot_ns()))},
                        {"category", category},
                        {"count", count}};
    emit(j.dump());
  }

 private:
  static void emit(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);  // a reader of the pipe sees each event when it happens
  }

  bool m_pretty;
  const BootClock* m_clock = nullptr;
};

class NullSink final : public EventSink {
 public:
  void on_event(const EnrichedEvent&, const std::vector<rules::Finding>&) override {}
  void on_lost(std::string_view, std::uint64_t) override {}
};

AgentOptions agent_options(const Options& o) {
  AgentOptions a;
  a.use_bpf = o.use_bpf;
  a.snapshot = o.snapshot;
  a.emit_process_events = o.process_events;
  a.use_rules = o.use_rules;
  if (o.ratelimit) a.ratelimit = *o.ratelimit;
  for (const auto& r : o.rule_sources) a.rule_sources.emplace_back(r);
  return a;
}

int run_events(const Options& o) {
  PrintSink sink(o.pretty);
  BootClock clock;
  sink.set_clock(&clock);
  RunOptions run;
  run.agent = agent_options(o);
  run.duration = o.duration;
  run.on_ready = [](Agent& agent) {
    auto st = agent.status();
    logging::get("agent")->info("watching: mode={} fidelity={}", st.mode, st.fidelity);
  };
  run.on_finish = [](const Status& st) {
    auto log = logging::get("agent");
    log->info("summary: delivered device={} capture={} process={} snapshot={}; lost device={} capture={} "
              "process={} snapshot={}; repeats_folded={} opens_seen={}",
              st.device.delivered, st.capture.delivered, st.process.delivered, st.snapshot.delivered,
              st.device.lost, st.capture.lost, st.process.lost, st.snapshot.lost, st.kernel.rate_limited,
              st.kernel.open_seen);
    if (st.total_lost() > 0) log->warn("{} events were lost; the output may be incomplete", st.total_lost());
  };
  return run_agent(run, sink);
}

int run_status(const Options& o) {
  // A running agent answers over its socket; otherwise start one briefly and report.
  if (auto remote = remote_status(o)) return *remote;
  NullSink sink;
  RunOptions run;
  run.agent = agent_options(o);
  run.duration = o.duration.value_or(std::chrono::milliseconds(1000));
  Status final_status;
  run.on_finish = [&](const Status& st) { final_status = st; };
  int rc = run_agent(run, sink);
  if (rc != 0) return rc;
  std::string out = o.json ? to_json(final_status).dump(2) + "\n" : to_text(final_status);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

std::string usage() {
  return "usage: sousveil <command> [flags]\n"
         "\n"
         "commands:\n"
         "  events   print live events, one JSON object per line\n"
         "           --pretty          one aligned line per event for a person\n"
         "           --process-events  also print exec, fork and exit\n"
         "           --duration SECS   stop after SECS seconds\n"
         "  status   what is loaded, what failed and why, events seen and lost\n"
         "           --json            machine-readable\n"
         "           --duration SECS   how long to watch before reporting (default 1)\n"
         "           (asks the running agent over --socket when one answers; flags that change\n"
         "           how to watch run a private agent instead)\n"
         "  watchers what is watching now and what watched recently, from the running agent\n"
         "           --json            the agent's reply as JSON\n"
         "           --state S         active, ended or all (default all)\n"
         "  dash     the terminal dashboard: who is watching, since when, and why\n"
         "           --socket PATH     the agent's socket (default /run/sousveil/sousveil.sock)\n"
         "           --once            print a plain-text snapshot and exit\n"
         "           --no-agent        where no agent answers, say so (root otherwise starts one in-process)\n"
         "           --json            print the snapshot as JSON and exit\n"
         "  scan     one posture scan: what on disk and in /proc means someone can record you\n"
         "           --root DIR        scan a tree laid out like / (default /)\n"
         "           --json            one JSON object per finding\n"
         "  rules    check, test and list rules: see 'sousveil rules help'\n"
         "  history  stored findings and watchers; 'history verify' checks the hash chain:\n"
         "           see 'sousveil history --help'\n"
         "  notify   desktop notifications for new watchers: see 'sousveil notify --help'\n"
         "  config   check or show a sousveild config file: see 'sousveil config help'\n"
         "  version  print the version\n"
         "  help     this text\n"
         "\n"
         "common flags:\n"
         "  --no-bpf       do not load eBPF; scan /proc instead (lower fidelity)\n"
         "  --no-snapshot  skip the start-up scan of devices already open\n"
         "  --rules PATH   rule file or directory (repeatable; default: the shipped rules\n"
         "                 and /etc/sousveil/rules.d)\n"
         "  --no-rules     events only, no findings\n"
         "  --ratelimit-ms N  fold repeats of one (process, kind, object) within N ms\n"
         "                 into one event (default 1000; 0 reports every one)\n"
         "  --socket PATH  the agent's socket (default /run/sousveil/sousveil.sock)\n"
         "  -v, --verbose  debug logging on stderr, libbpf's messages included\n";
}

Result<Options> parse(const std::vector<std::string>& args) {
  Options o;
  if (args.empty()) return make_error("no command given; try 'sousveil help'");
  const std::string& cmd = args[0];
  if (cmd == "events") o.command = Command::Events;
  else if (cmd == "status") o.command = Command::Status;
  else if (cmd == "dash") o.command = Command::Dash;
  else if (cmd == "scan") o.command = Command::Scan;
  else if (cmd == "watchers") o.command = Command::Watchers;
  else if (cmd == "version" || cmd == "--version") o.command = Command::Version;
  else if (cmd == "help" || cmd == "--help" || cmd == "-h") o.command = Command::Help;
  else return make_error("unknown command '" + cmd + "'; try 'sousveil help'");

  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto takes = [&](Command c) { return o.command == c; };
    if (a == "-v" || a == "--verbose") o.verbose = true;
    else if (a == "--no-bpf" && (takes(Command::Events) || takes(Command::Status))) o.use_bpf = false;
    else if (a == "--no-snapshot" && (takes(Command::Events) || takes(Command::Status))) o.snapshot = false;
    else if (a == "--pretty" && takes(Command::Events)) o.pretty = true;
    else if (a == "--process-events" && takes(Command::Events)) o.process_events = true;
    else if (a == "--json" && (takes(Command::Status) || takes(Command::Watchers) || takes(Command::Dash) ||
                               takes(Command::Scan)))
      o.json = true;
    else if (a == "--once" && takes(Command::Dash)) o.once = true;
    else if (a == "--no-agent" && takes(Command::Dash)) o.no_embedded = true;
    else if (a == "--root" && takes(Command::Scan)) {
      if (i + 1 >= args.size()) return make_error("--root needs a directory");
      o.root = args[++i];
    }
    else if (a == "--no-rules" && (takes(Command::Events) || takes(Command::Status) || takes(Command::Scan)))
      o.use_rules = false;
    else if (a == "--socket" && (takes(Command::Status) || takes(Command::Watchers) || takes(Command::Dash))) {
      if (i + 1 >= args.size()) return make_error("--socket needs a path");
      o.socket_path = args[++i];
    } else if (a == "--state" && takes(Command::Watchers)) {
      if (i + 1 >= args.size()) return make_error("--state needs active, ended or all");
      o.watcher_state = args[++i];
      if (o.watcher_state != "active" && o.watcher_state != "ended" && o.watcher_state != "all")
        return make_error("--state takes active, ended or all, not '" + o.watcher_state + "'");
    }
    else if (a == "--ratelimit-ms" && (takes(Command::Events) || takes(Command::Status))) {
      if (i + 1 >= args.size()) return make_error("--ratelimit-ms needs a number of milliseconds");
      const std::string& v = args[++i];
      unsigned long ms = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc() || p != v.data() + v.size() || ms > 3'600'000)
        return make_error("--ratelimit-ms takes 0 to 3600000 milliseconds, not '" + v + "'");
      o.ratelimit = std::chrono::milliseconds(ms);
    }
    else if (a == "--rules" && (takes(Command::Events) || takes(Command::Status) || takes(Command::Scan))) {
      if (i + 1 >= args.size()) return make_error("--rules needs a file or directory");
      o.rule_sources.push_back(args[++i]);
    }
    else if (a == "--duration" && (takes(Command::Events) || takes(Command::Status))) {
      if (i + 1 >= args.size()) return make_error("--duration needs a number of seconds");
      auto d = parse_seconds(a, args[++i]);
      if (!d) return d.error();
      o.duration = *d;
    } else {
      return make_error("unknown flag '" + a + "' for 'sousveil " + cmd + "'; try 'sousveil help'");
    }
  }
  return o;
}

int run(const Options& o) {
  // `status` prints a report: only warnings and errors belong beside it.
  auto quiet = o.command == Command::Status || o.command == Command::Scan ? spdlog::level::warn : spdlog::level::info;
  logging::init(logging::Sink::Stderr, o.verbose ? spdlog::level::debug : quiet);
  switch (o.command) {
    case Command::Events: return run_events(o);
    case Command::Status: return run_status(o);
    case Command::Scan: return run_scan({o.root, o.json, o.use_rules, o.rule_sources});
    case Command::Watchers: return run_watchers(o);
    case Command::Dash: {
      tui::DashOptions d;
      d.socket_path = o.socket_path;
      d.once = o.once;
      d.json = o.json;
      // The zero-setup path: root with no agent running gets one in-process.
      std::unique_ptr<service::EmbeddedAgent> embedded;
      if (geteuid() == 0 && !o.no_embedded)
        d.on_no_agent = [&](const std::string& why) -> Result<std::filesystem::path> {
          logging::get("cli")->info("no agent answers ({}): starting one in this process", why);
          auto started = service::EmbeddedAgent::start(d.socket_path);
          if (!started) return make_error(started.error().message);
          embedded = std::move(started).value();
          return embedded->socket_path();
        };
      int rc = tui::run_dash(d);
      embedded.reset();
      return rc;
    }
    case Command::Version: std::cout << "sousveil " << SOUSVEIL_VERSION << "\n"; return 0;
    case Command::Help: std::cout << usage(); return 0;
  }
  return 2;
}

}  // namespace sousveil::cli
