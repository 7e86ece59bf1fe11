// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "enrich/procfs.h"
#include "sensors/dbus/dbus_watch.h"
#include "sensors/dbus/sd_bus_connection.h"
#include "sensors/user_sensor.h"

namespace sousveil::dbus {

struct DbusSensorOptions {
  // The system bus's socket; empty: do not watch the system bus.
  std::filesystem::path system_bus = "/run/dbus/system_bus_socket";
  // Where logged-in users' runtime directories appear (UID/bus in each);
  // empty: no session buses.
  std::filesystem::path runtime_root = "/run/user";
  std::filesystem::path proc_root = "/proc";
  // Ask for a connection's credentials as soon as it joins, so a caller that
  // exits right after its call is still named.
  bool resolve_on_join = true;
  std::chrono::milliseconds call_timeout{2000};
  // How often a bus that failed, or a socket not listening yet, is retried.
  std::chrono::milliseconds retry_interval{10000};
};

// Watches the portal, back-end and GNOME capture interfaces on the system bus
// and on every session bus under runtime_root, one monitor connection
// (BecomeMonitor) per bus, plus one ordinary connection per bus that asks
// the daemon who each caller is (GetConnectionCredentials).
class DbusSensor final : public UserSensor {
 public:
  explicit DbusSensor(DbusSensorOptions options = {});
  ~DbusSensor() override;

  std::string_view name() const override { return "dbus"; }
  Result<void> start(boost::asio::io_context& io, Emit emit) override;
  void stop() override;
  SensorStatus health() const override;

  struct Stats {
    std::uint64_t calls = 0;        // watched calls seen
    std::uint64_t unresolved = 0;   // calls whose sender could not be named
    std::uint64_t odd_messages = 0; // bodies that did not read as their interface says
  };
  Stats stats() const { return m_stats; }
  // Buses monitored now, by socket path.
  std::vector<std::string> monitored() const;

 private:
  struct Bus {
    BusId id;
    std::unique_ptr<SdBusConnection> monitor;
    std::unique_ptr<SdBusConnection> control;
    CredentialsCache cache;
    bool monitoring = false;
    std::string failure;  // why it is not monitored, when it is not
    std::unique_ptr<boost::asio::steady_timer> retry;
    int attempts = 0;        // failed in a row, for the back-off
    bool retry_pending = false;
    DbusSensor* sensor = nullptr;
  };

  void scan();
  void consider(const std::filesystem::path& socket, bool system);
  void connect(Bus& bus);
  void drop(const std::string& path, std::string_view reason);
  void lost(const std::string& path, std::string reason);
  void post_lost(const std::string& path, std::string reason);
  void schedule_retry(Bus& bus);
  void on_message(Bus& bus, sd_bus_message* m);
  void lookup(Bus& bus, const std::string& unique_name);
  void on_credentials(Bus& bus, const std::string& unique_name, sd_bus_message* reply);
  void watch_dir(const std::filesystem::path& dir);
  void arm_inotify();
  void on_inotify();
  void arm_rescan();
  std::optional<Credentials> credentials_of(std::uint32_t pid, std::uint32_t uid) const;

  DbusSensorOptions m_options;
  ProcFs m_procfs;
  boost::asio::io_context* m_io = nullptr;
  Emit m_emit;
  std::map<std::string, std::unique_ptr<Bus>> m_buses;  // by socket path
  int m_inotify = -1;
  int m_root_wd = -1;
  std::map<int, std::filesystem::path> m_dir_wds;  // user runtime dirs watched
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_inotify_fd;
  std::unique_ptr<boost::asio::steady_timer> m_rescan;
  std::string m_root_problem;    // why runtime_root cannot be watched
  std::string m_system_problem;  // why there is no system bus to connect to
  std::array<char, 8192> m_buf{};
  Stats m_stats;
  std::shared_ptr<int> m_alive;
};

// Reads what the sensor needs of one message: header fields, and a flag or
// name from the body where body_detail_wanted says so.
BusMessage read_message(sd_bus_message* m);

}  // namespace sousveil::dbus
