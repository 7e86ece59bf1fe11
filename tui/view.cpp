// SPDX-License-Identifier: Apache-2.0
#include "tui/view.h"

#include <langinfo.h>
#include <ncursesw/curses.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace sousveil::tui {
namespace {

// Set while ncurses owns the terminal, for the terminate handler.
std::atomic<bool> g_active{false};

// Colour pairs, one per coloured style.
enum Pair : short { kPairLow = 1, kPairMedium, kPairHigh, kPairGood, kPairWarn, kPairBad, kPairKey, kPairDim };

}  // namespace

Result<std::unique_ptr<Terminal>> Terminal::open() {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    return make_error("the dashboard needs a terminal on stdin and stdout; use --once or --json for a snapshot");
  const char* term = std::getenv("TERM");
  if (!term || !*term) return make_error("TERM is not set; use --once or --json for a snapshot");
  // newterm (unlike initscr) returns an error instead of exiting.
  SCREEN* screen = newterm(nullptr, stdout, stdin);
  if (!screen) return make_error(std::string("terminfo does not know TERM=") + term + "; use --once or --json");
  set_term(screen);
  std::unique_ptr<Terminal> t(new Terminal());
  g_active = true;
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  leaveok(stdscr, TRUE);
  const char* codeset = nl_langinfo(CODESET);
  t->m_unicode = codeset && std::strcmp(codeset, "UTF-8") == 0;
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kPairLow, COLOR_CYAN, -1);
    init_pair(kPairMedium, COLOR_YELLOW, -1);
    init_pair(kPairHigh, COLOR_WHITE, COLOR_RED);
    init_pair(kPairGood, COLOR_GREEN, -1);
    init_pair(kPairWarn, COLOR_BLACK, COLOR_YELLOW);
    init_pair(kPairBad, COLOR_WHITE, COLOR_RED);
    init_pair(kPairKey, COLOR_CYAN, -1);
    init_pair(kPairDim, COLOR_BLUE, -1);
    t->m_colour = true;
  }
  return t;
}

Terminal::~Terminal() {
  if (g_active.exchange(false)) endwin();
}

int Terminal::rows() const { return LINES; }
int Terminal::cols() const { return COLS; }

int Terminal::attr_for(Style s) const {
  // Without colour every style still reads: reverse, bold and dim carry it,
  // and the text itself says lit or not ("[KEYS*]" vs "[keys ]").
  if (!m_colour) {
    switch (s) {
      case Style::Normal: case Style::Good: return A_NORMAL;
      case Style::Dim: return A_DIM;
      case Style::Bold: case Style::Header: case Style::LitLow: case Style::LitMedium: case Style::Key: return A_BOLD;
      case Style::Warn: return A_BOLD;
      case Style::Selected: case Style::LitHigh: case Style::Bad: return A_REVERSE | A_BOLD;
    }
    return A_NORMAL;
  }
  switch (s) {
    case Style::Normal: return A_NORMAL;
    case Style::Dim: return COLOR_PAIR(kPairDim) | A_DIM;
    case Style::Bold: return A_BOLD;
    case Style::Header: return A_BOLD | A_UNDERLINE;
    case Style::Selected: return A_REVERSE;
    case Style::LitLow: return COLOR_PAIR(kPairLow) | A_BOLD;
    case Style::LitMedium: return COLOR_PAIR(kPairMedium) | A_BOLD;
    case Style::LitHigh: return COLOR_PAIR(kPairHigh) | A_BOLD;
    case Style::Good: return COLOR_PAIR(kPairGood);
    case Style::Warn: return COLOR_PAIR(kPairWarn);
    case Style::Bad: return COLOR_PAIR(kPairBad) | A_BOLD;
    case Style::Key: return COLOR_PAIR(kPairKey);
  }
  return A_NORMAL;
}

void Terminal::present(const Frame& frame) {
  bool full = !m_prev || m_prev->rows != frame.rows || m_prev->cols != frame.cols;
  if (full) {
    // A new size: ncurses's idea of the screen is stale, repaint it all once.
    clearok(stdscr, TRUE);
    werase(stdscr);
  }
  std::string run;
  for (int y = 0; y < frame.rows && y < LINES; ++y) {
    const auto& line = frame.lines[static_cast<std::size_t>(y)];
    if (!full && m_prev->lines[static_cast<std::size_t>(y)] == line) continue;
    ++m_lines_drawn;
    wmove(stdscr, y, 0);
    std::size_t x = 0;
    while (x < line.size()) {
      Style st = line[x].style;
      run.clear();
      for (; x < line.size() && line[x].style == st; ++x) run += line[x].glyph;
      wattrset(stdscr, attr_for(st));
      // The bottom-right cell makes waddstr report ERR (the cursor cannot move
      // past it) after drawing it: nothing to do about that.
      waddstr(stdscr, run.c_str());
    }
  }
  wattrset(stdscr, A_NORMAL);
  wnoutrefresh(stdscr);
  doupdate();
  m_prev = frame;
  ++m_frames;
}

std::optional<int> Terminal::read_key() {
  wint_t ch = 0;
  int r = wget_wch(stdscr, &ch);
  if (r == ERR) return std::nullopt;
  if (r == KEY_CODE_YES) {
    switch (ch) {
      case KEY_UP: return kKeyUp;
      case KEY_DOWN: return kKeyDown;
      case KEY_LEFT: return kKeyLeft;
      case KEY_RIGHT: return kKeyRight;
      case KEY_PPAGE: return kKeyPageUp;
      case KEY_NPAGE: return kKeyPageDown;
      case KEY_HOME: return kKeyHome;
      case KEY_END: return kKeyEnd;
      case KEY_ENTER: return kKeyEnter;
      case KEY_BTAB: return kKeyBackTab;
      case KEY_BACKSPACE: return kKeyBackspace;
      case KEY_RESIZE: return kKeyResize;
      default: return static_cast<int>(0x200000 + ch);  // a key nobody handles
    }
  }
  switch (ch) {
    case '\n': case '\r': return kKeyEnter;
    case 27: return kKeyEscape;
    case '\t': return kKeyTab;
    case 127: case 8: return kKeyBackspace;
    default: return static_cast<int>(ch);
  }
}

void install_terminate_handler() {
  static std::terminate_handler previous = std::set_terminate([] {
    if (g_active.exchange(false)) endwin();
    if (previous) previous();
    std::abort();
  });
}

}  // namespace sousveil::tui
