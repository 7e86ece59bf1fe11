// SPDX-License-Identifier: Apache-2.0
#include "api/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sousveil::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  return timeout.count() <= 0 ? Clock::now() : Clock::now() + timeout;
}

}  // namespace

Client::Client(int fd) : m_fd(fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

Client Client::adopt(int fd) { return Client(fd); }

Client::Client(Client&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_closed(other.m_closed),
      m_close_reason(std::move(other.m_close_reason)),
      m_lines(std::move(other.m_lines)),
      m_pushes(std::move(other.m_pushes)),
      m_replies(std::move(other.m_replies)),
      m_next_id(other.m_next_id),
      m_last_error_code(std::move(other.m_last_error_code)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    close_fd();
    m_fd = std::exchange(other.m_fd, -1);
    m_closed = other.m_closed;
    m_close_reason = std::move(other.m_close_reason);
    m_lines = std::move(other.m_lines);
    m_pushes = std::move(other.m_pushes);
    m_replies = std::move(other.m_replies);
    m_next_id = other.m_next_id;
    m_last_error_code = std::move(other.m_last_error_code);
  }
  return *this;
}

Client::~Client() { close_fd(); }

void Client::close_fd() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

Result<Client> Client::connect(const std::filesystem::path& path, ConnectFailure* why) {
  auto fail = [&](ConnectFailure f, std::string message) -> Result<Client> {
    if (why) *why = f;
    return make_error(std::move(message));
  };
  if (why) *why = ConnectFailure::None;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path))
    return fail(ConnectFailure::Other, fmt::format("socket path {} is too long ({} bytes, at most {})", p, p.size(),
                                                   sizeof(addr.sun_path) - 1));
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ConnectFailure::Other, fmt::format("cannot create a socket: {}", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    switch (err) {
      case ENOENT:
        return fail(ConnectFailure::NoSocket,
                    fmt::format("no socket at {}: the agent is not running (start sousveild)", p));
      case EACCES:
      case EPERM:
        return fail(ConnectFailure::PermissionDenied,
                    fmt::format("permission denied on {}: run as root or join the socket's group (default "
                                "\"sousveil\")",
                                p));
      case ECONNREFUSED:
        return fail(ConnectFailure::NotRunning,
                    fmt::format("nobody answers on {}: the agent is not running (a stale socket file)", p));
      case ENOTDIR:
        return fail(ConnectFailure::NoSocket, fmt::format("no socket at {}: a parent is not a directory", p));
      default:
        return fail(ConnectFailure::Other, fmt::format("cannot connect to {}: {}", p, std::strerror(err)));
    }
  }
  return Client(fd);
}

Result<void> Client::send_all(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    if (!connected()) return make_error("not connected to the agent" + (m_close_reason.empty() ? "" : ": " + m_close_reason));
    ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{m_fd, POLLOUT, 0};
      int r = ::poll(&pfd, 1, remaining_ms(deadline));
      if (r == 0) return make_error("timed out sending to the agent");
      if (r < 0 && errno != EINTR) return make_error(fmt::format("poll: {}", std::strerror(errno)));
      continue;
    }
    m_closed = true;
    m_close_reason = fmt::format("send failed: {}", std::strerror(errno));
    return make_error("lost the connection to the agent: " + m_close_reason);
  }
  return {};
}

