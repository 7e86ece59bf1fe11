// SPDX-License-Identifier: Apache-2.0
// The only code that talks to ncurses. It owns the terminal from open() to
// destruction (endwin() on every path), draws Frames by redrawing only the
// lines that changed since the previous one, and turns input into Keys.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "common/result.h"
#include "tui/frame.h"

namespace sousveil::tui {

class Terminal {
 public:
  // Takes over the terminal on stdin/stdout; an error when they are no terminal
  // or terminfo does not know $TERM.
  static Result<std::unique_ptr<Terminal>> open();
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  int rows() const;
  int cols() const;
  bool colour() const { return m_colour; }
  bool unicode() const { return m_unicode; }

  // Draws the frame; only lines that differ from the last one are sent.
  void present(const Frame& frame);
  // The next key, or nullopt when none is waiting (never blocks).
  std::optional<int> read_key();

  // How many frames were presented and lines redrawn (for the benchmark and tests).
  std::uint64_t frames() const { return m_frames; }
  std::uint64_t lines_drawn() const { return m_lines_drawn; }

 private:
  Terminal() = default;
  int attr_for(Style s) const;

  bool m_colour = false;
  bool m_unicode = true;
  std::optional<Frame> m_prev;
  std::uint64_t m_frames = 0;
  std::uint64_t m_lines_drawn = 0;
};

// Restores the terminal if the program dies on an uncaught exception.
void install_terminate_handler();

}  // namespace sousveil::tui
