// SPDX-License-Identifier: Apache-2.0
// Findings per second committed to the history (SQLite WAL + hash chain), the
// cost of append() on the caller's thread, and verify's speed. Prints; never asserts time.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/logging.h"
#include "store/store.h"

namespace {

using namespace sousveil;
using Clock = std::chrono::steady_clock;

// CPU seconds of this process (all threads): on a shared machine the wall clock
// also measures everyone else.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

store::Record given_finding(std::uint64_t n) {
  store::Record r;
  r.kind = store::RecordKind::Finding;
  r.time_ns = 1'795'946'400'000'000'000LL + static_cast<std::int64_t>(n) * 1000;
  r.category = "keystrokes";
  r.rule = "input-device-open";
  r.severity = "high";
  r.pid = 4000 + static_cast<std::uint32_t>(n % 64);
  r.uid = 1000;
  r.exe = "/usr/bin/logkeys";
  // About the size of a real finding push (process, object, explanation).
  r.json = R"({"rule":"input-device-open","title":"Opens a keyboard","category":"keystrokes","severity":"high",)"
           R"("explanation":"logkeys (pid )" + std::to_string(*r.pid) +
           R"() opened /dev/input/event3, the keyboard: it can see every key you type","product":"",)"
           R"("kind":"device_open","time":"2026-11-29T10:00:00.000000Z","process":{"pid":)" +
           std::to_string(*r.pid) +
           R"(,"start_ticks":55836,"comm":"logkeys","exe":"/usr/bin/logkeys","cmdline":["logkeys","-s"],)"
           R"("uid":1000,"user":"alice","unit":"session-2.scope","package":"logkeys"},"object":"/dev/input/event3","n":)" +
           std::to_string(n) + "}";
  return r;
}

void run(const std::filesystem::path& dir, bool full, std::size_t batch, std::uint64_t count) {
  std::filesystem::remove_all(dir);
  store::StoreOptions o;
  o.path = dir / "history.db";
  o.synchronous_full = full;
  o.batch_rows = batch;
  o.queue_capacity = count + 16;  // measure the store, not drops
  auto s = store::Store::open(o);
  if (!s) {
    std::fprintf(stderr, "store_bench: %s\n", s.error().message.c_str());
    std::exit(1);
  }
  std::vector<store::Record> records;
  records.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) records.push_back(given_finding(i));

  const double c0 = cpu_seconds();
  auto t0 = Clock::now();
  for (auto& r : records) (*s)->append(std::move(r));
  auto t1 = Clock::now();
  (*s)->flush();
  auto t2 = Clock::now();
  const double cpu = cpu_seconds() - c0;
  auto st = (*s)->stats();
  double secs = std::chrono::duration<double>(t2 - t0).count();
  double append_ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(count);
  std::printf("synchronous=%-6s batch=%-5zu %8llu findings in %6.3f s: %9.0f findings/s committed, "
              "%llu commits, append() %.0f ns/call, dropped %llu, db %.1f MiB\n"
              "  cpu %.3f s: %.0f findings per cpu-second\n",
              full ? "FULL" : "NORMAL", batch, static_cast<unsigned long long>(st.rows_committed), secs,
              static_cast<double>(st.rows_committed) / secs, static_cast<unsigned long long>(st.commits), append_ns,
              static_cast<unsigned long long>(st.dropped),
              static_cast<double>(std::filesystem::file_size(o.path)) / (1 << 20), cpu,
              static_cast<double>(st.rows_committed) / cpu);

  auto v0 = Clock::now();
  auto rep = (*s)->verify();
  auto v1 = Clock::now();
  if (rep && rep->ok)
    std::printf("  verify: %llu rows in %.3f s (%.0f rows/s)\n", static_cast<unsigned long long>(rep->rows),
                std::chrono::duration<double>(v1 - v0).count(),
                static_cast<double>(rep->rows) / std::chrono::duration<double>(v1 - v0).count());
  else
    std::printf("  verify FAILED: %s\n", rep ? rep->detail.c_str() : rep.error().message.c_str());
  store::HistoryQuery q;
  q.category = "keystrokes";
  q.pid = 4010;
  q.limit = 1000;
  auto q0 = Clock::now();
  auto res = (*s)->query(q);
  auto q1 = Clock::now();
  std::printf("  query (category+pid, limit 1000): %zu rows in %.1f ms\n", res.rows.size(),
              std::chrono::duration<double, std::milli>(q1 - q0).count());
}

}  // namespace

int main(int argc, char** argv) {
  logging::init(logging::Sink::Stderr, spdlog::level::warn);
  std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  char tmpl[] = "/tmp/sv-store-bench-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  run(dir / "a", true, 512, count);
  run(dir / "b", false, 512, count);
  run(dir / "c", true, 4096, count);
  std::filesystem::remove_all(dir);
  return 0;
}
