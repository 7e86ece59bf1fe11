// SPDX-License-Identifier: Apache-2.0
#include "tui/frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "tui/format.h"

namespace sousveil::tui {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

Style lit_style(Severity s) {
  if (s >= Severity::High) return Style::LitHigh;
  if (s == Severity::Medium) return Style::LitMedium;
  return Style::LitLow;
}

// The list's columns, in display order. Lower priority numbers stay longest
// as the terminal narrows; the reason takes what is left.
struct Column {
  std::string_view name;
  int width;
  int priority;
  bool right;
};
constexpr std::array<Column, 8> kColumns = {{
    {"PROGRAM", 15, 0, false},
    {"PID", 7, 4, true},
    {"USER", 9, 6, false},
    {"PRODUCT", 14, 7, false},
    {"CATEGORY", 12, 1, false},
    {"SEV", 4, 3, false},
    {"SINCE", 6, 2, true},
    {"COUNT", 6, 5, true},
}};
constexpr int kMarkerWidth = 2;
constexpr int kReasonMin = 20;

// Which columns fit in `width`, in display order.
std::vector<const Column*> columns_for(int width) {
  int max_priority = 7;
  for (;; --max_priority) {
    int used = kMarkerWidth;
    for (const auto& c : kColumns)
      if (c.priority <= max_priority) used += c.width + 1;
    if (used + kReasonMin <= width || max_priority == 0) break;
  }
  std::vector<const Column*> out;
  for (const auto& c : kColumns)
    if (c.priority <= max_priority) out.push_back(&c);
  return out;
}

std::string cell_value(const Column& c, const WatcherRow& w, double now) {
  if (c.name == "PROGRAM") return w.program();
  if (c.name == "PID") return std::to_string(w.pid);
  if (c.name == "USER") return w.user.empty() && w.uid ? std::to_string(*w.uid) : w.user;
  if (c.name == "PRODUCT") return w.product.empty() ? "-" : w.product;
  if (c.name == "CATEGORY") return w.category;
  if (c.name == "SEV") return severity_short(w.severity);
  if (c.name == "SINCE") return w.first_seen ? format_duration(now - *w.first_seen) : "?";
  if (c.name == "COUNT") return format_count(w.count);
  return {};
}

std::string reason_of(const WatcherRow& w, double now) {
  std::string r = w.title.empty() ? w.explanation : w.title;
  if (w.attempt) r = "tried: " + r;
  if (!w.active()) {
    std::string ago = w.ended ? format_duration(now - *w.ended) + " ago" : "";
    r = "ended " + ago + (w.end_reason.empty() ? "" : " (" + w.end_reason + ")") + ": " + r;
  }
  return r;
}

void draw_watcher_list(Frame& f, const Rect& r, const Snapshot& snap, const UiState& ui, double now) {
  if (r.empty()) return;
  auto cols = columns_for(r.w);
  // Header.
  int x = r.x + kMarkerWidth;
  f.fill(r.y, r.x, r.w, Style::Header);
  for (const auto* c : cols) {
    f.put(r.y, x, c->right ? fit_right(c->name, c->width) : fit(c->name, c->width), Style::Header, r.right());
    x += c->width + 1;
  }
  f.put(r.y, x, "REASON", Style::Header, r.right());
  auto rows = visible_watchers(snap, ui);
  int body = r.h - 1;
  if (rows.empty()) {
    std::string msg;
    if (!ui.filter.empty()) msg = "no watcher matches the filter \"" + ui.filter + "\" (Esc clears it)";
    else if (ui.page == Page::Posture) msg = "no posture findings: nothing installed or configured to record was found";
    else if (!snap.health.connected) msg = "not connected to the agent: nothing can be shown";
    else msg = "nobody is watching: no program is capturing keys, screen, camera, microphone, clipboard or terminal";
    int y = r.y + 1;
    for (const auto& line : wrap(msg, r.w - 2)) {
      if (y >= r.bottom()) break;
      f.put(y++, r.x + 1, line, Style::Dim, r.right());
    }
    return;
  }
  for (int i = 0; i < body; ++i) {
    int idx = ui.scroll + i;
    if (idx >= static_cast<int>(rows.size())) break;
    const WatcherRow& w = *rows[static_cast<std::size_t>(idx)];
    int y = r.y + 1 + i;
    bool sel = idx == ui.selected;
    Style base = sel ? Style::Selected : (w.active() ? Style::Normal : Style::Dim);
    f.fill(y, r.x, r.w, base);
    std::string marker = w.active() ? (ui.unicode ? "\u25CF" : "*") : " ";
    Style mstyle = sel ? Style::Selected : (w.active() ? lit_style(w.severity) : Style::Dim);
    f.put(y, r.x, marker, mstyle, r.right());
    int cx = r.x + kMarkerWidth;
    for (const auto* c : cols) {
      std::string v = cell_value(*c, w, now);
      Style st = base;
      if (c->name == "SEV" && !sel && w.active() && w.severity >= Severity::High) st = Style::LitHigh;
      f.put(y, cx, c->right ? fit_right(v, c->width) : fit(v, c->width), st, r.right());
      cx += c->width + 1;
    }
    f.put(y, cx, truncate_end(reason_of(w, now), r.right() - cx), base, r.right());
  }
  // Scroll position when the list is longer than the rect.
  if (static_cast<int>(rows.size()) > body) {
    std::string pos = fmt::format(" {}-{}/{} ", ui.scroll + 1, std::min<int>(ui.scroll + body, rows.size()), rows.size());
    f.put(r.y, r.right() - display_width(pos), pos, Style::Header, r.right());
  }
}

void draw_lines(Frame& f, const Rect& r, const std::vector<std::pair<std::string, Style>>& lines, int scroll) {
  int y = r.y;
  scroll = std::clamp(scroll, 0, std::max(0, static_cast<int>(lines.size()) - 1));
  for (std::size_t i = static_cast<std::size_t>(scroll); i < lines.size() && y < r.bottom(); ++i, ++y)
    f.put(y, r.x, truncate_end(lines[i].first, r.w), lines[i].second, r.right());
}

void draw_detail(Frame& f, const Layout& l, const Snapshot& snap, const UiState& ui, double now) {
  const Rect& r = l.detail;
  if (r.empty()) return;
  // Separator: a vertical rule beside the list, a horizontal one above the pane.
  if (l.detail_beside) {
    for (int y = r.y; y < r.bottom(); ++y) f.put(y, r.x - 1, ui.unicode ? "\u2502" : "|", Style::Dim);
  } else {
    std::string rule;
    for (int i = 0; i < r.w; ++i) rule += ui.unicode ? "\u2500" : "-";
    f.put(r.y - 1, r.x, rule, Style::Dim, r.right());
  }
  auto rows = visible_watchers(snap, ui);
  if (rows.empty() || ui.selected >= static_cast<int>(rows.size())) {
    f.put(r.y, r.x + 1, "no watcher selected", Style::Dim, r.right());
    return;
  }
  auto lines = detail_lines(*rows[static_cast<std::size_t>(ui.selected)], r.w - 1, now);
  Rect inner{r.y, r.x + 1, r.h, r.w - 1};
  int scroll = std::clamp(ui.detail_scroll, 0, std::max(0, static_cast<int>(lines.size()) - r.h));
  draw_lines(f, inner, lines, scroll);
  if (static_cast<int>(lines.size()) - scroll > r.h) {
    std::string more = " more: ] ";
    f.put(r.bottom() - 1, r.right() - display_width(more), more, Style::Header, r.right());
  }
  if (scroll > 0) {
    std::string back = " [ back ";
    f.put(r.y, r.right() - display_width(back), back, Style::Header, r.right());
  }
}

void draw_history(Frame& f, const Rect& r, const Snapshot& snap, const UiState& ui) {
  if (r.empty()) return;
  const auto& h = snap.history;
  std::string title = "HISTORY" + (ui.history_category.empty() ? std::string(" (all categories)")
                                                              : " (category " + ui.history_category + ")");
  f.fill(r.y, r.x, r.w, Style::Header);
  f.put(r.y, r.x, fit(title + "  c: category  r: reload  /: filter", r.w), Style::Header, r.right());
  if (!h.loaded) {
    f.put(r.y + 1, r.x + 1, "loading history\u2026", Style::Dim, r.right());
    return;
  }
  if (!h.unavailable.empty()) {
    int y = r.y + 1;
    for (const auto& line : wrap("history unavailable: " + h.unavailable, r.w - 2))
      if (y < r.bottom()) f.put(y++, r.x + 1, line, Style::Warn, r.right());
    return;
  }
  auto rows = visible_history(snap, ui);
  if (rows.empty()) {
    f.put(r.y + 1, r.x + 1, "no history rows match", Style::Dim, r.right());
    return;
  }
  if (r.h < 2) return;
  std::string head = fmt::format("{} {} {} {} {} {} ", fit("TIME", 19), fit("KIND", 8), fit("CATEGORY", 12),
                                 fit("SEV", 4), fit("PROGRAM", 14), fit_right("PID", 7));
  f.put(r.y + 1, r.x, fit(head + "WHAT", r.w), Style::Header, r.right());
  int body = r.h - 2;
  for (int i = 0; i < body; ++i) {
    int idx = ui.scroll + i;
    if (idx >= static_cast<int>(rows.size())) break;
    const auto& row = *rows[static_cast<std::size_t>(idx)];
    std::string prog = row.exe;
    if (auto s = prog.rfind('/'); s != std::string::npos) prog = prog.substr(s + 1);
    std::string line = fmt::format("{} {} {} {} {} {} {}", fit(row.time ? format_utc(*row.time) : "?", 19),
                                   fit(row.kind, 8), fit(row.category, 12), fit(severity_short(severity_from(row.severity)), 4),
                                   fit(prog, 14), fit_right(row.pid ? std::to_string(*row.pid) : "", 7), row.summary);
    f.put(r.y + 2 + i, r.x, fit(line, r.w), idx == ui.selected ? Style::Selected : Style::Normal, r.right());
  }
  if (h.truncated) {
    std::string t = " truncated: narrow with c or / ";
    f.put(r.y, r.right() - display_width(t), t, Style::Warn, r.right());
  }
}

std::vector<std::pair<std::string, Style>> health_page(const Snapshot& snap, int width) {
  std::vector<std::pair<std::string, Style>> out;
  const auto& h = snap.health;
  // prefix on the first line, its width of spaces before the others.
  auto add_wrapped = [&](const std::string& prefix, const std::string& text, Style st) {
    int pw = display_width(prefix);
    bool first = true;
    for (const auto& l : wrap(text, std::max(10, width - pw)))
      out.emplace_back((first ? prefix : std::string(static_cast<std::size_t>(pw), ' ')) + l, st), first = false;
  };

  out.emplace_back("CONNECTION", Style::Header);
  if (h.connected) add_wrapped("  ", "connected" + (h.user.empty() ? "" : " as " + h.user) +
                                   (h.scope == "own" ? " (you see your own session and system-wide capture)"
                                    : h.scope == "all" ? " (you see everything)" : ""), Style::Good);
  else add_wrapped("  ", h.connection, Style::Bad);
  out.emplace_back("", Style::Normal);
  out.emplace_back("AGENT", Style::Header);
  if (h.have_status) {
    out.emplace_back(fmt::format("  version {}, mode {} ({} fidelity), up {}", h.version, h.mode, h.fidelity,
                                 format_duration(h.uptime_s)), Style::Normal);
    out.emplace_back(fmt::format("  rules loaded: {}", h.rules_loaded), Style::Normal);
    if (!h.rules_error.empty()) add_wrapped("  rules problem: ", h.rules_error, Style::Warn);
  } else {
    out.emplace_back("  no status yet", Style::Dim);
  }
  out.emplace_back("", Style::Normal);
  out.emplace_back(fmt::format("SENSORS ({} running, {} failed, {} off)", h.sensors_running, h.sensors_failed,
                               h.sensors_off), Style::Header);
  for (const auto& s : h.sensors) {
    bool ok = s.ok() || s.redundant();
    add_wrapped(fmt::format("  {:<12} {:<9} ", s.name, s.state), s.detail, ok ? Style::Normal : Style::Warn);
  }
  out.emplace_back("", Style::Normal);
  out.emplace_back("COMPLETENESS", Style::Header);
  out.emplace_back(fmt::format("  events lost: {}", h.events_lost), h.events_lost ? Style::Warn : Style::Normal);
  out.emplace_back(fmt::format("  live updates dropped for this dashboard: {}", h.pushes_dropped),
                   h.pushes_dropped ? Style::Warn : Style::Normal);
  if (h.incomplete()) out.emplace_back("  the view may be incomplete", Style::Warn);
  if (h.malformed)
    add_wrapped("  ", fmt::format("messages from the agent this dashboard could not read: {} (last: {})", h.malformed,
                                  h.last_malformed), Style::Warn);
  out.emplace_back("", Style::Normal);
  out.emplace_back(fmt::format("RECENT FINDINGS ({})", snap.recent_findings.size()), Style::Header);
  for (std::size_t i = 0; i < snap.recent_findings.size() && i < 20; ++i) {
    const auto& fr = snap.recent_findings[i];
    out.emplace_back(fmt::format("  {} {:<12} {}[{}] {}", fr.time ? format_utc(*fr.time).substr(11) : "?",
                                 fr.category, fr.program, fr.pid, fr.title), Style::Normal);
  }
  return out;
}

std::vector<std::pair<std::string, Style>> blind_spot_page(const Snapshot& snap, int width) {
  std::vector<std::pair<std::string, Style>> out;
  out.emplace_back("WHAT CANNOT BE SEEN with this setup, honestly", Style::Header);
  out.emplace_back("", Style::Normal);
  for (const auto& b : snap.blind_spots) {
    bool first = true;
    for (const auto& l : wrap(b.what, width - 4)) out.emplace_back((first ? "  - " : "    ") + l, Style::Bold), first = false;
    for (const auto& l : wrap(b.why, width - 6)) out.emplace_back("      " + l, Style::Normal);
  }
  return out;
}

std::vector<std::pair<std::string, Style>> help_page(int width) {
  std::vector<std::pair<std::string, Style>> out;
  out.emplace_back("KEYS (any key closes this help)", Style::Header);
  const std::array<std::pair<const char*, const char*>, 15> keys = {{
      {"Up/Down, j/k", "select a watcher or row"},
      {"PgUp/PgDn", "a page up or down"},
      {"Home/End, g/G", "first or last"},
      {"Enter", "open or close the detail pane"},
      {"[ ]", "scroll the detail pane"},
      {"Tab, Shift-Tab", "next or previous view"},
      {"1 2 3 4 5", "Watchers, History, Posture, Health, What cannot be seen"},
      {"/", "filter by program, category, user, product or rule; Enter keeps it, Esc clears it"},
      {"Esc", "clear the filter, then close the detail pane"},
      {"c", "history: next category"},
      {"r", "history: reload"},
      {"?", "this help"},
      {"q", "quit"},
      {"", ""},
      {"Indicators", "[KEYS*] lit (upper case, marked) while a program captures that; [keys ] when none does"},
  }};
  for (const auto& [k, v] : keys) {
    if (!*k) {
      out.emplace_back("", Style::Normal);
      continue;
    }
    bool first = true;
    for (const auto& l : wrap(v, std::max(10, width - 20)))
      out.emplace_back(fmt::format("  {:<16}  {}", first ? k : "", l), Style::Normal), first = false;
  }
  out.emplace_back("", Style::Normal);
  for (const auto& l : wrap("sousveil shows who opens, reads, grabs or requests your keys, screen, camera, "
                            "microphone, clipboard and terminal. It never records what they capture.", width - 2))
    out.emplace_back("  " + l, Style::Dim);
  return out;
}

std::string footer_text(const UiState& ui) {
  if (ui.editing_filter) return "filter: " + ui.filter + "_   Enter keep   Esc clear";
  switch (ui.page) {
    case Page::History: return "q quit  ? help  / filter  c category  r reload  \u2191\u2193 move  Tab/1-5 views";
    case Page::Health:
    case Page::BlindSpots: return "q quit  ? help  \u2191\u2193 PgUp PgDn scroll  Tab/1-5 views";
    default: return "q quit  ? help  / filter  \u2191\u2193 select  Enter details  [ ] scroll  Tab/1-5 views";
  }
}

}  // namespace

