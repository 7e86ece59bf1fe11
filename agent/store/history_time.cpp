// SPDX-License-Identifier: Apache-2.0
#include "store/history_time.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace sousveil::store {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

Error bad(std::string_view text) {
  return make_error("'" + std::string(text) +
                    "' is not a time: use RFC 3339 (2026-11-29T10:00:00Z) or unix seconds (1795946400)");
}

}  // namespace

Result<std::int64_t> parse_history_time(std::string_view text) {
  if (text.empty()) return bad(text);
  if (text.find('-') == std::string_view::npos || text.find('T') == std::string_view::npos) {
    double secs = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(secs) || secs < 0 || secs > 1e11)
      return bad(text);
    return static_cast<std::int64_t>(std::llround(secs * 1e9));
  }
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2, month) ||
      text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second))
    return bad(text);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad(text);
  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = kNsPerSecond / 10;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      frac_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad(text);
  }
  std::int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59)
      return bad(text);
    offset_s = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad(text);  // a time without a zone is ambiguous
  }
  if (pos != text.size()) return bad(text);
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = ::timegm(&tm);
  if (tm.tm_mday != day) return bad(text);  // 2026-02-31 rolled over
  const std::int64_t secs = static_cast<std::int64_t>(t) - offset_s;
  if (secs < 0) return bad(text);
  return secs * kNsPerSecond + frac_ns;
}

}  // namespace sousveil::store
