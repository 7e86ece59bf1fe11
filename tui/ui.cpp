// SPDX-License-Identifier: Apache-2.0
#include "tui/ui.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sousveil::tui {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view hay, const std::string& needle_lower) {
  return lower(hay).find(needle_lower) != std::string::npos;
}

int row_count(const Snapshot& snap, const UiState& ui) {
  switch (ui.page) {
    case Page::Watchers:
    case Page::Posture: return static_cast<int>(visible_watchers(snap, ui).size());
    case Page::History: return static_cast<int>(visible_history(snap, ui).size());
    default: return 0;
  }
}

// The categories the history page cycles through with 'c'.
constexpr std::array<std::string_view, 13> kHistoryCategories = {
    "",          "keystrokes",  "screen",    "camera",            "microphone",  "clipboard", "terminal",
    "process-memory", "kernel-hook", "injection", "session-recording", "remote-view", "posture"};

}  // namespace

std::string_view page_title(Page p) {
  switch (p) {
    case Page::Watchers: return "Watchers";
    case Page::History: return "History";
    case Page::Posture: return "Posture";
    case Page::Health: return "Health";
    case Page::BlindSpots: return "What cannot be seen";
  }
  return "";
}

bool matches_filter(const WatcherRow& w, const std::string& filter) {
  if (filter.empty()) return true;
  std::string f = lower(filter);
  return contains(w.program(), f) || contains(w.comm, f) || contains(w.exe, f) || contains(w.category, f) ||
         contains(w.user, f) || contains(w.product, f) || contains(w.rule, f) || contains(w.title, f) ||
         contains(std::to_string(w.pid), f);
}

std::vector<const WatcherRow*> visible_watchers(const Snapshot& snap, const UiState& ui) {
  std::vector<const WatcherRow*> out;
  const auto& rows = ui.page == Page::Posture ? snap.posture : snap.watchers;
  for (const auto& w : rows)
    if (matches_filter(w, ui.filter)) out.push_back(&w);
  return out;
}

std::vector<const HistoryRowView*> visible_history(const Snapshot& snap, const UiState& ui) {
  std::vector<const HistoryRowView*> out;
  std::string f = lower(ui.filter);
  for (const auto& r : snap.history.rows) {
    if (!ui.history_category.empty() && r.category != ui.history_category) continue;
    if (!f.empty() && !contains(r.exe, f) && !contains(r.category, f) && !contains(r.rule, f) &&
        !contains(r.kind, f) && !contains(r.summary, f))
      continue;
    out.push_back(&r);
  }
  return out;
}

void follow_selection(UiState& ui, const Snapshot& snap, int list_rows) {
  int n = row_count(snap, ui);
  if (ui.page == Page::Watchers || ui.page == Page::Posture) {
    auto rows = visible_watchers(snap, ui);
    if (!ui.pinned) ui.selected = 0;
    else if (ui.selected_id) {
      auto it = std::find_if(rows.begin(), rows.end(), [&](const WatcherRow* w) { return w->id == *ui.selected_id; });
      if (it != rows.end()) ui.selected = static_cast<int>(it - rows.begin());
    }
    ui.selected = std::clamp(ui.selected, 0, std::max(0, n - 1));
    ui.selected_id = n > 0 ? std::optional(rows[static_cast<std::size_t>(ui.selected)]->id) : std::nullopt;
  } else {
    ui.selected = std::clamp(ui.selected, 0, std::max(0, n - 1));
  }
  list_rows = std::max(1, list_rows);
  if (ui.page == Page::Watchers || ui.page == Page::Posture || ui.page == Page::History) {
    if (ui.selected < ui.scroll) ui.scroll = ui.selected;
    if (ui.selected >= ui.scroll + list_rows) ui.scroll = ui.selected - list_rows + 1;
    ui.scroll = std::clamp(ui.scroll, 0, std::max(0, n - list_rows));
  } else {
    ui.scroll = std::max(0, ui.scroll);
  }
}

