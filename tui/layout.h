// SPDX-License-Identifier: Apache-2.0
// Where each part of the dashboard goes: a pure function of the terminal
// size, so every size from 80x24 to 300x100 can be checked in a unit test.
#pragma once

namespace sousveil::tui {

struct Rect {
  int y = 0;
  int x = 0;
  int h = 0;
  int w = 0;
  bool empty() const { return h <= 0 || w <= 0; }
  int bottom() const { return y + h; }  // one past the last row
  int right() const { return x + w; }   // one past the last column
  bool operator==(const Rect&) const = default;
};

struct Layout {
  Rect strip;   // one indicator per category (one or two rows)
  Rect tabs;    // the view names: 1 Watchers 2 History ...
  Rect list;    // the main list or the current page, header row included
  Rect detail;  // the selected watcher; empty when closed or no room
  Rect health;  // never hidden: sensors, mode, events lost, connection
  Rect footer;  // keys
  bool detail_beside = false;  // wide terminals: detail to the right of the list
  bool too_small = false;      // below kMinRows x kMinCols: only a message and the health line
};

inline constexpr int kMinRows = 10;
inline constexpr int kMinCols = 40;
// The strip fits on one row from this width on (see view.cpp's indicator labels).
inline constexpr int kStripOneRowCols = 80;
// From this width on the detail pane sits beside the list.
inline constexpr int kDetailBesideCols = 160;

// detail_open: the person asked for the detail pane (Enter), or the terminal
// is large enough to show it anyway (see want_detail).
Layout compute_layout(int rows, int cols, bool detail_open);
// Whether the detail pane is shown without asking at this size.
bool detail_by_default(int rows, int cols);

}  // namespace sousveil::tui
