// SPDX-License-Identifier: Apache-2.0
// Folds repeated X11 requests into rates: the first (client, request, detail)
// is reported at once, repeats within an interval become one report with a
// count, so a 60 fps screen grabber makes one event a second, not sixty.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "model/event.h"

namespace sousveil::x11 {

struct FoldKey {
  std::string display;
  std::uint32_t client = 0;
  std::string request;
  std::string detail;

  auto operator<=>(const FoldKey&) const = default;
};

struct Folded {
  FoldKey key;
  X11Info sample;  // the first request of the key, as reported then
  std::uint32_t count = 0;
  double period_s = 0;
  std::uint32_t rate = 0;  // count per second, rounded, at least 1
};

class RateFolder {
 public:
  // Keys unseen for this many flushes are forgotten (their next sighting is new again).
  explicit RateFolder(unsigned idle_flushes = 30) : m_idle_flushes(idle_flushes) {}

  // True when this is the first sighting: report it now. Otherwise the
  // request is counted for the next flush.
  bool observe(const FoldKey& key, const X11Info& sample, std::uint64_t now_ns);
  // The hot path: counts a repeat of a key already seen and returns true;
  // false for a key not seen yet (then observe() it with its sample).
  bool count_repeat(const FoldKey& key);
  // The repeats counted since the last flush, one entry per key that had any.
  std::vector<Folded> flush(std::uint64_t now_ns);
  // A client disconnected (or its server went away): drop its keys.
  // A client disconnected: its repeats not yet reported, and its keys dropped.
  std::vector<Folded> take_client(const std::string& display, std::uint32_t client, std::uint64_t now_ns);
  void forget_display(const std::string& display);
  std::size_t size() const { return m_entries.size(); }

 private:
  struct Entry {
    std::uint32_t pending = 0;
    std::uint64_t since_ns = 0;  // start of the counting period
    unsigned idle = 0;           // flushes with nothing pending
    X11Info sample;
  };
  unsigned m_idle_flushes;
  std::map<FoldKey, Entry> m_entries;
};

}  // namespace sousveil::x11
