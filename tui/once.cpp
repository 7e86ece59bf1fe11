// SPDX-License-Identifier: Apache-2.0
#include "tui/once.h"

#include <fmt/format.h>

#include "tui/format.h"
#include "tui/frame.h"

namespace sousveil::tui {
namespace {

void watcher_table(std::string& out, const std::vector<WatcherRow>& rows, double now) {
  out += fmt::format("  {:>4} {} {:>7} {} {} {} {} {:>6} {:>6}  {}\n", "ID", fit("PROGRAM", 16), "PID", fit("USER", 10),
                     fit("PRODUCT", 14), fit("CATEGORY", 17), fit("SEV", 4), "SINCE", "COUNT", "REASON");
  for (const auto& w : rows) {
    std::string reason = w.title.empty() ? w.explanation : w.title;
    if (w.attempt) reason = "tried: " + reason;
    if (!w.active())
      reason = "ended" + (w.ended ? " " + format_duration(now - *w.ended) + " ago" : std::string()) +
               (w.end_reason.empty() ? "" : " (" + w.end_reason + ")") + ": " + reason;
    out += fmt::format("  {:>4} {} {:>7} {} {} {} {} {:>6} {:>6}  {}\n", w.id, fit(w.program(), 16), w.pid,
                       fit(w.user, 10), fit(w.product.empty() ? "-" : w.product, 14), fit(w.category, 17),
                       fit(severity_short(w.severity), 4), w.first_seen ? format_duration(now - *w.first_seen) : "?",
                       format_count(w.count), sanitize(reason));
  }
}

}  // namespace

std::string once_text(const Snapshot& snap, double now, bool unicode) {
  std::string out = "sousveil dash at " + format_utc(now) + " UTC\n";
  std::string strip;
  for (const auto& ind : snap.indicators) strip += (strip.empty() ? "" : " ") + indicator_text(ind, unicode);
  out += strip + "\n\n";
  std::size_t active = snap.active_count();
  out += fmt::format("WATCHERS: {} active, {} recently ended\n", active, snap.watchers.size() - active);
  if (snap.watchers.empty()) out += "  nobody is watching\n";
  else watcher_table(out, snap.watchers, now);
  out += "\nPOSTURE:\n";
  if (snap.posture.empty()) out += "  no posture findings\n";
  else watcher_table(out, snap.posture, now);
  out += "\nHEALTH: " + sanitize(health_text(snap.health)) + "\n";
  for (const auto& s : snap.health.sensors)
    out += fmt::format("  {:<12} {:<9} {}\n", s.name, s.state, sanitize(s.detail));
  out += "\nWHAT CANNOT BE SEEN:\n";
  for (const auto& b : snap.blind_spots) out += "  - " + sanitize(b.what) + ": " + sanitize(b.why) + "\n";
  return out;
}

nlohmann::json once_json(const Snapshot& snap) {
  using nlohmann::json;
  json ind = json::array();
  for (const auto& i : snap.indicators)
    ind.push_back({{"category", i.category}, {"lit", i.lit}, {"active", i.active},
                   {"worst_severity", i.lit ? std::string(to_string(i.worst)) : std::string()}});
  json watchers = json::array();
  for (const auto& w : snap.watchers) watchers.push_back(w.raw ? *w.raw : json::object());
  json posture = json::array();
  for (const auto& w : snap.posture) posture.push_back(w.raw ? *w.raw : json::object());
  const auto& h = snap.health;
  json sensors = json::array();
  for (const auto& s : h.sensors) sensors.push_back({{"name", s.name}, {"state", s.state}, {"detail", s.detail}});
  json health = {{"connected", h.connected},
                 {"version", h.version},
                 {"mode", h.mode},
                 {"fidelity", h.fidelity},
                 {"sensors", sensors},
                 {"sensors_running", h.sensors_running},
                 {"sensors_failed", h.sensors_failed},
                 {"sensors_off", h.sensors_off},
                 {"events_lost", h.events_lost},
                 {"incomplete", h.incomplete()},
                 {"rules_error", h.rules_error}};
  if (!h.connection.empty()) health["connection"] = h.connection;
  json blind = json::array();
  for (const auto& b : snap.blind_spots) blind.push_back({{"what", b.what}, {"why", b.why}});
  return {{"indicators", ind}, {"watchers", watchers}, {"posture", posture}, {"health", health}, {"blind_spots", blind}};
}

}  // namespace sousveil::tui
