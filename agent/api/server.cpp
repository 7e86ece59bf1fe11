// SPDX-License-Identifier: Apache-2.0
#include "api/server.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <set>
#include <system_error>

#include "common/logging.h"

namespace sousveil::api {

using nlohmann::json;
using boost::asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;

enum class OutKind : std::uint8_t { Reply, Push, Lagged };

struct Outgoing {
  OutKind kind;
  std::shared_ptr<const std::string> line;  // shared: one push line serves every client
  std::uint64_t dropped = 0;                // for Lagged
};

// Whether something answers on a unix socket path: a live agent's socket must never be taken.
enum class Probe { Live, Stale, Error };
Probe probe_socket(const std::string& path, std::string& detail) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), std::min(path.size() + 1, sizeof(addr.sun_path)));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    detail = std::strerror(errno);
    return Probe::Error;
  }
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  Probe result = Probe::Error;
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
    // EAGAIN: a full backlog is still someone listening.
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (rc == 0 && ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
      detail = fmt::format("pid {}", cred.pid);
    else
      detail = "busy";
    result = Probe::Live;
  } else if (err == ECONNREFUSED) {
    result = Probe::Stale;
  } else {
    detail = std::strerror(err);
  }
  ::close(fd);
  return result;
}

}  // namespace

class Server::Session : public std::enable_shared_from_this<Server::Session> {
 public:
  Session(Server& server, std::uint64_t id, stream_protocol::socket socket, Peer peer)
      : m_server(server), m_id(id), m_socket(std::move(socket)), m_peer(std::move(peer)), m_last_progress(Clock::now()) {}

  std::uint64_t id() const { return m_id; }
  const Peer& peer() const { return m_peer; }
  bool subscribed(std::string_view topic) const { return m_topics.count(std::string(topic)) != 0; }
  void set_topics(const std::vector<std::string>& topics) { m_topics = {topics.begin(), topics.end()}; }
  bool wants_status() const { return subscribed(kTopicStatus); }

  void start() { read_next(); }

  void close(std::string_view reason) {
    if (m_closed) return;
    m_closed = true;
    if (!reason.empty())
      logging::get("api")->warn("client dropped: uid={} pid={} reason=\"{}\"", m_peer.uid, m_peer.pid, reason);
    boost::system::error_code ec;
    m_socket.shutdown(stream_protocol::socket::shutdown_both, ec);
    m_socket.close(ec);
    m_server.remove(m_id);
  }

  void send_reply(std::string line) {
    if (m_closed) return;
    if (!make_room()) {
      ++m_server.m_stats.disconnected;
      close(fmt::format("outgoing queue full of replies ({} messages): the client sends requests but does not read",
                        m_queue.size()));
      return;
    }
    m_queue.push_back(Outgoing{OutKind::Reply, std::make_shared<const std::string>(std::move(line))});
    write_next();
  }

  void send_push(const std::shared_ptr<const std::string>& line) {
    if (m_closed) return;
    if (!make_room()) {
      ++m_server.m_stats.disconnected;
      close(fmt::format("outgoing queue full of replies ({} messages)", m_queue.size()));
      return;
    }
    m_queue.push_back(Outgoing{OutKind::Push, line});
    ++m_server.m_stats.pushes;
    write_next();
  }

  // Output has been waiting without the client reading any of it.
  bool stalled(Clock::time_point now, std::chrono::milliseconds limit) const {
    return m_writing && now - m_last_progress > limit;
  }
  std::size_t queued() const { return m_queue.size(); }

 private:
  // Drops the oldest pushes until one more message fits; the lagged marker
  // that takes their place counts them. False when only replies are queued.
  bool make_room() {
    const std::size_t max = std::max<std::size_t>(m_server.m_options.max_queue, 2);
    while (m_queue.size() >= max) {
      auto it = std::find_if(m_queue.begin(), m_queue.end(), [](const Outgoing& o) { return o.kind == OutKind::Push; });
      if (it == m_queue.end()) return false;
      m_queue.erase(it);
      ++m_server.m_stats.dropped;
      if (!m_queue.empty() && m_queue.front().kind == OutKind::Lagged)
        ++m_queue.front().dropped;
      else
        m_queue.push_front(Outgoing{OutKind::Lagged, nullptr, 1});
    }
    return true;
  }