Frame::Frame(int r, int c) : rows(r), cols(c), lines(static_cast<std::size_t>(std::max(0, r)),
                                                     std::vector<Cell>(static_cast<std::size_t>(std::max(0, c)))) {}

int Frame::put(int y, int x, std::string_view utf8, Style style, int limit) {
  if (y < 0 || y >= rows) return x;
  if (limit < 0 || limit > cols) limit = cols;
  auto& line = lines[static_cast<std::size_t>(y)];
  for (const auto& g : to_glyphs(utf8)) {
    if (g.width == 0) {
      // A combining mark joins the character before it.
      if (x > 0 && x <= limit) line[static_cast<std::size_t>(x - 1)].glyph += g.text;
      continue;
    }
    if (x < 0) {
      x += g.width;
      continue;
    }
    if (x + g.width > limit) break;  // never half a wide character
    line[static_cast<std::size_t>(x)] = {g.text, style};
    if (g.width == 2) line[static_cast<std::size_t>(x + 1)] = {"", style};
    x += g.width;
  }
  return x;
}

void Frame::fill(int y, int x, int w, Style style) {
  if (y < 0 || y >= rows) return;
  for (int i = std::max(0, x); i < std::min(cols, x + w); ++i) lines[static_cast<std::size_t>(y)][static_cast<std::size_t>(i)].style = style;
}

