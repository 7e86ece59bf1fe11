// SPDX-License-Identifier: Apache-2.0
// The tools' side of the socket API (dashboard, notify, CLI): requests with a
// timeout, subscriptions, pushes read blocking or from a pollable fd.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/protocol.h"
#include "common/result.h"

namespace sousveil::api {

inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{5000};

// A pushed event: "watcher", "finding", "status", "sensor", "lost" or "lagged".
struct Push {
  std::string event;
  nlohmann::json data;
};

// Why connect() failed, for callers that fall back (e.g. `sousveil status` without an agent).
enum class ConnectFailure : std::uint8_t { None, NoSocket, PermissionDenied, NotRunning, Other };

class Client {
 public:
  // Connects to the agent's socket; the error says what to do (start the agent, join the group...).
  static Result<Client> connect(const std::filesystem::path& socket_path, ConnectFailure* why = nullptr);
  // Takes ownership of a connected stream socket (tests use a socketpair).
  static Client adopt(int fd);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends one request and waits for its reply. Pushes that arrive meanwhile are
  // kept for next_push(). An error reply becomes an Error "code: message"; the
  // code stays available in last_error_code().
  Result<nlohmann::json> request(std::string_view method, const nlohmann::json& params = nlohmann::json::object(),
                                 std::chrono::milliseconds timeout = kDefaultRequestTimeout);
  // Subscribes to topics (empty: all); returns the topics the agent confirmed.
  Result<std::vector<std::string>> subscribe(const std::vector<std::string>& topics = {},
                                             std::chrono::milliseconds timeout = kDefaultRequestTimeout);

  // The next push, waiting up to timeout (0: only what can be read now without
  // blocking). nullopt when none came; an Error when the connection is gone.
  Result<std::optional<Push>> next_push(std::chrono::milliseconds timeout);
  // For poll()/epoll together with other fds (POLLIN). Pushes may already be
  // buffered after a request(): drain with next_push(0ms) until nullopt after
  // every wake-up, and before going back to poll.
  int fd() const { return m_fd; }
  bool has_buffered_push() const { return !m_pushes.empty(); }

  const std::string& last_error_code() const { return m_last_error_code; }
  bool connected() const { return m_fd >= 0 && !m_closed; }

 private:
  explicit Client(int fd);
  using Deadline = std::chrono::steady_clock::time_point;

  Result<void> send_all(std::string_view data, Deadline deadline);
  // Reads what is there, waiting until the deadline; false when nothing came in time.
  Result<bool> read_some(Deadline deadline);
  void take_lines();
  void close_fd();

  int m_fd = -1;
  bool m_closed = false;
  std::string m_close_reason;
  LineBuffer m_lines{kMaxReplyBytes};
  std::deque<Push> m_pushes;
  std::deque<nlohmann::json> m_replies;  // replies not yet matched to a request
  std::uint64_t m_next_id = 1;
  std::string m_last_error_code;
};

}  // namespace sousveil::api
