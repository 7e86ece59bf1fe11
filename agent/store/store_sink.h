// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>

#include "common/boot_clock.h"
#include "core/agent.h"
#include "store/store.h"

namespace sousveil::store {

// Records built from what the agent reports: findings (not every raw event),
// watcher transitions, sensor changes, losses, agent start and stop. The JSON
// shapes are the socket API's (finding push, watcher object with "change").
Record finding_record(const EnrichedEvent& event, const rules::Finding& finding, const BootClock& clock);
Record watcher_record(const track::WatcherChange& change, const BootClock& clock);
Record lost_record(std::string_view category, std::uint64_t count, std::int64_t time_ns);
Record sensor_record(const SensorStatus& sensor, std::int64_t time_ns);
Record agent_record(bool started, std::string_view version, std::int64_t time_ns);

// What a finding is about, for people: a device path, a display, a target process...
std::string event_object(const EnrichedEvent& event);

// Turns the agent's sink calls into history records. Never blocks the agent:
// records are queued; on_stored (optional) hears when each became durable, on
// the store's writer thread.
class StoreSink final : public EventSink {
 public:
  using OnStored = std::function<void(const Record& record, Result<std::uint64_t> seq)>;
  StoreSink(Store& store, const BootClock& clock, OnStored on_stored = {});

  void on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) override;
  void on_watcher(const track::WatcherChange& change) override;
  void on_lost(std::string_view category, std::uint64_t count) override;
  void on_sensor(const SensorStatus& sensor) override;
  void agent_started(std::string_view version);
  void agent_stopped(std::string_view version);

 private:
  void put(Record record);

  Store& m_store;
  const BootClock& m_clock;
  OnStored m_on_stored;
};

}  // namespace sousveil::store
