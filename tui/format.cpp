// SPDX-License-Identifier: Apache-2.0
#include "tui/format.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <cwchar>
#include <vector>

namespace sousveil::tui {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr std::string_view kEllipsis = "\u2026";

// One decoded code point and how many bytes it took; invalid input decodes
// as U+FFFD over one byte, so decoding always advances.
struct Decoded {
  char32_t cp;
  std::size_t len;
};

Decoded decode(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {b, 1};
  std::size_t len = 0;
  char32_t cp = 0;
  if ((b & 0xE0) == 0xC0) len = 2, cp = b & 0x1F;
  else if ((b & 0xF0) == 0xE0) len = 3, cp = b & 0x0F;
  else if ((b & 0xF8) == 0xF0) len = 4, cp = b & 0x07;
  else return {kReplacement, 1};
  if (i + len > s.size()) return {kReplacement, 1};
  for (std::size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {kReplacement, 1};
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not characters.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {kReplacement, 1};
  return {cp, len};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_control(char32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0); }

}  // namespace

std::vector<Glyph> to_glyphs(std::string_view s) {
  std::vector<Glyph> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto d = decode(s, i);
    i += d.len;
    char32_t cp = is_control(d.cp) ? U'?' : d.cp;
    Glyph g{{}, char_width(cp)};
    append_utf8(g.text, cp);
    out.push_back(std::move(g));
  }
  return out;
}

namespace {

std::vector<Glyph> glyphs(std::string_view s) { return to_glyphs(s); }

// Fallback widths when the C library's locale is not UTF-8 (wcwidth then
// refuses everything past ASCII): wide East Asian blocks and emoji, zero for
// combining marks.
int table_width(char32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F)) return 0;
  if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
      (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
      (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
      (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
    return 2;
  return 1;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds > 0)) return "0s";
  auto s = static_cast<std::uint64_t>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d", s / 86400);
}

std::string format_count(std::uint64_t n) {
  if (n < 1000) return std::to_string(n);
  constexpr const char* kSuffix[] = {"k", "M", "G", "T", "P"};
  double v = static_cast<double>(n);
  int i = -1;
  while (v >= 1000 && i < 4) v /= 1000, ++i;
  // One decimal below 10 ("1.2k"), none above ("45k").
  if (v < 9.95) return fmt::format("{:.1f}{}", v, kSuffix[i]);
  if (v >= 999.5 && i < 4) return fmt::format("1.0{}", kSuffix[i + 1]);
  return fmt::format("{:.0f}{}", v, kSuffix[i]);
}

std::string format_rate(double per_second) {
  if (!(per_second > 0)) return "0/s";
  if (per_second < 1) return "<1/s";
  return format_count(static_cast<std::uint64_t>(std::llround(per_second))) + "/s";
}

std::string format_byte_rate(double bps) {
  if (!(bps > 0)) return "0 B/s";
  constexpr const char* kUnit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (bps >= 1024 && i < 4) bps /= 1024, ++i;
  if (i == 0) return fmt::format("{:.0f} B/s", bps);
  if (bps < 9.95) return fmt::format("{:.1f} {}/s", bps, kUnit[i]);
  return fmt::format("{:.0f} {}/s", bps, kUnit[i]);
}

int char_width(char32_t c) {
  if (c < 0x80) return 1;  // control characters are shown as '?' by sanitize
  int w = ::wcwidth(static_cast<wchar_t>(c));
  if (w >= 0) return w;
  return table_width(c);
}

int display_width(std::string_view utf8) {
  int w = 0;
  for (const auto& g : glyphs(utf8)) w += g.width;
  return w;
}

std::string sanitize(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (const auto& g : glyphs(utf8)) out += g.text;
  return out;
}

std::string truncate_end(std::string_view utf8, int width) {
  if (width <= 0) return {};
  auto gs = glyphs(utf8);
  int total = 0;
  for (const auto& g : gs) total += g.width;
  std::string out;
  if (total <= width) {
    for (const auto& g : gs) out += g.text;
    return out;
  }
  int used = 0;
  for (const auto& g : gs) {
    if (used + g.width > width - 1) break;
    out += g.text;
    used += g.width;
  }
  out += kEllipsis;
  return out;
}

std::string truncate_middle(std::string_view utf8, int width) {
  if (width <= 0) return {};
  auto gs = glyphs(utf8);
  int total = 0;
  for (const auto& g : gs) total += g.width;
  std::string out;
  if (total <= width) {
    for (const auto& g : gs) out += g.text;
    return out;
  }
  if (width < 3) return truncate_end(utf8, width);
  // The tail (the file name) matters more than the head: give it the larger half.
  int budget = width - 1;
  int head_budget = budget / 2 - (budget % 2 == 0 ? 1 : 0);
  if (head_budget < 1) head_budget = 1;
  int tail_budget = budget - head_budget;
  std::string head;
  int used = 0;
  std::size_t h = 0;
  for (; h < gs.size() && used + gs[h].width <= head_budget; ++h) head += gs[h].text, used += gs[h].width;
  tail_budget = budget - used;
  std::vector<const Glyph*> tail;
  int tused = 0;
  for (std::size_t t = gs.size(); t > h && tused + gs[t - 1].width <= tail_budget; --t) {
    tail.push_back(&gs[t - 1]);
    tused += gs[t - 1].width;
  }
  out = head;
  out += kEllipsis;
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) out += (*it)->text;
  return out;
}

std::string fit(std::string_view utf8, int width) {
  std::string out = truncate_end(utf8, width);
  int w = display_width(out);
  if (w < width) out.append(static_cast<std::size_t>(width - w), ' ');
  return out;
}

std::string fit_right(std::string_view utf8, int width) {
  std::string t = truncate_end(utf8, width);
  int w = display_width(t);
  return std::string(static_cast<std::size_t>(std::max(0, width - w)), ' ') + t;
}

std::vector<std::string> wrap(std::string_view utf8, int width) {
  std::vector<std::string> out;
  if (width <= 0) return out;
  // Paragraphs keep their breaks.
  if (auto nl = utf8.find('\n'); nl != std::string_view::npos) {
    out = wrap(utf8.substr(0, nl), width);
    for (auto& l : wrap(utf8.substr(nl + 1), width)) out.push_back(std::move(l));
    return out;
  }
  auto gs = glyphs(utf8);
  std::string line, word;
  int line_w = 0, word_w = 0;
  auto flush_word = [&] {
    if (word.empty()) return;
    if (line_w > 0 && line_w + 1 + word_w > width) {
      out.push_back(line);
      line.clear();
      line_w = 0;
    }
    if (line_w > 0) line += ' ', ++line_w;
    line += word;
    line_w += word_w;
    word.clear();
    word_w = 0;
  };
  for (const auto& g : gs) {
    if (g.text == " ") {
      flush_word();
      continue;
    }
    if (word_w + g.width > width) {  // a word longer than a line: split it
      flush_word();
      if (line_w > 0) {
        out.push_back(line);
        line.clear();
        line_w = 0;
      }
    }
    word += g.text;
    word_w += g.width;
  }
  flush_word();
  if (!line.empty() || out.empty()) out.push_back(line);
  return out;
}

std::optional<double> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00)
  if (s.size() < 20) return std::nullopt;
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    out = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = s[pos + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' || !digits(8, 2, D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, m) ||
      s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') frac += (s[i++] - '0') * scale, scale /= 10;
    if (i == start) return std::nullopt;
  }
  std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<double>(timegm(&tm)) + frac;
}

std::string format_utc(double unix_seconds) {
  std::time_t t = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace sousveil::tui
