// SPDX-License-Identifier: Apache-2.0
#include "notify/notify_cmd.h"

#include <csignal>
#include <cstdio>
#include <thread>

#include "api/client.h"
#include "api/protocol.h"
#include "common/logging.h"
#include "config/config.h"
#include "notify/session_bus.h"

namespace sousveil::notify {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage =
    "usage: sousveil notify [--socket PATH] [--config PATH] [--min-severity S] [-v]\n"
    "  Posts a desktop notification for each new watcher the agent reports.\n"
    "  --socket PATH       the agent's socket (default /run/sousveil/sousveil.sock or api.socket)\n"
    "  --config PATH       read the notify: section (default /etc/sousveil/sousveil.conf when present)\n"
    "  --min-severity S    info, low, medium, high or critical (default from the config: low)\n";

}  // namespace

int run_notify_command(const std::vector<std::string>& args) {
  std::optional<std::filesystem::path> socket, config_path;
  std::optional<std::string> min_severity;
  bool verbose = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "--socket" && i + 1 < args.size()) socket = args[++i];
    else if (a == "--config" && i + 1 < args.size()) config_path = args[++i];
    else if (a == "--min-severity" && i + 1 < args.size()) min_severity = args[++i];
    else if (a == "help" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "sousveil notify: unknown flag '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  logging::init(logging::Sink::Stderr, verbose ? spdlog::level::debug : spdlog::level::info);
  auto log = logging::get("notify");

  config::Config cfg;
  std::error_code ec;
  if (config_path || std::filesystem::exists(config::kDefaultConfigPath, ec)) {
    auto loaded = config::load_config(config_path.value_or(config::kDefaultConfigPath));
    if (!loaded) {
      std::fprintf(stderr, "sousveil notify: bad configuration:\n%s\n", loaded.error().message.c_str());
      return 2;
    }
    cfg = std::move(loaded).value();
  }
  NotifierOptions options;
  options.min_severity = min_severity.value_or(cfg.notify.min_severity);
  options.storm_window = cfg.notify.storm_window;
  options.storm_threshold = cfg.notify.storm_threshold;
  options.expire_timeout = cfg.notify.expire_timeout;
  if (auto probe = config::parse_config("notify:\n  min_severity: \"" + options.min_severity + "\"\n", "--min-severity");
      !probe) {
    std::fprintf(stderr, "sousveil notify: %s\n", probe.error().message.c_str());
    return 2;
  }
  auto socket_path = socket.value_or(cfg.api.socket);

  auto server = SessionBusServer::connect();
  if (!server) {
    std::fprintf(stderr, "sousveil notify: %s\n", server.error().message.c_str());
    return 1;
  }
  if (auto info = (*server)->server_information()) log->info("notification server: {}", *info);
  else log->warn("{}; notifications will be retried as watchers arrive", info.error().message);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  Notifier notifier(**server, options);
  auto backoff = std::chrono::milliseconds(500);
  bool said_waiting = false;
  while (!g_stop) {
    auto client = api::Client::connect(socket_path);
    if (!client) {
      if (!said_waiting) log->warn("cannot reach the agent: {}; retrying", client.error().message);
      said_waiting = true;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(10'000));
      continue;
    }
    auto topics = client->subscribe({"watcher"});
    if (!topics) {
      log->error("subscribe failed: {}", topics.error().message);
      std::this_thread::sleep_for(backoff);
      continue;
    }
    log->info("subscribed to new watchers at {} (min severity {})", socket_path.string(), options.min_severity);
    said_waiting = false;
    backoff = std::chrono::milliseconds(500);
    while (!g_stop) {
      auto now = Notifier::Clock::now();
      auto due = notifier.tick(now);
      auto wait = std::chrono::milliseconds(500);  // also how soon a signal is noticed
      if (due) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*due - now) +
                                         std::chrono::milliseconds(1));
      auto push = client->next_push(std::max(wait, std::chrono::milliseconds(0)));
      if (!push) {
        log->warn("connection to the agent lost: {}; reconnecting", push.error().message);
        break;
      }
      if (!*push) continue;
      const auto& p = **push;
      if (p.event == "watcher") {
        if (auto r = notifier.on_watcher(p.data, Notifier::Clock::now()); !r) log->warn("{}", r.error().message);
      } else if (p.event == "lagged") {
        log->warn("fell behind: the agent dropped {} pushes for this client", p.data.value("dropped", 0));
      }
    }
  }
  notifier.flush(Notifier::Clock::now());
  log->info("stopped: notifications sent={} summaries={} failed={}", notifier.sent(), notifier.summaries(),
            notifier.failed());
  return 0;
}

}  // namespace sousveil::notify
