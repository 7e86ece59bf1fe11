// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/boot_clock.h"
#include "common/result.h"
#include "core/status.h"
#include "enrich/enricher.h"
#include "enrich/process_table.h"
#include "enrich/probe_names.h"
#include "enrich/procfs.h"
#include "model/device_class.h"
#include "model/event.h"
#include "sensors/bpf/bpf_sensor.h"
#include "sensors/proc/device_watch.h"
#include "sensors/proc/proc_scan_sensor.h"
#include "sensors/user_sensor.h"
#include "catalog/catalog.h"
#include "rules/engine.h"
#include "track/tracker.h"

namespace sousveil {

// Where enriched events, their findings and watcher changes go (the CLI's
// printer now; store and socket later).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) = 0;
  // A watcher appeared (announced once) or ended.
  virtual void on_watcher(const track::WatcherChange& change) { (void)change; }
  // Events of a category were lost since the last report: never silent.
  virtual void on_lost(std::string_view category, std::uint64_t count) = 0;
  // A sensor started, failed, reconnected or stopped.
  virtual void on_sensor(const SensorStatus& sensor) { (void)sensor; }
};

struct AgentOptions {
  bool use_bpf = true;
  bool snapshot = true;
  bool emit_process_events = false;
  std::chrono::milliseconds fallback_interval{3000};
  std::chrono::milliseconds housekeeping_interval{1000};
  std::chrono::seconds exited_grace{60};
  std::filesystem::path proc_root = "/proc";
  // No-eBPF mode: device nodes watched with inotify, so an open triggers a /proc scan at once.
  std::filesystem::path dev_root = "/dev";
  bool watch_devices = true;
  std::uint32_t ringbuf_bytes = 8U << 20;
  // The kernel folds repeats of one (process, kind, object) within this window.
  std::chrono::milliseconds ratelimit{1000};
  bool use_rules = true;
  // Rule files and directories, shipped first; empty means the defaults.
  std::vector<std::filesystem::path> rule_sources;
  std::vector<std::filesystem::path> catalog_sources;
  track::TrackerOptions tracker;
  // User-space sensors (X11, D-Bus, posture...); false runs the kernel side only.
  bool use_user_sensors = true;
  // The posture scanner: the root it reads (etc/, proc/, var/lib/dpkg... under
  // it) and how often it rescans besides inotify changes.
  bool use_posture = true;
  std::filesystem::path posture_root = "/";
  std::chrono::milliseconds posture_interval{std::chrono::minutes(10)};
  // D-Bus sensor: the system bus's socket and where session buses appear
  // (RUNTIME_ROOT/UID/bus); tests point them at their own daemons.
  std::filesystem::path dbus_system_bus = "/run/dbus/system_bus_socket";
  std::filesystem::path runtime_root = "/run/user";
};

// Whether a process still holds a device, from /proc.
class ProcHoldChecker final : public track::HoldChecker {
 public:
  explicit ProcHoldChecker(const ProcFs& procfs) : m_procfs(procfs) {}
  std::optional<bool> holds_any(const ProcessKey& process,
                                const std::set<std::pair<std::uint32_t, std::uint32_t>>& devices) override;

 private:
  const ProcFs& m_procfs;
};

// The agent loop: sensors -> resolver -> enricher -> sink, all on one io_context.
class Agent {
 public:
  Agent(boost::asio::io_context& io, AgentOptions options, EventSink& sink);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs the start-up steps in order. Fails only when no sensor at all can run.
  Result<void> start();
  // Tears down in reverse; safe to call more than once.
  void stop();
  // SIGHUP: reloads the rules; a failed reload keeps the rules in force.
  Result<void> reload();
  std::vector<track::Watcher> watchers() const { return m_tracker.watchers(); }
  Status status() const;
  const BootClock& clock() const { return m_clock; }
  // Reads what is already in the ring buffer and the counters now.
  void flush();
  // A part around the agent (the history store) reports its state in status.
  void report_sensor(std::string_view name, SensorState state, std::string detail) {
    set_sensor(name, state, std::move(detail));
  }

 private:
  struct Step {
    std::string_view name;
    std::function<Result<void>()> run;
  };

  Result<void> step_device_table();
  Result<void> step_rules();
  Result<void> step_bpf_sensor();
  Result<void> step_seed_processes();
  Result<void> step_snapshot();
  Result<void> step_bpf_inventory();
  Result<void> step_fallback();
  Result<void> step_user_sensors();
  Result<void> step_housekeeping();

  void handle(RawEvent&& event);
  void deliver(EnrichedEvent&& event);
  void publish(std::vector<track::WatcherChange> changes);
  void arm_fallback();
  void on_device_open(const std::string& path);
  void arm_inotify_scan(std::chrono::steady_clock::time_point at, int attempt);
  void arm_housekeeping();
  void check_losses();
  void check_user_sensors();
  void remember_x11_connect(const RawEvent& ev);
  void name_x11_client(RawEvent& ev);
  void set_sensor(std::string_view name, SensorState state, std::string detail);

  boost::asio::io_context& m_io;
  AgentOptions m_options;
  EventSink& m_sink;
  BootClock m_clock;
  std::uint64_t m_started_boot_ns = 0;
  ProcFs m_procfs;
  DeviceClassTable m_table;
  ProcessTable m_processes;
  ProbeNames m_probe_names;
  PackageIndex m_packages;
  Enricher m_enricher;
  std::unique_ptr<BpfSensor> m_bpf;
  std::unique_ptr<ProcScanSensor> m_proc_scan;
  std::unique_ptr<DeviceWatch> m_device_watch;
  boost::asio::steady_timer m_inotify_timer;
  bool m_inotify_scan_pending = false;
  std::chrono::steady_clock::time_point m_last_inotify_scan{};
  std::vector<std::unique_ptr<UserSensor>> m_user_sensors;
  boost::asio::steady_timer m_fallback_timer;
  boost::asio::steady_timer m_housekeeping_timer;
  std::vector<SensorStatus> m_sensors;
  rules::RuleEngine m_engine{nullptr};
  std::shared_ptr<const catalog::Catalog> m_catalog;
  std::unordered_map<std::string, std::string> m_product_cache;  // exe, unit, package -> product id
  std::string m_rules_error;  // why the last load or reload failed
  std::uint64_t m_findings = 0;
  ProcHoldChecker m_hold_checker{m_procfs};
  track::Tracker m_tracker;
  CategoryCount m_device;
  CategoryCount m_process;
  CategoryCount m_snapshot;
  CategoryCount m_capture;
  CategoryCount m_desktop;
  // Recent connects to X displays seen by the kernel: they name a short-lived
  // X client that left before the X server could say who it was.
  struct X11Connect {
    std::string display;
    ProcessRef process;
    std::uint64_t ts = 0;
  };
  std::deque<X11Connect> m_x11_connects;
  std::uint64_t m_not_a_device = 0;
  std::size_t m_expired_since_trim = 0;
};

}  // namespace sousveil
