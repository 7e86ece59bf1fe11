// SPDX-License-Identifier: Apache-2.0
// sousveild: the agent, in the foreground. Logs each sensitive event.
#include <cstdio>
#include <string>
#include <vector>

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
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "--no-bpf") run.agent.use_bpf = false;
    else if (a == "--rules" && i + 1 < argc) run.agent.rule_sources.emplace_back(argv[++i]);
    else if (a == "--foreground") continue;  // the only mode until the service exists
    else {
      std::fprintf(stderr, "sousveild: unknown flag '%s' (known: --no-bpf, --rules PATH, --foreground, -v)\n", argv[i]);
      return 2;
    }
  }
  sousveil::logging::init(sousveil::logging::Sink::Stderr,
                          verbose ? spdlog::level::debug : spdlog::level::info);
  LogSink sink;
  run.on_finish = [](const sousveil::Status& st) {
    sousveil::logging::get("agent")->info("stopped: {}", sousveil::to_json(st).dump());
  };
  return sousveil::run_agent(run, sink);
}
