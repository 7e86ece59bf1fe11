// SPDX-License-Identifier: Apache-2.0
#include "tui/layout.h"

#include <algorithm>

namespace sousveil::tui {

bool detail_by_default(int rows, int cols) { return cols >= kDetailBesideCols || rows >= 40; }

Layout compute_layout(int rows, int cols, bool detail_open) {
  Layout l;
  rows = std::max(rows, 0);
  cols = std::max(cols, 0);
  // The bottom two rows are the footer and the health line at every size:
  // the health line is never hidden.
  if (rows >= 1) l.footer = {rows - 1, 0, 1, cols};
  if (rows >= 2) l.health = {rows - 2, 0, 1, cols};
  if (rows < kMinRows || cols < kMinCols) {
    l.too_small = true;
    if (rows >= 3) l.list = {0, 0, rows - 2, cols};
    return l;
  }
  int strip_h = cols >= kStripOneRowCols ? 1 : 2;
  l.strip = {0, 0, strip_h, cols};
  l.tabs = {strip_h, 0, 1, cols};
  int top = strip_h + 1;
  int middle = l.health.y - top;  // rows between the tabs and the health line

  if (!detail_open) {
    l.list = {top, 0, middle, cols};
    return l;
  }
  if (cols >= kDetailBesideCols) {
    // The list keeps room for its columns; the detail pane takes the rest
    // (plus one column for the separator).
    int list_w = std::clamp(cols * 11 / 20, 100, cols - 50);
    l.list = {top, 0, middle, list_w};
    l.detail = {top, list_w + 1, middle, cols - list_w - 1};
    l.detail_beside = true;
    return l;
  }
  // Stacked: the list keeps at least a header and four rows, the detail pane
  // gets what is left but no more than it can use (about two thirds).
  int list_h = std::max(5, middle * 2 / 5);
  int detail_h = middle - list_h - 1;  // one row for the separator
  if (detail_h < 4) {
    l.list = {top, 0, middle, cols};
    return l;
  }
  l.list = {top, 0, list_h, cols};
  l.detail = {top + list_h + 1, 0, detail_h, cols};
  return l;
}

}  // namespace sousveil::tui
