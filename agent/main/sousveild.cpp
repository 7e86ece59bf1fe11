// SPDX-License-Identifier: Apache-2.0
// sousveild: the agent, in the foreground. Logs each sensitive event and serves the socket API.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "api/agent_adapter.h"
#include "common/logging.h"
#include "core/runner.h"
#include "output/event_json.h"

namespace {

class LogSink final : public sousveil::EventSink {
 public:
  void on_event(const sousveil::EnrichedEvent& ev, const std::vector<sousveil::rules::Finding>& findings) override {
    m_log->info("event {} findings={}", sousveil::to_pretty_line(ev, m_clock), findings.size());
  }
  void on_lost(std::string_view category, std::uint64_t count) override {
    m_log->warn("events lost: category={} count={}", category, count);
  }

 private:
  std::shared_ptr<spdlog::logger> m_log = sousveil::logging::get("events");
  sousveil::BootClock m_clock;
};

}  // namespace

int main(int argc, char** argv) {
  sousveil::RunOptions run;
  sousveil::api::ServerOptions api;
  bool serve = true;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "--no-bpf") run.agent.use_bpf = false;
    else if (a == "--rules" && i + 1 < argc) run.agent.rule_sources.emplace_back(argv[++i]);
    else if (a == "--foreground") continue;  // the only mode until the service exists
    else if (a == "--socket" && i + 1 < argc) api.socket_path = argv[++i];
    else if (a == "--socket-group" && i + 1 < argc) api.group = argv[++i];
    else if (a == "--no-socket") serve = false;
    else {
      std::fprintf(stderr,
                   "sousveild: unknown flag '%s' (known: --no-bpf, --rules PATH, --socket PATH, --socket-group NAME, "
                   "--no-socket, --foreground, -v)\n",
                   argv[i]);
      return 2;
    }
  }
  sousveil::logging::init(sousveil::logging::Sink::Stderr,
                          verbose ? spdlog::level::debug : spdlog::level::info);
  LogSink log_sink;
  sousveil::api::ApiSink sink(&log_sink);
  boost::asio::io_context io(1);
  run.io = &io;
  // The socket is claimed before the sensors load, so a second agent fails fast.
  sousveil::api::AgentBackend backend;
  std::unique_ptr<sousveil::api::Server> server;
  if (serve) {
    api.version = SOUSVEIL_VERSION;
    server = std::make_unique<sousveil::api::Server>(io, api, backend);
    if (auto r = server->start(); !r) {
      sousveil::logging::get("api")->critical("cannot serve the socket API: {}", r.error().message);
      return 1;
    }
    sink.set_server(server.get());
  }
  run.on_ready = [&](sousveil::Agent& agent) { backend.attach(agent); };
  run.on_finish = [](const sousveil::Status& st) {
    sousveil::logging::get("agent")->info("stopped: {}", sousveil::to_json(st).dump());
  };
  int rc = sousveil::run_agent(run, sink);
  if (server) server->stop();
  return rc;
}
