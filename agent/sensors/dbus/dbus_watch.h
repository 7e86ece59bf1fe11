// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/event.h"

namespace sousveil::dbus {

// The interfaces whose calls mean capture or a step towards it: the portals an
// app asks, the back ends they call, and GNOME's private interfaces.
std::span<const std::string_view> watched_interfaces();
bool is_watched_interface(std::string_view interface);

// BecomeMonitor match rules: method calls on the watched interfaces, plus the
// bus driver's NameOwnerChanged so credentials are cached per connection.
std::vector<std::string> monitor_match_rules();

// What the sensor needs of one message, already read from the wire.
struct BusMessage {
  enum class Type : std::uint8_t { MethodCall, MethodReturn, Error, Signal, Other };
  Type type = Type::Other;
  std::string sender;
  std::string destination;
  std::string path;
  std::string interface;
  std::string member;
  // Body values that identify the kind of request; filled by the reader only
  // for the members that have them (see request_detail_wanted).
  std::optional<bool> interactive;  // Screenshot's "interactive" option
  std::string table;                // PermissionStore's table
  // NameOwnerChanged(name, old_owner, new_owner).
  std::string name;
  std::string old_owner;
  std::string new_owner;
  bool odd_body = false;  // the body did not read as the member's signature says
};

// Which bus a message came from.
struct BusId {
  bool system = false;
  std::uint32_t uid = 0;  // owner of a session bus
  std::string path;
};

// True where the reader should decode part of the body: a couple of flags,
// never contents.
enum class BodyDetail : std::uint8_t { None, ScreenshotOptions, PermissionTable, NameOwnerChanged };
BodyDetail body_detail_wanted(std::string_view interface, std::string_view member);

// A watched call as an event payload, or nothing for messages the monitor
// sees but no rule needs (replies, the driver's own signals).
std::optional<DbusInfo> translate(const BusMessage& message, const BusId& bus);

// A connection joined or left the bus, from the driver's NameOwnerChanged.
struct OwnerChange {
  std::string unique_name;
  bool joined = false;
};
std::optional<OwnerChange> owner_change(const BusMessage& message);

// A process identity for a unique name, as the bus daemon recorded it.
struct Credentials {
  std::uint32_t pid = 0;
  std::uint32_t uid = 0;
  std::uint64_t start_boot_ns = 0;  // from /proc, with pid a key that survives reuse
  std::string comm;
};

// Credentials per unique name on one bus. A unique name is never reused
// while the bus lives, so an entry is right until the connection leaves; the
// cache forgets it then (and, as a bound, the oldest entries past max_size).
// Events that arrive before their sender's credentials wait here.
class CredentialsCache {
 public:
  explicit CredentialsCache(std::size_t max_size = 4096) : m_max_size(max_size) {}

  const Credentials* find(std::string_view unique_name) const;
  // Parks an event until the name is resolved; true when a lookup must be
  // started (none is in flight for the name).
  bool wait(const std::string& unique_name, RawEvent&& event);
  // Starts a lookup without an event (a connection joined): true when one
  // must be sent.
  bool prefetch(const std::string& unique_name);
  // The lookup's answer (nullopt: the bus could not say, usually because the
  // connection had left). Returns the parked events with their process set.
  std::vector<RawEvent> resolved(const std::string& unique_name, std::optional<Credentials> creds);
  // The connection left: forget it once any lookup in flight has answered.
  void drop(const std::string& unique_name);
  void clear();

  std::size_t size() const { return m_entries.size(); }
  std::size_t pending() const { return m_pending.size(); }
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t lookups = 0;
    std::uint64_t failures = 0;  // the bus could not name the sender
    std::uint64_t evicted = 0;
  };
  const Stats& stats() const { return m_stats; }

 private:
  struct Pending {
    std::vector<RawEvent> events;
    bool gone = false;  // left while the lookup was in flight
  };
  void insert(const std::string& unique_name, Credentials creds);

  std::size_t m_max_size;
  std::unordered_map<std::string, Credentials> m_entries;
  std::deque<std::string> m_order;  // insertion order, for the size bound
  std::unordered_map<std::string, Pending> m_pending;
  mutable Stats m_stats;
};

// Fills an event's process from credentials (pid 0 when unknown).
void apply(const Credentials& creds, ProcessRef& process);

}  // namespace sousveil::dbus
