// SPDX-License-Identifier: Apache-2.0
// A small agent stand-in for the kill -9 test: appends findings to a history in
// bursts and prints "durable SEQ N" on stdout once finding N is committed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/logging.h"
#include "store/store.h"
#include "store/store_sink.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB ROUND\n", argv[0]);
    return 2;
  }
  using namespace sousveil;
  logging::init(logging::Sink::Stderr, spdlog::level::warn);
  store::StoreOptions options;
  options.path = argv[1];
  auto opened = store::Store::open(options);
  if (!opened) {
    std::fprintf(stderr, "store_writer: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& st = **opened;
  const int round = std::atoi(argv[2]);
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  st.append(store::agent_record(true, "test", now()));
  for (std::uint64_t n = 1; n <= 1'000'000; ++n) {
    store::Record r;
    r.kind = store::RecordKind::Finding;
    r.time_ns = now();
    r.category = "keystrokes";
    r.rule = "input-device-open";
    r.severity = "high";
    r.pid = static_cast<std::uint32_t>(::getpid());
    r.uid = 0;
    r.exe = "/usr/bin/store_writer";
    r.json = "{\"round\":" + std::to_string(round) + ",\"n\":" + std::to_string(n) +
             ",\"object\":\"/dev/input/event3\",\"explanation\":\"a burst of findings for the kill test\"}";
    st.append(std::move(r), [n](sousveil::Result<std::uint64_t> seq) {
      if (!seq) return;
      // One write(2) per line: the reader sees whole lines, and nothing waits in a stdio buffer.
      std::string line = "durable " + std::to_string(*seq) + " " + std::to_string(n) + "\n";
      if (::write(STDOUT_FILENO, line.data(), line.size()) < 0) std::_Exit(3);
    });
    if (n % 256 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  st.close();
  return 0;
}
