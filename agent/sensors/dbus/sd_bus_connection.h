// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <systemd/sd-bus.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace sousveil::dbus {

// One sd-bus connection driven by the agent's io_context: its fd waits for
// what sd_bus_get_events asks, its timeout is a steady_timer, and
// sd_bus_process runs only from the loop. No thread.
class SdBusConnection {
 public:
  // Messages sd_bus_process hands back unhandled (a monitor's traffic).
  using OnMessage = std::function<void(sd_bus_message*)>;
  // The connection ended; called through the io_context, never from inside
  // a callback of this connection, so the owner may destroy it.
  using OnClosed = std::function<void(std::string reason)>;

  // Connects to the unix socket at path. With as_uid, the socket is
  // connected and the EXTERNAL authentication line written while this
  // thread's effective uid is as_uid: a session bus admits only its owner,
  // and the daemon takes the uid from the socket's peer credentials.
  static Result<std::unique_ptr<SdBusConnection>> open(boost::asio::io_context& io, const std::filesystem::path& path,
                                                       std::optional<std::uint32_t> as_uid, bool monitor,
                                                       std::string description);
  ~SdBusConnection();
  SdBusConnection(const SdBusConnection&) = delete;
  SdBusConnection& operator=(const SdBusConnection&) = delete;

  void run(OnMessage on_message, OnClosed on_closed);
  // After queueing a message: wait for what the bus now needs.
  void arm();
  void close();
  sd_bus* bus() const { return m_bus; }
  bool closed() const { return m_closed; }

 private:
  SdBusConnection(boost::asio::io_context& io, sd_bus* bus, int fd);
  void dispatch();
  void fail(std::string reason);

  boost::asio::io_context& m_io;
  sd_bus* m_bus;
  boost::asio::posix::stream_descriptor m_fd;
  boost::asio::steady_timer m_timer;
  OnMessage m_on_message;
  OnClosed m_on_closed;
  bool m_read_armed = false;
  bool m_write_armed = false;
  bool m_closed = false;
  std::uint64_t m_timer_usec = UINT64_MAX;
  std::shared_ptr<int> m_alive = std::make_shared<int>(0);
};

// The text of an sd-bus error or errno, for status lines.
std::string error_text(const sd_bus_error* error, int r);

}  // namespace sousveil::dbus
