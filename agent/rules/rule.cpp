// SPDX-License-Identifier: Apache-2.0
#include "rules/rule.h"

#include <array>

namespace sousveil::rules {
namespace {

constexpr std::array<std::string_view, 5> kSeverities = {"info", "low", "medium", "high", "critical"};
constexpr std::array<std::string_view, kCategoryCount> kCategories = {
    "keystrokes", "screen",   "camera",      "microphone",        "clipboard",   "terminal",
    "process-memory", "kernel-hook", "injection", "session-recording", "remote-view", "posture"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

std::string_view to_string(Severity s) { return kSeverities[static_cast<std::size_t>(s)]; }
std::string_view to_string(Category c) { return kCategories[static_cast<std::size_t>(c)]; }

std::optional<Severity> severity_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kSeverities.size(); ++i)
    if (kSeverities[i] == s) return static_cast<Severity>(i);
  return std::nullopt;
}

std::optional<Category> category_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kCategories.size(); ++i)
    if (kCategories[i] == s) return static_cast<Category>(i);
  return std::nullopt;
}

std::string valid_severities() { return joined(kSeverities); }
std::string valid_categories() { return joined(kCategories); }

}  // namespace sousveil::rules