std::string Frame::text(int y) const {
  std::string out;
  for (const auto& c : lines[static_cast<std::size_t>(y)]) out += c.glyph;
  return out;
}

std::string Frame::text() const {
  std::string out;
  for (int y = 0; y < rows; ++y) out += text(y) + "\n";
  return out;
}

std::string severity_short(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Low: return "low";
    case Severity::Medium: return "med";
    case Severity::High: return "HIGH";
    case Severity::Critical: return "CRIT";
  }
  return "?";
}

std::string indicator_text(const Indicator& ind, bool unicode) {
  if (ind.lit) return "[" + upper(ind.label) + (unicode ? "\u25CF" : "*") + "]";
  return "[" + std::string(ind.label) + " ]";
}

std::string health_text(const Health& h) {
  if (!h.connected) return h.connection.empty() ? "connecting to the agent\u2026" : h.connection;
  std::string out;
  if (h.have_status) {
    out = fmt::format("agent {} \u00B7 {}{} \u00B7 sensors: {} running", h.version, h.mode,
                      h.fidelity.empty() || h.fidelity == "full" ? "" : " (" + h.fidelity + " fidelity)",
                      h.sensors_running);
    if (h.sensors_failed) {
      out += fmt::format(", {} failed", h.sensors_failed);
      for (const auto& s : h.sensors)
        if (!s.ok() && s.state != "disabled") {
          out += " (" + s.name + ": " + (s.detail.empty() ? s.state : s.detail) + ")";
          break;  // the health page lists the others
        }
    }
  } else {
    out = "connected; waiting for the agent's status";
  }
  out += fmt::format(" \u00B7 events lost: {}", h.events_lost);
  if (h.pushes_dropped) out += fmt::format(", updates dropped: {}", h.pushes_dropped);
  if (h.incomplete()) out += " \u2014 the view may be incomplete";
  if (!h.rules_error.empty()) out += " \u00B7 rules problem";
  if (h.malformed) out += fmt::format(" \u00B7 {} unreadable messages", h.malformed);
  return out;
}

