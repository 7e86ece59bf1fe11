// SPDX-License-Identifier: Apache-2.0
// The agent's side of the socket API: a unix socket on the agent's io_context,
// many clients, each with a bounded outgoing queue so a slow one never blocks
// the agent. It knows the agent only through Backend.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/peer.h"
#include "api/protocol.h"
#include "common/result.h"

namespace sousveil::api {

// What the server asks of the agent. Called on the io_context's thread.
class Backend {
 public:
  virtual ~Backend() = default;
  // The object `sousveil status --json` prints.
  virtual nlohmann::json status() = 0;
  // Watcher objects (docs/api.md), active first, newest first.
  virtual std::vector<nlohmann::json> watchers(WatcherFilter filter) = 0;
  // {"rows":[...],"truncated":bool}; nullopt when the agent runs without a store.
  virtual std::optional<Result<nlohmann::json>> history(const HistoryQuery& query) {
    (void)query;
    return std::nullopt;
  }
  // {"rules_loaded":N}, or why the reload failed (the old rules stay in force).
  virtual Result<nlohmann::json> reload() = 0;
};

struct ServerOptions {
  std::filesystem::path socket_path{std::string(kDefaultSocketPath)};
  // The socket's group (mode 0660). A missing group is a warning: the socket
  // stays root's only, the agent still runs.
  std::string group = "sousveil";
  // Members see everything, like root.
  std::string audit_group = "sousveil-audit";
  std::size_t max_clients = 64;
  std::size_t max_queue = 1024;  // outgoing messages per client
  // A client with output waiting that has read nothing for this long is dropped.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds status_interval{std::chrono::seconds(1)};
  std::string version = "0.1.0";
};

struct ServerStats {
  std::size_t clients = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;        // over max_clients
  std::uint64_t requests = 0;
  std::uint64_t request_errors = 0;  // answered with an error
  std::uint64_t pushes = 0;          // pushes queued, over all clients
  std::uint64_t dropped = 0;         // pushes dropped for slow clients
  std::uint64_t disconnected = 0;    // clients the server dropped (stalled, queue full of replies)
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Backend& backend);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the directory, takes the path (a stale socket is replaced, a live
  // one never), sets mode and group, and starts accepting.
  Result<void> start();
  // Closes every connection and removes the socket file if it is still ours.
  void stop();

  // Fans a push out to the clients subscribed to topic, each filtered by its
  // peer's scope. Call on the io_context's thread.
  void publish(std::string_view topic, const nlohmann::json& data);

  // Whether any client listens to topic: lets callers skip building the JSON.
  bool has_subscribers(std::string_view topic) const;
  ServerStats stats() const;
  const ServerOptions& options() const { return m_options; }

  class Session;

 private:
  friend class Session;
  void accept_next();
  void refuse(boost::asio::local::stream_protocol::socket socket, std::string why);
  void arm_timer();
  void on_timer();
  void remove(std::uint64_t session_id);
  std::string handle_line(Session& session, const std::string& line);

  boost::asio::io_context& m_io;
  ServerOptions m_options;
  Backend& m_backend;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> m_acceptor;
  boost::asio::steady_timer m_timer;
  std::map<std::uint64_t, std::shared_ptr<Session>> m_sessions;
  std::uint64_t m_next_session = 1;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> m_socket_identity;  // dev, inode we created
  std::chrono::steady_clock::time_point m_last_status{};
  bool m_running = false;
  ServerStats m_stats;
};

}  // namespace sousveil::api
