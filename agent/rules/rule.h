// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/condition.h"
#include "rules/template.h"

namespace sousveil::rules {

enum class Severity : std::uint8_t { Info, Low, Medium, High, Critical };
enum class Category : std::uint8_t {
  Keystrokes, Screen, Camera, Microphone, Clipboard, Terminal, ProcessMemory,
  KernelHook, Injection, SessionRecording, RemoteView, Posture,
};
inline constexpr int kCategoryCount = 12;

std::string_view to_string(Severity s);
std::string_view to_string(Category c);
std::optional<Severity> severity_from_string(std::string_view s);
std::optional<Category> category_from_string(std::string_view s);
std::string valid_severities();
std::string valid_categories();

// Where something was written: file, line and column, 1-based.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

struct RuleException {
  std::string name;
  std::string reason;  // for a person: why this program may do it
  Condition match = Condition::always();
  SourcePos pos;
};

struct RuleExample {
  nlohmann::json event;  // the JSON form of an event (docs/events.md)
  SourcePos pos;
};

struct Rule {
  std::string id;
  std::string title;
  std::vector<std::string> kinds;
  Condition match = Condition::always();
  std::vector<RuleException> exceptions;
  Severity severity = Severity::Info;
  Category category = Category::Posture;
  std::string mitre;
  Template explain;
  bool enabled = true;
  std::string disabled_reason;
  // Announce only if the watcher is still active this long after it appeared.
  std::chrono::milliseconds confirm_after{0};
  // A watcher of this rule ends after this long without a new event.
  std::optional<std::chrono::milliseconds> quiet_after;
  std::vector<RuleExample> examples_match;
  std::vector<RuleExample> examples_no_match;
  SourcePos pos;
};

}  // namespace sousveil::rules