std::vector<std::pair<std::string, Style>> detail_lines(const WatcherRow& w, int width, double now) {
  std::vector<std::pair<std::string, Style>> out;
  width = std::max(width, 10);
  auto para = [&](const std::string& text, Style st, int indent) {
    std::string pad(static_cast<std::size_t>(indent), ' ');
    for (const auto& l : wrap(text, width - indent)) out.emplace_back(pad + l, st);
  };
  auto section = [&](const char* title) { out.emplace_back(title, Style::Header); };
  para(fmt::format("#{} {}[{}] \u2014 {}", w.id, w.program(), w.pid, w.title), Style::Bold, 0);
  std::string state;
  if (w.active()) {
    state = fmt::format("{} for {}", w.state == "pending" ? "pending" : "active",
                        w.first_seen ? format_duration(now - *w.first_seen) : "?");
    if (w.first_seen) state += " (since " + format_utc(*w.first_seen) + " UTC)";
  } else {
    state = "ended";
    if (w.ended) state += " " + format_duration(now - *w.ended) + " ago";
    if (!w.end_reason.empty()) state += " (" + w.end_reason + ")";
  }
  state += fmt::format(", {} events", w.count);
  if (w.last_seen) state += ", last " + format_duration(now - *w.last_seen) + " ago";
  if (w.attempt) state += "; only refused attempts so far";
  para(state, Style::Normal, 0);
  para(fmt::format("category {} \u00B7 severity {} \u00B7 rule {}{}", w.category, w.severity_name, w.rule,
                   w.mitre.empty() ? "" : " \u00B7 MITRE " + w.mitre),
       Style::Normal, 0);
  if (!w.product.empty()) para("product: " + w.product, Style::Normal, 0);
  section("WHAT IT CAN SEE");
  para(w.explanation.empty() ? w.title : w.explanation, Style::Normal, 2);
  if (!w.evidence.empty()) {
    section("EVIDENCE");
    for (const auto& e : w.evidence) out.emplace_back("  " + truncate_middle(e, width - 2), Style::Normal);
  }
  section("PROGRAM");
  para("exe: " + (w.exe.empty() ? "?" : w.exe), Style::Normal, 2);
  if (!w.cmdline.empty()) {
    std::string cl;
    for (const auto& a : w.cmdline) cl += (cl.empty() ? "" : " ") + a;
    para("command: " + cl, Style::Normal, 2);
  }
  std::string who = "user: " + (w.user.empty() ? "?" : w.user);
  if (w.uid) who += fmt::format(" (uid {})", *w.uid);
  para(who, Style::Normal, 2);
  para("unit: " + (w.unit.empty() ? "-" : w.unit) + " \u00B7 package: " + (w.package.empty() ? "-" : w.package),
       Style::Normal, 2);
  if (!w.ancestry.empty()) {
    std::string chain = fmt::format("{}[{}]", w.program(), w.pid);
    for (const auto& a : w.ancestry) chain += fmt::format(" \u2190 {}[{}]", a.comm, a.pid);
    para("started by: " + chain, Style::Normal, 2);
  }
  section("WHAT YOU CAN DO");
  std::string ask;
  if (!w.product.empty())
    ask = "This looks like " + w.product + ". Ask whoever runs this machine (your employer's IT or security team) "
          "why it runs, what it keeps and for how long.";
  else if (!w.package.empty() || !w.unit.empty())
    ask = "It was installed or started by the system (" + (w.package.empty() ? w.unit : w.package) +
          "). Ask the administrator of this machine what it is for.";
  else
    ask = "It runs as " + (w.user.empty() ? std::string("another user") : w.user) +
          ". Ask that person, or the administrator of this machine, what it is for.";
  para(ask, Style::Normal, 2);
  para("You have the right to be told who monitors you, what they collect, why, on what legal basis, how long "
       "they keep it and who receives it (GDPR articles 13 and 14, and similar laws), and to get a copy of what "
       "was collected about you (article 15).",
       Style::Normal, 2);
  section("SEE THE SAME FROM A SHELL");
  para(fmt::format("sousveil watchers --json | jq '.watchers[] | select(.id=={})'", w.id), Style::Normal, 2);
  if (w.pid) {
    para(fmt::format("ls -l /proc/{}/fd", w.pid), Style::Normal, 2);
    para(fmt::format("ps -o pid,user,lstart,args -p {}", w.pid), Style::Normal, 2);
  }
  return out;
}

