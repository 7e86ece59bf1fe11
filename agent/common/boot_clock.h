// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace sousveil {

// Converts the kernel's boot-time nanoseconds into wall-clock time. The offset
// is taken once; a later change of the wall clock does not move old events.
class BootClock {
 public:
  BootClock();
  static std::uint64_t now_boot_ns();
  std::uint64_t to_unix_ns(std::uint64_t boot_ns) const { return boot_ns + m_offset_ns; }
  // RFC 3339 in UTC with microseconds: 2026-11-29T07:12:03.123456Z
  static std::string format_unix_ns(std::uint64_t unix_ns);

 private:
  std::uint64_t m_offset_ns;
};

}  // namespace sousveil
