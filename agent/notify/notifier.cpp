// SPDX-License-Identifier: Apache-2.0
#include "notify/notifier.h"

#include <algorithm>
#include <array>

#include "common/logging.h"
#include "common/utf8.h"

namespace sousveil::notify {
namespace {

auto log() {
  static auto logger = logging::get("notify");
  return logger;
}

constexpr std::array<std::string_view, 5> kSeverities = {"info", "low", "medium", "high", "critical"};

int rank(std::string_view severity) {
  auto it = std::find(kSeverities.begin(), kSeverities.end(), severity);
  return it == kSeverities.end() ? -1 : static_cast<int>(it - kSeverities.begin());
}

// Body text is markup to most servers: a path with '<' must stay text.
std::string escape(std::string_view s) {
  std::string out;
  for (char c : valid_utf8(std::string(s))) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string program_name(const nlohmann::json& w) {
  const auto& p = w.at("process");
  auto comm = str(p, "comm");
  if (!comm.empty()) return comm;
  auto exe = str(p, "exe");
  return exe.empty() ? "pid " + std::to_string(p.value("pid", 0)) : exe.substr(exe.rfind('/') + 1);
}

}  // namespace

Urgency urgency_for(std::string_view severity) {
  int r = rank(severity);
  if (r >= 3) return Urgency::Critical;  // high, critical: stays until the person has seen it
  if (r == 2) return Urgency::Normal;
  return Urgency::Low;
}

std::string capture_words(std::string_view c) {
  if (c == "keystrokes") return "your keystrokes";
  if (c == "screen") return "your screen";
  if (c == "camera") return "your camera";
  if (c == "microphone") return "your microphone";
  if (c == "clipboard") return "your clipboard";
  if (c == "terminal") return "your terminal";
  if (c == "process-memory") return "other programs' memory";
  if (c == "kernel-hook") return "activity through a kernel hook";
  if (c == "injection") return "input it injects into your session";
  if (c == "session-recording") return "your whole session (session recording)";
  if (c == "remote-view") return "your screen, remotely";
  if (c == "posture") return "your activity (a recording setting is on)";
  return std::string(c);
}

Notification single_notification(const nlohmann::json& w) {
  const auto& p = w.at("process");
  auto program = program_name(w);
  auto product = str(w, "product");
  auto severity = str(w, "severity");
  Notification n;
  n.urgency = urgency_for(severity);
  n.summary = valid_utf8(program + (product.empty() ? "" : " (" + product + ")") + " can capture " +
                         capture_words(str(w, "category")));
  std::string body = escape(str(w, "explanation"));
  body += "\nProgram: " + escape(str(p, "exe").empty() ? program : str(p, "exe")) + " (pid " +
          std::to_string(p.value("pid", 0)) + (str(p, "user").empty() ? "" : ", user " + escape(str(p, "user"))) + ")";
  if (!product.empty()) body += "\nProduct: " + escape(product);
  if (!str(p, "package").empty()) body += "\nPackage: " + escape(str(p, "package"));
  body += "\nSeverity: " + escape(severity) + ", rule " + escape(str(w, "rule"));
  if (w.value("attempt", false)) body += " (an attempt: it was refused)";
  n.body = std::move(body);
  return n;
}

Notification summary_notification(const std::vector<nlohmann::json>& ws) {
  Notification n;
  n.summary = std::to_string(ws.size()) + " new watchers";
  Urgency top = Urgency::Low;
  constexpr std::size_t kNamed = 8;
  std::string body;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    auto u = urgency_for(str(ws[i], "severity"));
    if (u > top) top = u;
    if (i < kNamed) {
      auto product = str(ws[i], "product");
      body += (i ? ", " : "") + escape(program_name(ws[i])) + (product.empty() ? "" : " [" + escape(product) + "]") +
              " (" + escape(str(ws[i], "category")) + ")";
    }
  }
  if (ws.size() > kNamed) body += " and " + std::to_string(ws.size() - kNamed) + " more";
  // The summary line stays short: the first few names.
  std::string names;
  for (std::size_t i = 0; i < ws.size() && i < 3; ++i) names += (i ? ", " : "") + program_name(ws[i]);
  n.summary += ": " + valid_utf8(names) + (ws.size() > 3 ? ", ..." : "");
  n.body = body + "\nRun 'sousveil dash' to see them all.";
  n.urgency = top;
  return n;
}

Notifier::Notifier(NotificationServer& server, NotifierOptions options)
    : m_server(server), m_options(std::move(options)), m_min_rank(std::max(0, rank(m_options.min_severity))) {}

Result<void> Notifier::on_watcher(const nlohmann::json& w, Clock::time_point now) {
  if (!w.is_object()) return make_error("watcher push: data is not an object");
  auto change = w.find("change");
  if (change == w.end() || !change->is_string())
    return make_error("watcher push: \"change\" missing or not a string");
  for (const char* key : {"rule", "severity", "category"})
    if (!w.contains(key) || !w[key].is_string())
      return make_error(std::string("watcher push: \"") + key + "\" missing or not a string");
  if (!w.contains("process") || !w["process"].is_object())
    return make_error("watcher push: \"process\" missing or not an object");
  if (auto pid = w["process"].find("pid"); pid != w["process"].end() && !(pid->is_number_integer() && pid->get<std::int64_t>() >= 0))
    return make_error("watcher push: \"process.pid\" is not a non-negative number");
  if (*change != "new") {
    ++m_ignored;
    return {};
  }
  int r = rank(w["severity"].get<std::string>());
  if (r < 0) return make_error("watcher push: unknown severity '" + w["severity"].get<std::string>() + "'");
  if (r < m_min_rank) {
    ++m_ignored;
    return {};
  }
  m_batch.push_back(w);
  if (!m_deadline) {
    // With room left in this window, wait a moment for the rest of a burst;
    // without, hold everything until the window has room again.
    if (budget(now) > 0) m_deadline = now + m_options.gather;
    else m_deadline = std::max(now + m_options.gather, m_recent.front() + m_options.storm_window);
  }
  return {};
}

std::size_t Notifier::budget(Clock::time_point now) {
  while (!m_recent.empty() && now - m_recent.front() >= m_options.storm_window) m_recent.pop_front();
  return m_recent.size() >= m_options.storm_threshold ? 0 : m_options.storm_threshold - m_recent.size();
}

void Notifier::send(const Notification& n) {
  Notification out = n;
  out.expire_timeout = m_options.expire_timeout;
  auto r = m_server.notify(out);
  if (!r) {
    ++m_failed;
    log()->warn("notification not shown: {} (summary: {})", r.error().message, n.summary);
    return;
  }
  ++m_sent;
}

void Notifier::release(Clock::time_point now) {
  auto batch = std::move(m_batch);
  m_batch.clear();
  m_deadline.reset();
  if (batch.empty()) return;
  if (batch.size() <= budget(now)) {
    for (const auto& w : batch) {
      send(single_notification(w));
      m_recent.push_back(now);
    }
    return;
  }
  send(summary_notification(batch));
  ++m_summaries;
  // A summary fills the window: the rest of a storm waits for the next one.
  while (m_recent.size() < m_options.storm_threshold) m_recent.push_back(now);
  log()->info("storm: {} new watchers in one summary", batch.size());
}

std::optional<Notifier::Clock::time_point> Notifier::tick(Clock::time_point now) {
  if (m_deadline && now >= *m_deadline) release(now);
  return m_deadline;
}

void Notifier::flush(Clock::time_point now) { release(now); }

}  // namespace sousveil::notify
