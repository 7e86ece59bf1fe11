// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "enrich/process_table.h"
#include "model/event.h"
#include "rules/engine.h"

namespace sousveil {
// The watcher key of a posture event ("" for other kinds).
std::string posture_subject_key(const RawEvent& event);
}  // namespace sousveil

namespace sousveil::track {

enum class WatcherState : std::uint8_t { Pending, Active, Ended };
std::string_view to_string(WatcherState s);

// One program doing one kind of watching: a (process identity, rule) pair.
struct Watcher {
  std::uint64_t id = 0;
  ProcessKey process_key;
  rules::Finding finding;  // the first finding; explanation and product
  ProcessInfo process;
  std::uint64_t first_seen_ns = 0;  // boot clock
  std::uint64_t last_seen_ns = 0;  // the last event: when it was last seen watching
  std::uint64_t ended_ns = 0;      // when it was found ended (process exit, close, quiet)
  std::uint64_t count = 0;
  WatcherState state = WatcherState::Pending;
  std::string end_reason;
  bool attempt = false;  // only refused attempts so far
  std::set<std::pair<std::uint32_t, std::uint32_t>> devices;  // major:minor it was seen holding
  std::vector<std::string> evidence;  // the first few device paths or objects, for people
  // What one watcher of a posture rule is about ("check\0subject"): each
  // certificate or policy file is its own watcher. Empty for other kinds.
  std::string subject;
};

enum class Change : std::uint8_t { New, Ended };
std::string_view to_string(Change c);

struct WatcherChange {
  Change change;
  Watcher watcher;  // a copy at the time of the change
};

// Whether a process still holds a device open; /proc in the agent, a fake in tests.
class HoldChecker {
 public:
  virtual ~HoldChecker() = default;
  // nullopt when the process is gone.
  virtual std::optional<bool> holds_any(const ProcessKey& process,
                                        const std::set<std::pair<std::uint32_t, std::uint32_t>>& devices) = 0;
};

struct TrackerOptions {
  std::chrono::milliseconds ended_retention{std::chrono::minutes(10)};  // how long ended watchers stay listed
  std::size_t max_ended = 500;
};

// Folds findings into watchers. A new watcher is announced once (after the
// rule's confirm_after, if it is still active then); repeats update it; it
// ends when the process exits, the device is closed, a refused attempt is
// over, or a polling kind goes quiet.
class Tracker {
 public:
  Tracker(TrackerOptions options, HoldChecker& checker) : m_options(options), m_checker(checker) {}

  std::vector<WatcherChange> on_finding(const rules::Finding& finding, const rules::Rule* rule,
                                        const EnrichedEvent& event, std::uint64_t now_ns);
  std::vector<WatcherChange> on_process_exit(const ProcessKey& process, std::uint64_t now_ns);
  // A posture finding went away (file removed, service stopped): ends its watchers.
  std::vector<WatcherChange> on_resolved(const std::string& subject, std::uint64_t now_ns);
  // Confirms pending watchers, ends quiet ones and those whose device was closed.
  std::vector<WatcherChange> tick(std::uint64_t now_ns);

  std::vector<Watcher> watchers() const;  // active first, then ended, newest first
  std::size_t active_count() const;
  std::uint64_t unconfirmed() const { return m_unconfirmed; }

 private:
  struct Policy {
    std::uint64_t confirm_ns = 0;
    std::optional<std::uint64_t> quiet_ns;
  };
  struct Key {
    ProcessKey process;
    std::string rule_id;
    std::string subject;
    auto operator<=>(const Key&) const = default;
  };

  void end(Watcher& w, std::string reason, std::uint64_t now_ns, std::vector<WatcherChange>& out);
  void prune(std::uint64_t now_ns);

  TrackerOptions m_options;
  HoldChecker& m_checker;
  std::map<Key, Watcher> m_live;  // pending and active
  std::map<Key, Policy> m_policy;
  std::vector<Watcher> m_ended;   // most recent last
  std::uint64_t m_next_id = 1;
  std::uint64_t m_unconfirmed = 0;
};

}  // namespace sousveil::track
