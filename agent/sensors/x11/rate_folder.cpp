// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/rate_folder.h"

#include <algorithm>
#include <cmath>

namespace sousveil::x11 {

bool RateFolder::observe(const FoldKey& key, const X11Info& sample, std::uint64_t now_ns) {
  auto [it, inserted] = m_entries.try_emplace(key);
  if (inserted) {
    it->second.since_ns = now_ns;
    it->second.sample = sample;
    return true;
  }
  ++it->second.pending;
  it->second.idle = 0;
  return false;
}

bool RateFolder::count_repeat(const FoldKey& key) {
  auto it = m_entries.find(key);
  if (it == m_entries.end()) return false;
  ++it->second.pending;
  it->second.idle = 0;
  return true;
}

namespace {

Folded fold(const FoldKey& key, const X11Info& sample, std::uint32_t pending, std::uint64_t since_ns,
            std::uint64_t now_ns) {
  double period = static_cast<double>(now_ns > since_ns ? now_ns - since_ns : 0) / 1e9;
  // Over less than a second (a client that left early, a first period cut
  // short), the rate is what was seen in that second: two requests in 0.1 s
  // are not twenty a second.
  auto rate = static_cast<std::uint32_t>(std::lround(static_cast<double>(pending) / std::max(period, 1.0)));
  return {key, sample, pending, period, std::max<std::uint32_t>(rate, 1)};
}

}  // namespace

std::vector<Folded> RateFolder::flush(std::uint64_t now_ns) {
  std::vector<Folded> out;
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    auto& e = it->second;
    if (e.pending == 0) {
      if (++e.idle >= m_idle_flushes) {
        it = m_entries.erase(it);
        continue;
      }
      e.since_ns = now_ns;
      ++it;
      continue;
    }
    out.push_back(fold(it->first, e.sample, e.pending, e.since_ns, now_ns));
    e.pending = 0;
    e.since_ns = now_ns;
    ++it;
  }
  return out;
}

std::vector<Folded> RateFolder::take_client(const std::string& display, std::uint32_t client,
                                            std::uint64_t now_ns) {
  std::vector<Folded> out;
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    if (it->first.display != display || it->first.client != client) {
      ++it;
      continue;
    }
    if (it->second.pending) out.push_back(fold(it->first, it->second.sample, it->second.pending, it->second.since_ns, now_ns));
    it = m_entries.erase(it);
  }
  return out;
}

void RateFolder::forget_display(const std::string& display) {
  std::erase_if(m_entries, [&](const auto& kv) { return kv.first.display == display; });
}

}  // namespace sousveil::x11