  void read_next() {
    auto self = shared_from_this();
    m_socket.async_read_some(boost::asio::buffer(m_read_buf), [self](const boost::system::error_code& ec, std::size_t n) {
      if (self->m_closed) return;
      if (ec) {
        self->close("");  // the client went away
        return;
      }
      self->m_in.append(std::string_view(self->m_read_buf.data(), n));
      while (auto line = self->m_in.next()) {
        if (self->m_closed) return;
        if (line->too_large) {
          ++self->m_server.m_stats.request_errors;
          self->send_reply(error_line(nullptr, ErrorCode::TooLarge,
                                      fmt::format("request line longer than {} bytes; the rest of that line is "
                                                  "skipped",
                                                  kMaxRequestBytes)));
          continue;
        }
        self->send_reply(self->m_server.handle_line(*self, line->text));
      }
      if (!self->m_closed) self->read_next();
    });
  }

  void write_next() {
    if (m_writing || m_queue.empty() || m_closed) return;
    m_out.clear();
    while (!m_queue.empty() && m_out.size() < kWriteBatch) {
      Outgoing& o = m_queue.front();
      if (o.kind == OutKind::Lagged)
        m_out += push_line(kTopicLagged, {{"dropped", o.dropped}});
      else
        m_out += *o.line;
      m_queue.pop_front();
    }
    m_writing = true;
    m_last_progress = Clock::now();
    auto self = shared_from_this();
    boost::asio::async_write(m_socket, boost::asio::buffer(m_out), [self](const boost::system::error_code& ec, std::size_t) {
      self->m_writing = false;
      if (self->m_closed) return;
      if (ec) {
        self->close("");
        return;
      }
      self->m_last_progress = Clock::now();
      self->write_next();
    });
  }

  Server& m_server;
  std::uint64_t m_id;
  stream_protocol::socket m_socket;
  Peer m_peer;
  LineBuffer m_in{kMaxRequestBytes};
  std::array<char, kReadChunk> m_read_buf{};
  std::set<std::string> m_topics;
  std::deque<Outgoing> m_queue;
  std::string m_out;
  bool m_writing = false;
  bool m_closed = false;
  Clock::time_point m_last_progress;
};

Server::Server(boost::asio::io_context& io, ServerOptions options, Backend& backend)
    : m_io(io), m_options(std::move(options)), m_backend(backend), m_timer(io) {}

Server::~Server() { stop(); }