int list_rows(const UiState& ui, int rows, int cols) {
  bool open = ui.detail_open.value_or(detail_by_default(rows, cols));
  Layout l = compute_layout(rows, cols, open);
  int header = ui.page == Page::History ? 2 : 1;
  return std::max(1, l.list.h - (ui.page == Page::Health || ui.page == Page::BlindSpots ? 0 : header));
}

void clamp_scroll(UiState& ui, const Snapshot& snap, int rows, int cols, double now) {
  bool watcher_page = ui.page == Page::Watchers || ui.page == Page::Posture;
  bool open = watcher_page && ui.detail_open.value_or(detail_by_default(rows, cols));
  Layout l = compute_layout(rows, cols, open);
  if (ui.page == Page::Health || ui.page == Page::BlindSpots) {
    int n = static_cast<int>(ui.page == Page::Health ? health_page(snap, l.list.w).size()
                                                     : blind_spot_page(snap, l.list.w).size());
    ui.scroll = std::clamp(ui.scroll, 0, std::max(0, n - l.list.h));
  }
  if (!l.detail.empty()) {
    auto rows_v = visible_watchers(snap, ui);
    int n = ui.selected < static_cast<int>(rows_v.size())
                ? static_cast<int>(detail_lines(*rows_v[static_cast<std::size_t>(ui.selected)], l.detail.w - 1, now).size())
                : 0;
    ui.detail_scroll = std::clamp(ui.detail_scroll, 0, std::max(0, n - l.detail.h));
  }
}