Result<bool> Client::read_some(Deadline deadline) {
  if (!connected()) return make_error("the connection to the agent is closed" +
                                      (m_close_reason.empty() ? "" : ": " + m_close_reason));
  std::array<char, 64 * 1024> buf;
  bool waited = false;
  for (;;) {
    ssize_t n = ::recv(m_fd, buf.data(), buf.size(), 0);
    if (n > 0) {
      m_lines.append(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      take_lines();
      return true;
    }
    if (n == 0) {
      m_closed = true;
      m_close_reason = "the agent closed the connection";
      take_lines();
      return make_error(m_close_reason);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      m_closed = true;
      m_close_reason = fmt::format("read failed: {}", std::strerror(errno));
      return make_error("lost the connection to the agent: " + m_close_reason);
    }
    if (waited && Clock::now() >= deadline) return false;
    pollfd pfd{m_fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, remaining_ms(deadline));
    if (r < 0 && errno != EINTR) return make_error(fmt::format("poll: {}", std::strerror(errno)));
    if (r == 0) return false;
    waited = true;
  }
}

void Client::take_lines() {
  while (auto line = m_lines.next()) {
    if (line->too_large) {
      // Nothing to hand on; a reply this large would be an agent bug.
      m_replies.push_back(json{{"id", nullptr},
                               {"ok", false},
                               {"error", {{"code", "internal"}, {"message", "a line from the agent exceeded 64 MiB"}}}});
      continue;
    }
    json j = json::parse(line->text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // not ours to judge; the agent only sends objects
    if (auto ev = j.find("event"); ev != j.end() && ev->is_string()) {
      m_pushes.push_back(Push{ev->get<std::string>(), j.value("data", json())});
    } else {
      m_replies.push_back(std::move(j));
    }
  }
}

Result<json> Client::request(std::string_view method, const json& params, std::chrono::milliseconds timeout) {
  m_last_error_code.clear();
  const auto deadline = deadline_after(timeout);
  const std::uint64_t id = m_next_id++;
  if (auto r = send_all(request_line(id, method, params), deadline); !r) return r.error();
  for (;;) {
    while (!m_replies.empty()) {
      json reply = std::move(m_replies.front());
      m_replies.pop_front();
      const json& rid = reply.contains("id") ? reply["id"] : json();
      // A reply to an earlier request that timed out is stale; a null id concerns this connection.
      if (!rid.is_null() && !(rid.is_number_unsigned() && rid.get<std::uint64_t>() == id)) continue;
      if (reply.value("ok", false)) return reply.contains("result") ? reply["result"] : json();
      const json err = reply.value("error", json::object());
      m_last_error_code = err.value("code", "internal");
      return make_error(fmt::format("{}: {}", m_last_error_code, err.value("message", "(no message)")));
    }
    auto got = read_some(deadline);
    if (!got) {
      if (!m_replies.empty()) continue;  // the agent answered (e.g. too many clients) and closed
      return got.error();
    }
    if (!*got && m_replies.empty())
      return make_error(fmt::format("the agent did not answer {} within {} ms", method, timeout.count()));
  }
}

Result<std::vector<std::string>> Client::subscribe(const std::vector<std::string>& topics,
                                                   std::chrono::milliseconds timeout) {
  json params = json::object();
  if (!topics.empty()) params["topics"] = topics;
  auto r = request("subscribe", params, timeout);
  if (!r) return r.error();
  std::vector<std::string> confirmed;
  if (r->is_object() && r->contains("topics") && (*r)["topics"].is_array())
    for (const auto& t : (*r)["topics"])
      if (t.is_string()) confirmed.push_back(t.get<std::string>());
  return confirmed;
}

Result<std::optional<Push>> Client::next_push(std::chrono::milliseconds timeout) {
  const auto deadline = deadline_after(timeout);
  for (;;) {
    if (!m_pushes.empty()) {
      Push p = std::move(m_pushes.front());
      m_pushes.pop_front();
      return std::optional<Push>(std::move(p));
    }
    // An unsolicited error (e.g. "too many clients") ends the wait with its message.
    while (!m_replies.empty()) {
      json reply = std::move(m_replies.front());
      m_replies.pop_front();
      if (reply.contains("id") && reply["id"].is_null() && !reply.value("ok", true)) {
        const json err = reply.value("error", json::object());
        m_last_error_code = err.value("code", "internal");
        return make_error(fmt::format("{}: {}", m_last_error_code, err.value("message", "(no message)")));
      }
    }
    auto got = read_some(deadline);
    if (!got) {
      if (!m_pushes.empty() || !m_replies.empty()) continue;
      return got.error();
    }
    if (!*got && m_pushes.empty() && m_replies.empty()) return std::optional<Push>();
  }
}

}  // namespace sousveil::api