Action handle_key(UiState& ui, int key, const Snapshot& snap, int list_rows) {
  if (ui.editing_filter) {
    if (key == kKeyEnter) ui.editing_filter = false;
    else if (key == kKeyEscape) ui.editing_filter = false, ui.filter.clear();
    else if (key == kKeyBackspace) {
      // Remove one whole UTF-8 character.
      while (!ui.filter.empty()) {
        unsigned char c = static_cast<unsigned char>(ui.filter.back());
        ui.filter.pop_back();
        if ((c & 0xC0) != 0x80) break;
      }
    } else if (key >= 0x20 && key < 0x110000 && key != 0x7F && ui.filter.size() < 64) {
      auto cp = static_cast<char32_t>(key);
      if (cp < 0x80) ui.filter += static_cast<char>(cp);
      else if (cp < 0x800) ui.filter += static_cast<char>(0xC0 | (cp >> 6)), ui.filter += static_cast<char>(0x80 | (cp & 0x3F));
      else if (cp < 0x10000)
        ui.filter += static_cast<char>(0xE0 | (cp >> 12)), ui.filter += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
            ui.filter += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      return Action::None;
    }
    ui.selected = 0;
    ui.scroll = 0;
    ui.pinned = false;
    ui.selected_id.reset();
    follow_selection(ui, snap, list_rows);
    return Action::Redraw;
  }
  if (ui.help) {
    // Any key closes the help; q still quits.
    ui.help = false;
    return key == 'q' ? Action::Quit : Action::Redraw;
  }
  int n = row_count(snap, ui);
  bool scroll_page = ui.page == Page::Health || ui.page == Page::BlindSpots;
  auto move_to = [&](int index) {
    if (scroll_page) {
      ui.scroll = std::max(0, index);
      return;
    }
    ui.selected = std::clamp(index, 0, std::max(0, n - 1));
    ui.pinned = ui.selected > 0;
    ui.selected_id.reset();
    if (ui.page == Page::Watchers || ui.page == Page::Posture) {
      auto rows = visible_watchers(snap, ui);
      if (!rows.empty()) ui.selected_id = rows[static_cast<std::size_t>(ui.selected)]->id;
    }
    ui.detail_scroll = 0;
  };
  int cur = scroll_page ? ui.scroll : ui.selected;
  int page = std::max(1, list_rows - 1);
  auto switch_page = [&](Page p) {
    Action a = (p == Page::History && ui.page != Page::History) ? Action::LoadHistory : Action::Redraw;
    ui.page = p;
    ui.pinned = false;
    ui.selected = 0;
    ui.scroll = 0;
    ui.selected_id.reset();
    ui.detail_scroll = 0;
    return a;
  };
  switch (key) {
    case 'q':
    case 'Q': return Action::Quit;
    case '?': ui.help = true; return Action::Redraw;
    case '/': ui.editing_filter = true; return Action::Redraw;
    case kKeyEscape:
      if (!ui.filter.empty()) ui.filter.clear();
      else if (ui.detail_open.value_or(ui.detail_default)) ui.detail_open = false;
      else return Action::None;
      break;
    case kKeyUp:
    case 'k': move_to(cur - 1); break;
    case kKeyDown:
    case 'j': move_to(cur + 1); break;
    case kKeyPageUp: move_to(cur - page); break;
    case kKeyPageDown: move_to(cur + page); break;
    case kKeyHome:
    case 'g': move_to(0); break;
    case kKeyEnd:
    case 'G': move_to(scroll_page ? 1 << 20 : n - 1); break;
    case kKeyEnter: ui.detail_open = !ui.detail_open.value_or(ui.detail_default); ui.detail_scroll = 0; break;
    case ']': ui.detail_scroll += 3; break;
    case '[': ui.detail_scroll = std::max(0, ui.detail_scroll - 3); break;
    case kKeyTab: return switch_page(static_cast<Page>((static_cast<int>(ui.page) + 1) % kPageCount));
    case kKeyBackTab: return switch_page(static_cast<Page>((static_cast<int>(ui.page) + kPageCount - 1) % kPageCount));
    case '1': case '2': case '3': case '4': case '5': return switch_page(static_cast<Page>(key - '1'));
    case 'c':
      if (ui.page != Page::History) return Action::None;
      {
        auto it = std::find(kHistoryCategories.begin(), kHistoryCategories.end(), ui.history_category);
        std::size_t next = it == kHistoryCategories.end() ? 0 : (static_cast<std::size_t>(it - kHistoryCategories.begin()) + 1) % kHistoryCategories.size();
        ui.history_category = std::string(kHistoryCategories[next]);
        ui.selected = 0;
        ui.scroll = 0;
      }
      return Action::LoadHistory;
    case 'r':
      return ui.page == Page::History ? Action::LoadHistory : Action::None;
    default: return Action::None;
  }
  follow_selection(ui, snap, list_rows);
  return Action::Redraw;
}

}  // namespace sousveil::tui
