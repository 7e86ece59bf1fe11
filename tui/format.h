// SPDX-License-Identifier: Apache-2.0
// Text for a terminal: durations, rates and counts in few columns, and
// truncation by display width that never splits a character.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::tui {

// "3s", "4m12s", "2h05m", "3d"; negative durations (clock skew) read "0s".
std::string format_duration(double seconds);
// "999", "1.2k", "45k", "1.2M", "3.4G".
std::string format_count(std::uint64_t n);
// Events per second: "0/s", "12/s", "1.2k/s"; "<1/s" below one a second.
std::string format_rate(double per_second);
// Bytes per second: "512 B/s", "1.5 KiB/s", "12 MiB/s".
std::string format_byte_rate(double bytes_per_second);

// One character as drawn: sanitized UTF-8 and its columns.
struct Glyph {
  std::string text;
  int width;
};
// The sanitized characters of a UTF-8 string (see sanitize).
std::vector<Glyph> to_glyphs(std::string_view utf8);
// Word-wraps to lines of at most `width` columns; words longer than a line are split.
std::vector<std::string> wrap(std::string_view utf8, int width);

// Columns one code point takes: 0 (combining), 1, or 2 (East Asian wide, emoji).
int char_width(char32_t c);
// Columns a UTF-8 string takes once sanitized (invalid bytes count as one U+FFFD).
int display_width(std::string_view utf8);
// The text with invalid UTF-8 replaced by U+FFFD and control characters
// (C0, DEL, C1: what a watched program could use to drive the terminal) by '?'.
std::string sanitize(std::string_view utf8);
// At most `width` columns: the text itself, or its head followed by "…".
std::string truncate_end(std::string_view utf8, int width);
// At most `width` columns, keeping both ends: "/usr/lib/…/bin/agent".
std::string truncate_middle(std::string_view utf8, int width);
// Exactly `width` columns: truncated with "…" or padded with spaces.
std::string fit(std::string_view utf8, int width);
// Exactly `width` columns, right-aligned.
std::string fit_right(std::string_view utf8, int width);

// RFC 3339 UTC ("2026-11-29T10:00:00.123456789Z", "+00:00" also taken) to
// unix seconds; nullopt when it is not one.
std::optional<double> parse_rfc3339(std::string_view text);
// Unix seconds as "2026-11-29 10:00:00" UTC.
std::string format_utc(double unix_seconds);

}  // namespace sousveil::tui
