// SPDX-License-Identifier: Apache-2.0
#include "tui/dash.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <optional>

#include "api/client.h"
#include "common/logging.h"
#include "tui/frame.h"
#include "tui/model.h"
#include "tui/once.h"
#include "tui/ui.h"
#include "tui/view.h"

namespace sousveil::tui {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kRetryEvery = 1s;
// At most 20 frames a second: a burst of pushes is folded into one redraw.
constexpr auto kFrameInterval = 50ms;
constexpr std::size_t kHistoryLimit = 1000;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string not_running(const std::string& detail, bool retrying = true) {
  return std::string("agent not running") + (retrying ? " \u2014 reconnecting\u2026" : "") + " (" + detail + ")";
}

// One connection to the agent, feeding the model: hello, subscribe, then the
// full status and watcher list (subscribing first so no change falls between).
class Session {
 public:
  explicit Session(DashModel& model) : m_model(model) {}

  Result<void> open(const std::filesystem::path& path, api::ConnectFailure* why) {
    close();
    auto c = api::Client::connect(path, why);
    if (!c) return c.error();
    m_client.emplace(std::move(*c));
    auto step = [&](Result<nlohmann::json> r, auto&& apply) -> Result<void> {
      if (!r) return r.error();
      apply(*r);
      return {};
    };
    if (auto r = step(m_client->request("hello"), [&](const auto& j) { m_model.on_hello(j); }); !r) return fail(r);
    if (auto s = m_client->subscribe(); !s) return fail(Result<void>(s.error()));
    if (auto r = step(m_client->request("status"), [&](const auto& j) { m_model.on_status(j); }); !r) return fail(r);
    if (auto r = step(m_client->request("watchers", {{"state", "all"}}), [&](const auto& j) { m_model.on_watchers(j); });
        !r)
      return fail(r);
    m_model.on_connected();
    return {};
  }

  bool connected() const { return m_client && m_client->connected(); }
  int fd() const { return m_client ? m_client->fd() : -1; }
  bool has_buffered() const { return m_client && m_client->has_buffered_push(); }

  // Applies every push that can be read now; an error when the agent went away.
  Result<void> drain() {
    if (!m_client) return make_error("not connected");
    for (;;) {
      auto p = m_client->next_push(0ms);
      if (!p) {
        Error e = p.error();
        close();
        return e;
      }
      if (!*p) return {};
      m_model.on_push((*p)->event, (*p)->data);
    }
  }

  Result<nlohmann::json> request(std::string_view method, const nlohmann::json& params) {
    if (!connected()) return make_error("not connected to the agent");
    return m_client->request(method, params);
  }

  void close() { m_client.reset(); }

 private:
  Result<void> fail(const Result<void>& r) {
    close();
    return r.error();
  }

  DashModel& m_model;
  std::optional<api::Client> m_client;
};

// Connects, calling on_no_agent once if nobody answers; the error is the
// line the health bar shows.
class Connector {
 public:
  // retrying: the interactive dashboard tries again every second; --once does not.
  Connector(const DashOptions& o, Session& s, bool retrying)
      : m_options(o), m_session(s), m_path(o.socket_path), m_retrying(retrying) {}

  Result<void> connect() {
    api::ConnectFailure why = api::ConnectFailure::None;
    auto r = m_session.open(m_path, &why);
    if (r) return r;
    bool nobody = why == api::ConnectFailure::NoSocket || why == api::ConnectFailure::NotRunning;
    if (nobody && m_options.on_no_agent && !m_tried_embedded) {
      m_tried_embedded = true;
      auto p = m_options.on_no_agent(r.error().message);
      if (p) {
        m_path = *p;
        r = m_session.open(m_path, &why);
        if (r) return r;
      } else {
        return make_error(not_running(r.error().message + "; " + p.error().message, m_retrying));
      }
    }
    if (why == api::ConnectFailure::PermissionDenied)
      return make_error(std::string("cannot reach the agent") + (m_retrying ? " \u2014 retrying\u2026" : "") + " (" +
                        r.error().message + ")");
    if (!nobody)
      return make_error(std::string("cannot talk to the agent") + (m_retrying ? " \u2014 retrying\u2026" : "") +
                        " (" + r.error().message + ")");
    return make_error(not_running(r.error().message, m_retrying));
  }

 private:
  const DashOptions& m_options;
  Session& m_session;
  std::filesystem::path m_path;
  bool m_retrying;
  bool m_tried_embedded = false;
};

// SIGINT, SIGTERM and SIGHUP end the loop through a pipe, so the terminal is
// restored by the normal path (destructors), never from a signal handler.
int g_signal_pipe[2] = {-1, -1};

void on_signal(int) {
  if (g_signal_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &c, 1);
  }
}

class SignalGuard {
 public:
  SignalGuard() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_signal_pipe[0] = g_signal_pipe[1] = -1;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns at once
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &m_old[i]);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &m_old_pipe);  // a write to a vanished agent is an error, not death
  }
  ~SignalGuard() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &m_old[i], nullptr);
    sigaction(SIGPIPE, &m_old_pipe, nullptr);
    for (int& fd : g_signal_pipe)
      if (fd >= 0) ::close(fd), fd = -1;
  }
  int fd() const { return g_signal_pipe[0]; }

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> m_old{};
  struct sigaction m_old_pipe {};
};

