// SPDX-License-Identifier: Apache-2.0
#include "sensors/dbus/sd_bus_connection.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cstring>
#include <utility>

namespace sousveil::dbus {
namespace {

// Switches only this thread's effective uid (the raw syscall, not glibc's
// wrapper, which would switch every thread of the agent), and back.
class ThreadEuid {
 public:
  explicit ThreadEuid(std::optional<std::uint32_t> uid) {
    if (!uid || *uid == ::geteuid()) return;
    if (::syscall(SYS_setresuid, -1, *uid, -1) != 0) {
      m_error = errno;
      return;
    }
    m_switched = true;
  }
  ~ThreadEuid() {
    // Real and saved uid stay 0, so this cannot fail for root.
    if (m_switched) (void)::syscall(SYS_setresuid, -1, 0, -1);
  }
  ThreadEuid(const ThreadEuid&) = delete;
  ThreadEuid& operator=(const ThreadEuid&) = delete;
  int error() const { return m_error; }

 private:
  bool m_switched = false;
  int m_error = 0;
};

// A dispatch hands at most this many messages over before it lets the rest of
// the loop run; the remainder is dispatched next.
constexpr int kBatch = 256;

}  // namespace

std::string error_text(const sd_bus_error* error, int r) {
  if (error && sd_bus_error_is_set(error)) {
    std::string out = error->name ? error->name : "error";
    if (error->message) out += std::string(": ") + error->message;
    return out;
  }
  return std::strerror(r < 0 ? -r : r);
}

Result<std::unique_ptr<SdBusConnection>> SdBusConnection::open(boost::asio::io_context& io,
                                                               const std::filesystem::path& path,
                                                               std::optional<std::uint32_t> as_uid, bool monitor,
                                                               std::string description) {
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r < 0) return make_error("sd_bus_new: " + error_text(nullptr, r));
  auto fail = [&](std::string what, int rr) {
    sd_bus_unref(bus);
    return make_error(what + ": " + error_text(nullptr, rr));
  };
  std::string address = "unix:path=" + path.string();
  if ((r = sd_bus_set_address(bus, address.c_str())) < 0) return fail("address " + address, r);
  if ((r = sd_bus_set_bus_client(bus, 1)) < 0) return fail("bus client", r);
  if (monitor && (r = sd_bus_set_monitor(bus, 1)) < 0) return fail("monitor mode", r);
  (void)sd_bus_set_description(bus, description.c_str());
  {
    ThreadEuid as(as_uid);
    if (as.error()) {
      sd_bus_unref(bus);
      return make_error("cannot act as uid " + std::to_string(*as_uid) + " to authenticate: " +
                        std::strerror(as.error()));
    }
    // connect() and the AUTH EXTERNAL line (which names geteuid()) happen here.
    r = sd_bus_start(bus);
  }
  if (r < 0) return fail("connect " + path.string(), r);
  int fd = sd_bus_get_fd(bus);
  if (fd < 0) return fail("bus fd", fd);
  return std::unique_ptr<SdBusConnection>(new SdBusConnection(io, bus, fd));
}

SdBusConnection::SdBusConnection(boost::asio::io_context& io, sd_bus* bus, int fd)
    : m_io(io), m_bus(bus), m_fd(io, fd), m_timer(io) {}

SdBusConnection::~SdBusConnection() { close(); }

void SdBusConnection::close() {
  if (!m_bus) return;
  m_closed = true;
  m_alive.reset();
  m_timer.cancel();
  // sd-bus owns the fd: give it back without closing it.
  boost::system::error_code ec;
  m_fd.cancel(ec);
  (void)m_fd.release();
  // Frees the pending calls' slots (and their contexts) with the bus.
  sd_bus_close_unref(m_bus);
  m_bus = nullptr;
}

void SdBusConnection::run(OnMessage on_message, OnClosed on_closed) {
  m_on_message = std::move(on_message);
  m_on_closed = std::move(on_closed);
  // Messages may already sit in sd-bus's buffer.
  boost::asio::post(m_io, [this, alive = std::weak_ptr<int>(m_alive)] {
    if (!alive.expired()) dispatch();
  });
}

void SdBusConnection::fail(std::string reason) {
  if (m_closed) return;
  m_closed = true;
  m_timer.cancel();
  boost::system::error_code ec;
  m_fd.cancel(ec);
  boost::asio::post(m_io, [cb = m_on_closed, alive = std::weak_ptr<int>(m_alive), reason = std::move(reason)] {
    if (!alive.expired() && cb) cb(reason);
  });
}

void SdBusConnection::arm() {
  if (m_closed || !m_bus) return;
  int events = sd_bus_get_events(m_bus);
  if (events < 0) return fail(error_text(nullptr, events));
  std::weak_ptr<int> alive = m_alive;
  if ((events & POLLIN) && !m_read_armed) {
    m_read_armed = true;
    m_fd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this, alive](const boost::system::error_code& ec) {
                      if (alive.expired()) return;
                      m_read_armed = false;
                      if (!ec) dispatch();
                    });
  }
  if ((events & POLLOUT) && !m_write_armed) {
    m_write_armed = true;
    m_fd.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                    [this, alive](const boost::system::error_code& ec) {
                      if (alive.expired()) return;
                      m_write_armed = false;
                      if (!ec) dispatch();
                    });
  }
  std::uint64_t usec = UINT64_MAX;
  if (sd_bus_get_timeout(m_bus, &usec) < 0) usec = UINT64_MAX;
  if (usec != m_timer_usec) {
    m_timer_usec = usec;
    m_timer.cancel();
    if (usec != UINT64_MAX) {
      // sd-bus times on CLOCK_MONOTONIC, as steady_clock does on Linux.
      m_timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(usec)));
      m_timer.async_wait([this, alive](const boost::system::error_code& ec) {
        if (ec || alive.expired()) return;
        m_timer_usec = UINT64_MAX;
        dispatch();
      });
    }
  }
}

void SdBusConnection::dispatch() {
  if (m_closed || !m_bus) return;
  std::weak_ptr<int> alive = m_alive;
  for (int i = 0; i < kBatch; ++i) {
    sd_bus_message* m = nullptr;
    int r = sd_bus_process(m_bus, &m);
    if (r < 0) return fail(error_text(nullptr, r));
    if (m) {
      bool disconnected = sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") > 0;
      if (!disconnected && m_on_message) m_on_message(m);
      sd_bus_message_unref(m);
      if (alive.expired()) return;
      if (disconnected) return fail("the bus closed the connection");
    }
    if (r == 0) return arm();
  }
  // More is waiting: let the rest of the loop run first.
  boost::asio::post(m_io, [this, alive] {
    if (!alive.expired()) dispatch();
  });
}

}  // namespace sousveil::dbus
