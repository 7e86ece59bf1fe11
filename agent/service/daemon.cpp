// SPDX-License-Identifier: Apache-2.0
#include "service/daemon.h"

#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>

#include "api/agent_adapter.h"
#include "common/logging.h"
#include "output/event_json.h"
#include "service/journal.h"
#include "service/systemd.h"

namespace sousveil::service {
namespace {

// In the foreground: one line per sensitive event, as sousveild always did.
class LogSink final : public EventSink {
 public:
  explicit LogSink(const BootClock& clock) : m_clock(clock) {}
  void on_event(const EnrichedEvent& ev, const std::vector<rules::Finding>& findings) override {
    m_log->info("event {} findings={}", to_pretty_line(ev, m_clock), findings.size());
  }
  void on_lost(std::string_view category, std::uint64_t count) override {
    m_log->warn("events lost: category={} count={}", category, count);
  }

 private:
  std::shared_ptr<spdlog::logger> m_log = logging::get("events");
  const BootClock& m_clock;
};

AgentOptions agent_options(const config::Config& c, const DaemonOptions& o) {
  auto a = config::to_agent_options(c);
  if (o.no_bpf) a.use_bpf = false;
  if (!o.rules.empty()) a.rule_sources = o.rules;
  return a;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

Result<config::Config> initial_config(const std::optional<std::filesystem::path>& path) {
  if (path) return config::load_config(*path);
  std::error_code ec;
  if (std::filesystem::exists(config::kDefaultConfigPath, ec)) return config::load_config(config::kDefaultConfigPath);
  config::Config c;
  c.source = "(built-in defaults; " + config::kDefaultConfigPath.string() + " absent)";
  return c;
}

int run_daemon(const DaemonOptions& options) {
  auto loaded = initial_config(options.config_path);
  if (!loaded) {
    // Logging is not set up yet: this goes to stderr, which systemd keeps too.
    std::fprintf(stderr, "sousveild: bad configuration, not starting:\n%s\n", loaded.error().message.c_str());
    Notifier().status("bad configuration: " + first_line(loaded.error().message));
    return 2;
  }
  config::Config cfg = std::move(loaded).value();
  const bool journal = under_systemd();
  auto level = options.verbose ? spdlog::level::debug : cfg.log_level;
  if (journal) logging::init(make_journal_log_sink("sousveild"), level);
  else logging::init(logging::Sink::Stderr, level);
  auto log = logging::get("service");
  log->info("config={} journal={}", cfg.source, journal);

  boost::asio::io_context io(1);
  BootClock clock;
  LogSink log_sink(clock);
  JournalSink journal_sink(clock);
  Notifier notifier;

  HostOptions host_options;
  if (options.store) cfg.store.path = *options.store;
  if (options.no_store) cfg.store.enabled = false;
  host_options.config = cfg;
  host_options.agent = agent_options(cfg, options);
  host_options.serve = cfg.api.enabled && !options.no_socket;
  host_options.socket_path = options.socket.value_or(cfg.api.socket);
  host_options.socket_group = options.socket_group.value_or(cfg.api.socket_group);
  host_options.log_sink = journal ? static_cast<EventSink*>(&journal_sink) : &log_sink;
#ifdef SOUSVEIL_VERSION
  host_options.version = SOUSVEIL_VERSION;
#endif
  Host host(io, std::move(host_options));
  if (auto r = host.start(); !r) {
    log->critical("cannot start: {}", r.error().message);
    notifier.status("cannot start: " + r.error().message);
    return 1;
  }
  Agent& agent = host.agent();

  std::string config_error;  // the last failed reload, shown in STATUS until fixed
  auto current_status = [&] {
    auto line = status_line(agent.status());
    if (!config_error.empty()) line += "; CONFIG RELOAD FAILED (old config in force): " + config_error;
    return line;
  };
  Watchdog watchdog(io, notifier, current_status);
  // Sensors are attached and the snapshot is done: only now is the service ready.
  notifier.ready(current_status());
  watchdog.start();
  log->info("ready: {}", current_status());

  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  boost::asio::signal_set reload_signal(io, SIGHUP);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log->info("signal={} stopping", sig);
    notifier.stopping();
    io.stop();
  });
  std::function<void()> arm_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      notifier.reloading();
      auto next = initial_config(options.config_path);
      if (!next) {
        config_error = first_line(next.error().message);
        log->error("config reload failed, keeping the config in force: {}", next.error().message);
      } else {
        config_error.clear();
        auto changes = config::describe_changes(cfg, *next);
        for (const auto& c : changes) log->info("config change: {}", c);
        if (!options.verbose && next->log_level != cfg.log_level) logging::set_level(next->log_level);
        // Sensors, store and socket settings are read at start: say so rather than pretend.
        for (const auto& c : changes)
          if (c.rfind("log.", 0) != 0 && c.rfind("notify.", 0) != 0)
            log->warn("config change takes effect at restart: {}", c);
        cfg = std::move(next).value();
      }
      (void)agent.reload();  // a failure is logged and shown in status; old rules stay
      notifier.ready(current_status());
      arm_reload();
    });
  };
  arm_reload();
  io.run();

  watchdog.stop();
  agent.flush();
  log->info("stopped: {}", to_json(agent.status()).dump());
  host.stop();
  return 0;
}

}  // namespace sousveil::service
