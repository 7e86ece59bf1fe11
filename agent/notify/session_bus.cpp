// SPDX-License-Identifier: Apache-2.0
#include "notify/session_bus.h"

#include <systemd/sd-bus.h>

#include <cstring>

namespace sousveil::notify {
namespace {

constexpr const char* kService = "org.freedesktop.Notifications";
constexpr const char* kPath = "/org/freedesktop/Notifications";
constexpr std::uint64_t kCallTimeoutUsec = 5'000'000;

std::string bus_error(const sd_bus_error* e, int r) {
  if (e && sd_bus_error_is_set(e))
    return std::string(e->name ? e->name : "error") + (e->message ? std::string(": ") + e->message : "");
  return std::strerror(-r);
}

// Frees a message on every path.
struct MessageRef {
  sd_bus_message* m = nullptr;
  ~MessageRef() { sd_bus_message_unref(m); }
};

}  // namespace

Result<std::unique_ptr<SessionBusServer>> SessionBusServer::connect() {
  sd_bus* bus = nullptr;
  int r = sd_bus_open_user(&bus);
  if (r < 0)
    return make_error(std::string("cannot connect to the session bus (DBUS_SESSION_BUS_ADDRESS=") +
                      (std::getenv("DBUS_SESSION_BUS_ADDRESS") ? std::getenv("DBUS_SESSION_BUS_ADDRESS") : "unset") +
                      "): " + std::strerror(-r));
  return std::unique_ptr<SessionBusServer>(new SessionBusServer(bus));
}

SessionBusServer::~SessionBusServer() { sd_bus_flush_close_unref(m_bus); }

Result<std::uint32_t> SessionBusServer::notify(const Notification& n) {
  MessageRef msg, reply;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  auto fail = [&](const char* what, int r) {
    auto e = make_error(std::string(what) + ": " + bus_error(&error, r));
    sd_bus_error_free(&error);
    return e;
  };
  int r = sd_bus_message_new_method_call(m_bus, &msg.m, kService, kPath, kService, "Notify");
  if (r < 0) return fail("Notify: cannot build the call", r);
  // app_name, replaces_id, app_icon, summary, body
  r = sd_bus_message_append(msg.m, "susss", "sousveil", 0U, "dialog-warning", n.summary.c_str(), n.body.c_str());
  if (r >= 0) r = sd_bus_message_append(msg.m, "as", 0);  // no actions
  if (r >= 0)
    r = sd_bus_message_append(msg.m, "a{sv}", 2, "urgency", "y", static_cast<std::uint8_t>(n.urgency), "category", "s",
                              "device");
  std::int32_t expire = n.expire_timeout.count() > 0 ? static_cast<std::int32_t>(n.expire_timeout.count()) : -1;
  if (r >= 0) r = sd_bus_message_append(msg.m, "i", expire);
  if (r < 0) return fail("Notify: cannot build the call", r);
  r = sd_bus_call(m_bus, msg.m, kCallTimeoutUsec, &error, &reply.m);
  if (r < 0) return fail("Notify on the session bus failed", r);
  std::uint32_t id = 0;
  r = sd_bus_message_read(reply.m, "u", &id);
  if (r < 0) return fail("Notify: unexpected reply", r);
  return id;
}

Result<std::string> SessionBusServer::server_information() {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  MessageRef reply;
  int r = sd_bus_call_method(m_bus, kService, kPath, kService, "GetServerInformation", &error, &reply.m, "");
  if (r < 0) {
    auto e = make_error("no notification server answers on the session bus: " + bus_error(&error, r));
    sd_bus_error_free(&error);
    return e;
  }
  const char *name = nullptr, *vendor = nullptr, *version = nullptr, *spec = nullptr;
  r = sd_bus_message_read(reply.m, "ssss", &name, &vendor, &version, &spec);
  if (r < 0) return make_error("GetServerInformation: unexpected reply");
  return std::string(name) + " " + version + " (" + vendor + ", spec " + spec + ")";
}

}  // namespace sousveil::notify