int run_once(const DashOptions& o) {
  logging::init(logging::Sink::Stderr, spdlog::level::warn);
  DashModel model;
  Session session(model);
  Connector connector(o, session, false);
  if (auto r = connector.connect(); !r) {
    std::fprintf(stderr, "sousveil dash: %s\n", r.error().message.c_str());
    return 1;
  }
  auto snap = model.snapshot();
  std::string out = o.json ? once_json(*snap).dump(2) + "\n" : once_text(*snap, unix_now(), true);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

void load_history(Session& session, DashModel& model, const UiState& ui) {
  nlohmann::json params = {{"limit", kHistoryLimit}};
  if (!ui.history_category.empty()) params["category"] = ui.history_category;
  auto r = session.request("history", params);
  if (r) {
    model.on_history(*r);
    return;
  }
  // The client's error reads "code: message"; the page says "history unavailable: " already.
  std::string why = r.error().message;
  if (why.starts_with("unavailable: ")) why.erase(0, 13);
  model.on_history_error(why);
}

int run_interactive(const DashOptions& o) {
  // Nothing may write to the terminal while ncurses draws on it.
  logging::init(logging::Sink::Null, spdlog::level::off);
  SignalGuard signals;
  install_terminate_handler();
  auto opened = Terminal::open();
  if (!opened) {
    std::fprintf(stderr, "sousveil dash: %s\n", opened.error().message.c_str());
    return 1;
  }
  Terminal& term = **opened;

  DashModel model;
  Session session(model);
  Connector connector(o, session, true);
  UiState ui;
  ui.unicode = term.unicode();
  ui.colour = term.colour();

  model.on_disconnected("connecting to the agent at " + o.socket_path.string() + "\u2026");
  term.present(compose(*model.snapshot(), ui, term.rows(), term.cols(), unix_now()));
  auto next_retry = Clock::now();
  auto last_frame = Clock::time_point{};
  bool frame_pending = false;
  bool quit = false;
  while (!quit) {
    if (!session.connected() && Clock::now() >= next_retry) {
      if (auto r = connector.connect(); !r) model.on_disconnected(r.error().message);
      else if (ui.page == Page::History) load_history(session, model, ui);
      next_retry = Clock::now() + kRetryEvery;
    }
    auto frame_due = last_frame + kFrameInterval;
    if (Clock::now() >= frame_due) {
      auto snap = model.snapshot();
      ui.detail_default = detail_by_default(term.rows(), term.cols());
      follow_selection(ui, *snap, list_rows(ui, term.rows(), term.cols()));
      clamp_scroll(ui, *snap, term.rows(), term.cols(), unix_now());
      term.present(compose(*snap, ui, term.rows(), term.cols(), unix_now()));
      last_frame = Clock::now();
      frame_pending = false;
    } else {
      frame_pending = true;
    }

    // Sleep until input, a push, a signal, the next whole second (the "since"
    // column ticks) or the next reconnect attempt.
    std::array<pollfd, 3> fds{{{STDIN_FILENO, POLLIN, 0}, {signals.fd(), POLLIN, 0}, {session.fd(), POLLIN, 0}}};
    nfds_t n = session.connected() ? 3 : 2;
    double now = unix_now();
    int timeout_ms = static_cast<int>((1.0 - (now - static_cast<double>(static_cast<long long>(now)))) * 1000) + 1;
    if (!session.connected())
      timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  next_retry - Clock::now()).count()) + 1);
    if (frame_pending)
      timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  last_frame + kFrameInterval - Clock::now()).count()) + 1);
    if (session.has_buffered()) timeout_ms = 0;
    ::poll(fds.data(), n, std::max(0, timeout_ms));  // EINTR (SIGWINCH) falls through to read the keys

    if (fds[1].revents & POLLIN) break;
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) break;  // the terminal is gone
    if (session.connected() && ((fds[2].revents & (POLLIN | POLLHUP | POLLERR)) || session.has_buffered())) {
      if (auto r = session.drain(); !r) {
        model.on_disconnected(not_running("connection lost: " + r.error().message));
        next_retry = Clock::now() + kRetryEvery;
      }
    }
    while (auto key = term.read_key()) {
      if (*key == kKeyResize) continue;  // the next present() repaints at the new size
      auto snap = model.snapshot();
      switch (handle_key(ui, *key, *snap, list_rows(ui, term.rows(), term.cols()))) {
        case Action::Quit: quit = true; break;
        case Action::LoadHistory: load_history(session, model, ui); break;
        default: break;
      }
      if (quit) break;
    }
  }
  return 0;
}

}  // namespace

int run_dash(const DashOptions& options) {
  // Wide characters and their widths follow the locale; the terminal's is the user's.
  std::setlocale(LC_ALL, "");
  if (options.once || options.json) return run_once(options);
  return run_interactive(options);
}

}  // namespace sousveil::tui
