// SPDX-License-Identifier: Apache-2.0
// The dashboard's per-update cost: folding a push, building the snapshot,
// composing a frame, and how many lines a typical update changes.
#include <benchmark/benchmark.h>

#include <clocale>

#include "tui/frame.h"
#include "tui/model.h"

namespace {

using nlohmann::json;
using namespace sousveil::tui;

constexpr double kNow = 1795946400.0;

json watcher(std::uint64_t id, const char* state = "active") {
  static const char* kCats[] = {"keystrokes", "screen", "camera", "microphone", "clipboard", "terminal"};
  json w = {{"id", id},
            {"state", state},
            {"rule", "vcs-read"},
            {"title", "Reads the text of the virtual consoles"},
            {"category", kCats[id % 6]},
            {"severity", "high"},
            {"explanation", "head (/usr/bin/head) opened /dev/vcs: it can read everything shown on the text consoles."},
            {"process", {{"pid", 1000 + id}, {"comm", "head"}, {"exe", "/usr/bin/head"}, {"user", "root"}}},
            {"first_seen", "2026-11-29T09:55:48.000000000Z"},
            {"last_seen", "2026-11-29T09:59:58.000000000Z"},
            {"count", 42},
            {"evidence", {"/dev/vcs"}}};
  if (std::string(state) == "ended") w["ended"] = "2026-11-29T09:58:00Z", w["end_reason"] = "process exited";
  return w;
}

DashModel given_model(int watchers) {
  DashModel m;
  json list = json::array();
  for (int i = 0; i < watchers; ++i) list.push_back(watcher(i, i % 3 ? "ended" : "active"));
  m.on_connected();
  m.on_watchers(json{{"watchers", list}});
  return m;
}

void BM_FoldWatcherPush(benchmark::State& st) {
  DashModel m = given_model(static_cast<int>(st.range(0)));
  json p = {{"v", 1}, {"event", "watcher"}, {"data", watcher(100000)}};
  for (auto _ : st) benchmark::DoNotOptimize(m.on_push(p));
}
BENCHMARK(BM_FoldWatcherPush)->Arg(10)->Arg(200);

void BM_Snapshot(benchmark::State& st) {
  DashModel m = given_model(static_cast<int>(st.range(0)));
  json p = {{"v", 1}, {"event", "watcher"}, {"data", watcher(100000)}};
  for (auto _ : st) {
    m.on_push(p);  // invalidates the cached snapshot
    benchmark::DoNotOptimize(m.snapshot());
  }
}
BENCHMARK(BM_Snapshot)->Arg(10)->Arg(200);

void BM_Compose(benchmark::State& st) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  DashModel m = given_model(200);
  auto snap = m.snapshot();
  UiState ui;
  int rows = static_cast<int>(st.range(0)), cols = static_cast<int>(st.range(1));
  for (auto _ : st) benchmark::DoNotOptimize(compose(*snap, ui, rows, cols, kNow));
}
BENCHMARK(BM_Compose)->Args({24, 80})->Args({40, 120})->Args({100, 300});

// Lines a new watcher changes at 120x40 (what the view redraws), reported as a counter.
void BM_LinesChangedByANewWatcher(benchmark::State& st) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  DashModel m = given_model(20);
  UiState ui;
  Frame before = compose(*m.snapshot(), ui, 40, 120, kNow);
  m.on_push(json{{"v", 1}, {"event", "watcher"}, {"data", watcher(500)}});
  Frame after = compose(*m.snapshot(), ui, 40, 120, kNow);
  int changed = 0;
  for (auto _ : st) {
    changed = 0;
    for (int y = 0; y < after.rows; ++y) changed += before.lines[y] == after.lines[y] ? 0 : 1;
    benchmark::DoNotOptimize(changed);
  }
  st.counters["lines_changed"] = changed;
  st.counters["lines"] = after.rows;
}
BENCHMARK(BM_LinesChangedByANewWatcher);

}  // namespace

BENCHMARK_MAIN();