Result<void> Server::start() {
  auto log = logging::get("api");
  const auto& path = m_options.socket_path;
  const std::string p = path.string();
  if (p.empty() || p.size() >= sizeof(sockaddr_un::sun_path))
    return make_error(fmt::format("socket path \"{}\" is empty or longer than {} bytes", p,
                                  sizeof(sockaddr_un::sun_path) - 1));
  std::error_code fec;
  auto dir = path.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, fec)) {
    std::filesystem::create_directories(dir, fec);
    if (fec) return make_error(fmt::format("cannot create {}: {}", dir.string(), fec.message()));
    ::chmod(dir.c_str(), 0755);
  }

  struct stat st{};
  if (::lstat(p.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(fmt::format("{} exists and is not a socket; not touching it (remove it or choose another "
                                    "--socket)",
                                    p));
    std::string detail;
    switch (probe_socket(p, detail)) {
      case Probe::Live:
        return make_error(fmt::format("another agent is serving {} ({}); not taking its socket", p, detail));
      case Probe::Stale:
        if (::unlink(p.c_str()) != 0)
          return make_error(fmt::format("cannot remove the stale socket {}: {}", p, std::strerror(errno)));
        log->info("removed stale socket path={}", p);
        break;
      case Probe::Error:
        return make_error(fmt::format("cannot tell whether {} is in use: {}", p, detail));
    }
  }

  auto acceptor = std::make_unique<stream_protocol::acceptor>(m_io);
  boost::system::error_code ec;
  acceptor->open(stream_protocol(), ec);
  if (!ec) acceptor->bind(stream_protocol::endpoint(p), ec);
  if (ec) return make_error(fmt::format("cannot bind {}: {}", p, ec.message()));
  acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(fmt::format("cannot listen on {}: {}", p, ec.message()));
  if (::chmod(p.c_str(), 0660) != 0)
    return make_error(fmt::format("cannot set mode 0660 on {}: {}", p, std::strerror(errno)));
  if (!m_options.group.empty()) {
    std::vector<char> buf(16384);
    group gr{};
    group* found = nullptr;
    if (::getgrnam_r(m_options.group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
      log->warn("socket group missing: group={} path={} effect=\"only root can connect; create the group "
                "(groupadd --system {}) and restart\"",
                m_options.group, p, m_options.group);
    } else if (::chown(p.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0) {
      return make_error(fmt::format("cannot give {} to group {}: {}", p, m_options.group, std::strerror(errno)));
    }
  }
  if (::lstat(p.c_str(), &st) == 0) m_socket_identity = std::make_pair(st.st_dev, st.st_ino);
  m_acceptor = std::move(acceptor);
  m_running = true;
  log->info("listening path={} mode=0660 group={} max_clients={} max_queue={}", p, m_options.group,
            m_options.max_clients, m_options.max_queue);
  accept_next();
  arm_timer();
  return {};
}

void Server::stop() {
  if (!m_running) return;
  m_running = false;
  boost::system::error_code ec;
  if (m_acceptor) m_acceptor->close(ec);
  m_timer.cancel();
  auto sessions = m_sessions;  // close() removes from the map
  for (auto& [id, s] : sessions) s->close("");
  m_sessions.clear();
  // Remove the socket only if it is the one we made (a newer agent may own the path now).
  struct stat st{};
  const std::string p = m_options.socket_path.string();
  if (m_socket_identity && ::lstat(p.c_str(), &st) == 0 && st.st_dev == m_socket_identity->first &&
      st.st_ino == m_socket_identity->second)
    ::unlink(p.c_str());
  m_socket_identity.reset();
}

void Server::accept_next() {
  if (!m_acceptor) return;
  m_acceptor->async_accept([this](const boost::system::error_code& ec, stream_protocol::socket socket) {
    if (!m_running) return;
    if (ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      logging::get("api")->warn("accept failed: {}", ec.message());
      // EMFILE and the like: try again shortly instead of spinning.
      auto retry = std::make_shared<boost::asio::steady_timer>(m_io, std::chrono::milliseconds(100));
      retry->async_wait([this, retry](const boost::system::error_code& e) {
        if (!e && m_running) accept_next();
      });
      return;
    }
    if (m_sessions.size() >= m_options.max_clients) {
      refuse(std::move(socket), fmt::format("too many clients ({}); try again later", m_options.max_clients));
    } else {
      auto peer = peer_of_socket(socket.native_handle(), m_options.audit_group);
      if (!peer) {
        refuse(std::move(socket), "cannot read the peer's credentials (SO_PEERCRED)");
      } else {
        ++m_stats.accepted;
        auto id = m_next_session++;
        auto session = std::make_shared<Session>(*this, id, std::move(socket), std::move(*peer));
        m_sessions.emplace(id, session);
        logging::get("api")->debug("client connected: uid={} pid={} scope={}", session->peer().uid,
                                   session->peer().pid, to_string(session->peer().scope));
        session->start();
      }
    }
    accept_next();
  });
}

void Server::refuse(stream_protocol::socket socket, std::string why) {
  ++m_stats.refused;
  logging::get("api")->warn("client refused: reason=\"{}\"", why);
  auto s = std::make_shared<stream_protocol::socket>(std::move(socket));
  auto line = std::make_shared<std::string>(error_line(nullptr, ErrorCode::Unavailable, why));
  boost::asio::async_write(*s, boost::asio::buffer(*line), [s, line](const boost::system::error_code&, std::size_t) {
    boost::system::error_code ec;
    s->shutdown(stream_protocol::socket::shutdown_both, ec);
    s->close(ec);
  });
}

void Server::remove(std::uint64_t session_id) { m_sessions.erase(session_id); }

void Server::arm_timer() {
  auto tick = std::min<std::chrono::milliseconds>(m_options.status_interval, std::chrono::milliseconds(1000));
  m_timer.expires_after(tick);
  m_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !m_running) return;
    on_timer();
    arm_timer();
  });
}

void Server::on_timer() {
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Session>> stalled;
  bool status_wanted = false;
  for (auto& [id, s] : m_sessions) {
    if (s->stalled(now, m_options.stall_timeout)) stalled.push_back(s);
    status_wanted = status_wanted || s->wants_status();
  }
  for (auto& s : stalled) {
    ++m_stats.disconnected;
    s->close(fmt::format("has read nothing for {} s with {} messages waiting",
                         std::chrono::duration_cast<std::chrono::seconds>(m_options.stall_timeout).count(),
                         s->queued()));
  }
  if (status_wanted && now - m_last_status >= m_options.status_interval) {
    m_last_status = now;
    try {
      publish(kTopicStatus, m_backend.status());
    } catch (const std::exception& e) {
      logging::get("api")->error("status for subscribers failed: {}", e.what());
    }
  }
}

