// SPDX-License-Identifier: Apache-2.0
// One screenful as text and styles, composed from a Snapshot without ncurses:
// the view compares it with the previous frame and redraws only changed lines,
// and unit tests read it as text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tui/layout.h"
#include "tui/model.h"
#include "tui/ui.h"

namespace sousveil::tui {

enum class Style : std::uint8_t {
  Normal,
  Dim,       // ended watchers, unlit indicators
  Bold,
  Header,    // column headers, section titles
  Selected,  // the selected row, the current tab
  LitLow,    // a lit indicator by the worst severity of its watchers
  LitMedium,
  LitHigh,
  Good,
  Warn,
  Bad,
  Key,  // key names in the footer
};

struct Cell {
  std::string glyph = " ";  // one character (UTF-8); "" for the right half of a wide one
  Style style = Style::Normal;
  bool operator==(const Cell&) const = default;
};

struct Frame {
  int rows = 0;
  int cols = 0;
  std::vector<std::vector<Cell>> lines;

  Frame(int r, int c);
  // Writes text at (y, x), clipped to [x, limit) columns; returns the column after it.
  int put(int y, int x, std::string_view utf8, Style style, int limit = -1);
  void fill(int y, int x, int w, Style style);  // sets the style of a run of cells
  std::string text(int y) const;  // the row as UTF-8, trailing spaces kept
  std::string text() const;       // every row, "\n" after each
};

// The whole screen for this state. now: unix seconds (for "since" columns).
Frame compose(const Snapshot& snap, const UiState& ui, int rows, int cols, double now);
// The rows the list shows at this size (for PgUp/PgDn and scrolling).
int list_rows(const UiState& ui, int rows, int cols);

// Keeps the scroll of text pages and of the detail pane within their text.
void clamp_scroll(UiState& ui, const Snapshot& snap, int rows, int cols, double now);

// Parts shared with --once.
std::string indicator_text(const Indicator& ind, bool unicode);
std::string health_text(const Health& h);
// The detail of one watcher as lines of plain text (wrapped to width).
std::vector<std::pair<std::string, Style>> detail_lines(const WatcherRow& w, int width, double now);
// Severity in four columns, upper case from high up so it reads without colour.
std::string severity_short(Severity s);

}  // namespace sousveil::tui
