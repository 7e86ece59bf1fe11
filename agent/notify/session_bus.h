// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "notify/notifier.h"

struct sd_bus;

namespace sousveil::notify {

// org.freedesktop.Notifications.Notify on the user's session bus (sd-bus).
class SessionBusServer final : public NotificationServer {
 public:
  // Connects to $DBUS_SESSION_BUS_ADDRESS (or the user's default bus).
  static Result<std::unique_ptr<SessionBusServer>> connect();
  ~SessionBusServer() override;
  SessionBusServer(const SessionBusServer&) = delete;
  SessionBusServer& operator=(const SessionBusServer&) = delete;

  Result<std::uint32_t> notify(const Notification& n) override;
  // The server's name and version (GetServerInformation), for the log.
  Result<std::string> server_information();

 private:
  explicit SessionBusServer(sd_bus* bus) : m_bus(bus) {}
  sd_bus* m_bus;
};

}  // namespace sousveil::notify
