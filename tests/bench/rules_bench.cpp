// SPDX-License-Identifier: Apache-2.0
// Events matched per second against the full shipped ruleset, with a mix of
// event kinds as a workstation produces them. Measures and prints; no limits.
#include <benchmark/benchmark.h>

#include <vector>

#include "rules/defaults.h"
#include "rules/engine.h"
#include "rules/event_fields.h"
#include "rules/loader.h"

namespace sousveil {
namespace {

EnrichedEvent device_event(DeviceClass cls, std::string path, std::string exe, std::string comm, int err = 0) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::DeviceOpen;
  DeviceAccess d;
  d.device_class = cls;
  d.path = std::move(path);
  d.name = d.path.substr(d.path.rfind('/') + 1);
  d.err = err;
  d.major = 7;
  ev.raw.payload = d;
  ev.process.pid = 4242;
  ev.process.comm = std::move(comm);
  ev.process.exe = std::move(exe);
  ev.process.cmdline = {ev.process.comm, "--flag", "value"};
  ev.process.user = "alice";
  ev.process.unit = "session-2.scope";
  ev.process.ancestry = {{4000, "bash", "/usr/bin/bash"}, {3000, "sshd", "/usr/sbin/sshd"}, {1, "systemd", "/usr/lib/systemd/systemd"}};
  return ev;
}

// Mostly the system's own stack and terminals (excepted), some capture.
std::vector<EnrichedEvent> event_mix() {
  return {
      device_event(DeviceClass::Pty, "/dev/pts/3", "/usr/bin/tmux", "tmux"),
      device_event(DeviceClass::Pty, "/dev/pts/4", "/usr/sbin/sshd", "sshd"),
      device_event(DeviceClass::Input, "/dev/input/event3", "/usr/lib/xorg/Xorg", "Xorg"),
      device_event(DeviceClass::Input, "/dev/input/event3", "/usr/bin/evtest", "evtest"),
      device_event(DeviceClass::Vcs, "/dev/vcs", "/usr/bin/head", "head"),
      device_event(DeviceClass::Sound, "/dev/snd/pcmC0D0p", "/usr/bin/pipewire", "pipewire"),
      device_event(DeviceClass::Input, "/tmp/k/event0", "/usr/bin/cat", "cat", 6),
      device_event(DeviceClass::Drm, "/dev/dri/renderD128", "/usr/bin/gnome-shell", "gnome-shell"),
  };
}

void BM_MatchShippedRules(benchmark::State& state) {
  auto loaded = rules::load_rules({rules::shipped_rules_dir()});
  if (!loaded.ok()) {
    state.SkipWithError(loaded.format_errors().c_str());
    return;
  }
  rules::RuleEngine engine(loaded.ruleset);
  auto events = event_mix();
  std::size_t i = 0, findings = 0;
  for (auto _ : state) {
    const auto& ev = events[i++ % events.size()];
    rules::EnrichedEventFields fields(ev);
    auto out = engine.evaluate(fields, to_string(ev.raw.kind), ev.process.product);
    findings += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["rules"] = static_cast<double>(loaded.ruleset->rules().size());
  state.counters["findings_per_event"] =
      static_cast<double>(findings) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
}
BENCHMARK(BM_MatchShippedRules);

void BM_LoadShippedRules(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = rules::load_rules({rules::shipped_rules_dir()});
    benchmark::DoNotOptimize(loaded);
  }
}
BENCHMARK(BM_LoadShippedRules)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sousveil

BENCHMARK_MAIN();