void Server::publish(std::string_view topic, const json& data) {
  if (m_sessions.empty()) return;
  const bool filtered = topic == kTopicWatcher || topic == kTopicFinding;
  std::shared_ptr<const std::string> line;
  // Copy: a session may close (and leave the map) while being sent to.
  std::vector<std::shared_ptr<Session>> targets;
  for (auto& [id, s] : m_sessions)
    if (s->subscribed(topic) && (!filtered || visible_to(data, s->peer()))) targets.push_back(s);
  if (targets.empty()) return;
  line = std::make_shared<const std::string>(push_line(topic, data));
  for (auto& s : targets) s->send_push(line);
}

bool Server::has_subscribers(std::string_view topic) const {
  for (const auto& [id, s] : m_sessions)
    if (s->subscribed(topic)) return true;
  return false;
}

ServerStats Server::stats() const {
  ServerStats s = m_stats;
  s.clients = m_sessions.size();
  return s;
}

std::string Server::handle_line(Session& session, const std::string& line) {
  ++m_stats.requests;
  auto parsed = parse_request(line);
  auto fail = [&](const json& id, ErrorCode code, std::string_view message) {
    ++m_stats.request_errors;
    return error_line(id, code, message);
  };
  if (auto* e = std::get_if<RequestError>(&parsed)) return fail(e->id, e->code, e->message);
  const Request& r = std::get<Request>(parsed);
  const Peer& peer = session.peer();
  try {
    switch (r.method) {
      case Method::Hello: {
        if (!r.params.empty()) return fail(r.id, ErrorCode::BadRequest, "method hello takes no params");
        return success_line(r.id, {{"server", "sousveild"},
                                   {"version", m_options.version},
                                   {"protocol", kProtocolVersion},
                                   {"peer", {{"uid", peer.uid}, {"user", peer.user}, {"scope", to_string(peer.scope)}}}});
      }
      case Method::Status:
        if (!r.params.empty()) return fail(r.id, ErrorCode::BadRequest, "method status takes no params");
        return success_line(r.id, m_backend.status());
      case Method::Watchers: {
        auto f = parse_watchers_params(r);
        if (auto* e = std::get_if<RequestError>(&f)) return fail(e->id, e->code, e->message);
        json list = json::array();
        for (auto& w : m_backend.watchers(std::get<WatcherFilter>(f)))
          if (visible_to(w, peer)) list.push_back(std::move(w));
        return success_line(r.id, {{"watchers", std::move(list)}});
      }
      case Method::History: {
        auto q = parse_history_params(r);
        if (auto* e = std::get_if<RequestError>(&q)) return fail(e->id, e->code, e->message);
        auto& query = std::get<HistoryQuery>(q);
        if (peer.scope == Scope::Own) query.visible_uid = peer.uid;
        auto answer = m_backend.history(query);
        if (!answer)
          return fail(r.id, ErrorCode::Unavailable, "history is not available: the agent runs without a store");
        if (!*answer) return fail(r.id, ErrorCode::Internal, "history query failed: " + answer->error().message);
        json result = std::move(answer->value());
        // The store filters by uid; filter again so a store bug cannot leak rows.
        if (peer.scope == Scope::Own && result.contains("rows") && result["rows"].is_array()) {
          json rows = json::array();
          for (auto& row : result["rows"])
            if (visible_to(row, peer)) rows.push_back(std::move(row));
          result["rows"] = std::move(rows);
        }
        return success_line(r.id, result);
      }
      case Method::Subscribe: {
        auto t = parse_subscribe_params(r);
        if (auto* e = std::get_if<RequestError>(&t)) return fail(e->id, e->code, e->message);
        session.set_topics(std::get<std::vector<std::string>>(t));
        return success_line(r.id, {{"topics", std::get<std::vector<std::string>>(t)}});
      }
      case Method::Reload: {
        if (!peer.is_root())
          return fail(r.id, ErrorCode::Forbidden,
                      fmt::format("reload is for root only (you are uid {})", peer.uid));
        if (!r.params.empty()) return fail(r.id, ErrorCode::BadRequest, "method reload takes no params");
        logging::get("api")->info("reload requested: pid={}", peer.pid);
        auto res = m_backend.reload();
        if (!res)
          return fail(r.id, ErrorCode::Internal,
                      "reload failed, the old rules stay in force: " + res.error().message);
        return success_line(r.id, *res);
      }
    }
  } catch (const std::exception& e) {
    logging::get("api")->error("request failed: method={} error=\"{}\"", to_string(r.method), e.what());
    return fail(r.id, ErrorCode::Internal, fmt::format("{} failed inside the agent: {}", to_string(r.method), e.what()));
  }
  return fail(r.id, ErrorCode::Internal, "unhandled method");
}

}  // namespace sousveil::api
