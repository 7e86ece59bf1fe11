// SPDX-License-Identifier: Apache-2.0
// What the person has chosen (page, selection, filter, detail pane) and how
// keys change it. Pure: the main loop feeds keys, the frame reads the state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tui/model.h"

namespace sousveil::tui {

enum class Page : std::uint8_t { Watchers, History, Posture, Health, BlindSpots };
inline constexpr int kPageCount = 5;
std::string_view page_title(Page p);

struct UiState {
  Page page = Page::Watchers;
  bool help = false;
  std::optional<std::uint64_t> selected_id;  // follows the watcher when the list reorders
  bool pinned = false;  // the person moved off the top: keep their watcher; else the newest stays selected
  int selected = 0;                          // index into the visible (filtered) rows
  int scroll = 0;                            // first visible row of the list or page
  std::optional<bool> detail_open;           // nullopt: the size decides (detail_default)
  bool detail_default = false;               // detail_by_default() at the current size
  int detail_scroll = 0;
  std::string filter;
  bool editing_filter = false;
  std::string history_category;  // "" for every category
  bool unicode = true;           // the terminal takes UTF-8: "●" rather than "*"
  bool colour = false;
};

// Keys the loop passes on. Printable characters are their own code.
enum Key : int {
  kKeyUp = 0x110000,
  kKeyDown,
  kKeyPageUp,
  kKeyPageDown,
  kKeyHome,
  kKeyEnd,
  kKeyEnter,
  kKeyEscape,
  kKeyTab,
  kKeyBackTab,
  kKeyBackspace,
  kKeyLeft,
  kKeyRight,
  kKeyResize,  // the terminal changed size
};

enum class Action : std::uint8_t { None, Redraw, Quit, LoadHistory };

// The watchers the list shows under the current filter (the posture page
// lists the posture ones).
std::vector<const WatcherRow*> visible_watchers(const Snapshot& snap, const UiState& ui);
std::vector<const HistoryRowView*> visible_history(const Snapshot& snap, const UiState& ui);
bool matches_filter(const WatcherRow& w, const std::string& filter);

// Applies one key. list_rows: rows the list shows (for PgUp/PgDn).
Action handle_key(UiState& ui, int key, const Snapshot& snap, int list_rows);
// Keeps the selection on the same watcher after the list changed, and in range.
void follow_selection(UiState& ui, const Snapshot& snap, int list_rows);

}  // namespace sousveil::tui
