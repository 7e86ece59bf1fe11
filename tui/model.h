// SPDX-License-Identifier: Apache-2.0
// What the dashboard knows, folded from the agent's protocol messages into an
// immutable Snapshot that the view draws and --once prints. No I/O here.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::tui {

// The capture categories the indicator strip shows, in order.
struct IndicatorDef {
  std::string_view category;  // as the agent names it
  std::string_view label;     // upper case when lit, lower case when not
};
inline constexpr std::array<IndicatorDef, 9> kIndicators = {{
    {"keystrokes", "keys"},
    {"screen", "screen"},
    {"camera", "camera"},
    {"microphone", "mic"},
    {"clipboard", "clip"},
    {"terminal", "term"},
    {"kernel-hook", "khook"},
    {"remote-view", "remote"},
    {"session-recording", "rec"},
}};

enum class Severity : std::uint8_t { Info, Low, Medium, High, Critical };
Severity severity_from(std::string_view s);  // unknown names read as Info
std::string_view to_string(Severity s);

struct AncestorRow {
  std::uint32_t pid = 0;
  std::string comm;
  std::string exe;
};

struct WatcherRow {
  std::uint64_t id = 0;
  std::string state;  // active, ended, pending
  std::string rule;
  std::string title;
  std::string category;
  Severity severity = Severity::Info;
  std::string severity_name;
  std::string explanation;
  std::string mitre;
  std::string product;
  std::uint32_t pid = 0;
  std::uint64_t start_ticks = 0;
  std::string comm;
  std::string exe;
  std::vector<std::string> cmdline;
  std::optional<std::uint32_t> uid;
  std::string user;
  std::string unit;
  std::string package;
  std::vector<AncestorRow> ancestry;
  std::optional<double> first_seen;  // unix seconds
  std::optional<double> last_seen;
  std::optional<double> ended;
  std::string end_reason;
  std::uint64_t count = 0;
  std::vector<std::string> evidence;
  bool attempt = false;
  // As the agent sent it, for --json; shared because every snapshot copies the rows.
  std::shared_ptr<const nlohmann::json> raw;

  bool active() const { return state != "ended"; }
  // The program as people know it: the executable's file name, else comm.
  std::string program() const;
};

struct SensorRow {
  std::string name;
  std::string state;  // running, done, failed, disabled
  std::string detail;
  bool ok() const { return state == "running" || state == "done"; }
  // Off on purpose because another sensor covers it ("not needed: eBPF is running").
  bool redundant() const { return state == "disabled" && detail.starts_with("not needed"); }
};

struct Indicator {
  std::string_view category;
  std::string_view label;
  bool lit = false;
  std::size_t active = 0;  // active watchers of this category
  Severity worst = Severity::Info;
};

struct Health {
  bool connected = false;
  std::string connection;  // "" when connected, else what is wrong ("agent not running — reconnecting…")
  bool have_status = false;
  std::string version;
  std::string mode;      // ebpf, fallback
  std::string fidelity;  // full, low
  double uptime_s = 0;
  std::vector<SensorRow> sensors;
  std::size_t sensors_running = 0;
  std::size_t sensors_failed = 0;  // could not start or stopped working: each one is a blind spot
  std::size_t sensors_off = 0;     // disabled (by choice, or not needed)
  std::uint64_t events_lost = 0;   // from the status, plus "lost" pushes since
  std::uint64_t pushes_dropped = 0;  // "lagged": the agent dropped messages for this client
  std::uint64_t malformed = 0;       // messages from the agent this view could not read
  std::string last_malformed;
  std::string rules_error;
  std::size_t rules_loaded = 0;
  std::string scope;  // "all" or "own" (from hello)
  std::string user;
  bool incomplete() const { return events_lost > 0 || pushes_dropped > 0; }
};

struct BlindSpot {
  std::string what;  // what cannot be seen
  std::string why;
};

struct FindingRow {
  std::optional<double> time;
  std::string rule;
  std::string title;
  std::string category;
  Severity severity = Severity::Info;
  std::string kind;
  std::string program;
  std::uint32_t pid = 0;
  std::string object;
};

struct HistoryRowView {
  std::uint64_t seq = 0;
  std::optional<double> time;
  std::string kind;
  std::string category;
  std::string rule;
  std::string severity;
  std::optional<std::uint32_t> pid;
  std::string exe;
  std::string summary;  // title or explanation from the record
};

struct HistoryState {
  bool loaded = false;
  std::string unavailable;  // "" or the agent's reason (no store, error)
  std::vector<HistoryRowView> rows;
  bool truncated = false;
};

// Everything one frame shows. Immutable once built.
struct Snapshot {
  std::uint64_t generation = 0;  // changes whenever anything shown changes
  std::array<Indicator, kIndicators.size()> indicators;
  std::vector<WatcherRow> watchers;  // active first (worst severity, newest), then ended (newest)
  std::vector<WatcherRow> posture;   // category posture, active first
  std::vector<FindingRow> recent_findings;  // newest first
  Health health;
  std::vector<BlindSpot> blind_spots;
  HistoryState history;
  std::size_t active_count() const;
};

// Folds protocol messages. Each on_* returns whether anything shown changed.
class DashModel {
 public:
  explicit DashModel(std::size_t max_ended = 200, std::size_t max_findings = 200)
      : m_max_ended(max_ended), m_max_findings(max_findings) {}

  bool on_hello(const nlohmann::json& result);
  bool on_status(const nlohmann::json& status);
  // The result of the watchers method: replaces what is known.
  bool on_watchers(const nlohmann::json& result);
  // {"v":1,"event":...,"data":...}
  bool on_push(const nlohmann::json& message);
  bool on_push(std::string_view topic, const nlohmann::json& data);
  bool on_history(const nlohmann::json& result);
  bool on_history_error(std::string reason);
  bool on_connected();
  bool on_disconnected(std::string reason);
  // A message that is not what the protocol promises: counted and shown.
  void note_malformed(std::string what);

  std::shared_ptr<const Snapshot> snapshot();
  std::uint64_t generation() const { return m_generation; }

 private:
  bool upsert_watcher(const nlohmann::json& w);
  bool on_finding(const nlohmann::json& f);
  bool on_sensor(const nlohmann::json& s);
  void trim_ended();
  void touch() { ++m_generation; }

  std::size_t m_max_ended;
  std::size_t m_max_findings;
  std::uint64_t m_generation = 1;
  std::map<std::uint64_t, WatcherRow> m_watchers;
  std::deque<FindingRow> m_findings;
  Health m_health;
  std::uint64_t m_status_lost = 0;  // lost_total in the last status object
  std::uint64_t m_pushed_lost = 0;  // counts from "lost" pushes since that status
  HistoryState m_history;
  std::shared_ptr<const Snapshot> m_cached;
};

// Parses one watcher object; an error names the field that is wrong.
std::optional<WatcherRow> parse_watcher(const nlohmann::json& w, std::string* error);
// What the current setup cannot see, from the status and sensor details.
std::vector<BlindSpot> blind_spots(const Health& health);

}  // namespace sousveil::tui