Frame compose(const Snapshot& snap, const UiState& ui, int rows, int cols, double now) {
  Frame f(rows, cols);
  bool watcher_page = ui.page == Page::Watchers || ui.page == Page::Posture;
  bool open = watcher_page && !ui.help && ui.detail_open.value_or(detail_by_default(rows, cols));
  Layout l = compute_layout(rows, cols, open);

  // Health line: never hidden.
  Style hstyle = !snap.health.connected ? Style::Bad : snap.health.incomplete() || snap.health.sensors_failed ? Style::Warn : Style::Good;
  f.fill(l.health.y, 0, cols, hstyle);
  f.put(l.health.y, 0, truncate_end(health_text(snap.health), cols), hstyle);
  // Footer.
  f.put(l.footer.y, 0, truncate_end(footer_text(ui), cols), ui.editing_filter ? Style::Bold : Style::Key);

  if (l.too_small) {
    int y = 0;
    for (const auto& line : wrap(fmt::format("terminal too small ({}x{}): sousveil dash needs {}x{}", cols, rows,
                                             kMinCols, kMinRows), cols))
      if (y < l.list.bottom()) f.put(y++, 0, line, Style::Warn);
    // Even here, say whether anything is watching.
    if (y < l.list.bottom())
      f.put(y, 0, fmt::format("{} active watchers", snap.active_count()), snap.active_count() ? Style::LitHigh : Style::Normal);
    return f;
  }

  // Indicator strip, wrapping to a second row on narrow terminals.
  int x = 0, y = l.strip.y;
  for (const auto& ind : snap.indicators) {
    std::string t = indicator_text(ind, ui.unicode);
    int w = display_width(t);
    if (x > 0 && x + w > cols) {
      if (y + 1 >= l.strip.bottom()) break;
      ++y, x = 0;
    }
    x = f.put(y, x, t, ind.lit ? lit_style(ind.worst) : Style::Dim) + 1;
  }
  if (l.strip.h == 1) {
    std::string right = snap.active_count() ? fmt::format("{} watching", snap.active_count()) : "nobody watching";
    int rw = display_width(right);
    if (cols - x - 1 >= rw) f.put(0, cols - rw, right, snap.active_count() ? Style::Bold : Style::Good);
  }

  // Tabs.
  x = 0;
  for (int p = 0; p < kPageCount; ++p) {
    bool cur = static_cast<int>(ui.page) == p && !ui.help;
    // The last page's full title is long: the tab says "Blind spots".
    std::string_view title = p == static_cast<int>(Page::BlindSpots) ? "Blind spots" : page_title(static_cast<Page>(p));
    std::string t = fmt::format("{}{} {}{}", cur ? "[" : " ", p + 1, title, cur ? "]" : " ");
    x = f.put(l.tabs.y, x, t, cur ? Style::Selected : Style::Normal) + 1;
  }
  if (!ui.filter.empty() && !ui.editing_filter) {
    std::string t = " filter: " + ui.filter + " ";
    int tw = display_width(t);
    if (cols - x >= tw) f.put(l.tabs.y, cols - tw, t, Style::Bold);
  }

  if (ui.help) {
    draw_lines(f, l.list, help_page(l.list.w), 0);
    return f;
  }
  switch (ui.page) {
    case Page::Watchers:
    case Page::Posture:
      draw_watcher_list(f, l.list, snap, ui, now);
      draw_detail(f, l, snap, ui, now);
      break;
    case Page::History: draw_history(f, l.list, snap, ui); break;
    case Page::Health: draw_lines(f, l.list, health_page(snap, l.list.w), ui.scroll); break;
    case Page::BlindSpots: draw_lines(f, l.list, blind_spot_page(snap, l.list.w), ui.scroll); break;
  }
  return f;
}

}  // namespace sousveil::tui
