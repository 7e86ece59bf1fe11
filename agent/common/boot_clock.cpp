// SPDX-License-Identifier: Apache-2.0
#include "common/boot_clock.h"

#include <time.h>

#include <cstdio>

namespace sousveil {
namespace {

std::uint64_t read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

BootClock::BootClock() : m_offset_ns(read_clock(CLOCK_REALTIME) - read_clock(CLOCK_BOOTTIME)) {}

std::uint64_t BootClock::now_boot_ns() { return read_clock(CLOCK_BOOTTIME); }

std::string BootClock::format_unix_ns(std::uint64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000ULL);
  auto micros = static_cast<unsigned>((unix_ns % 1'000'000'000ULL) / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
  return buf;
}

}  // namespace sousveil
