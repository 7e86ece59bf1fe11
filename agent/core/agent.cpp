// SPDX-License-Identifier: Apache-2.0
#include "core/agent.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>

#include "common/logging.h"
#include "enrich/device_resolver.h"
#include "sensors/bpf/inventory.h"
#include "rules/defaults.h"
#include "rules/event_fields.h"
#include "rules/loader.h"

#ifndef SOUSVEIL_VERSION
#define SOUSVEIL_VERSION "0.0.0"
#endif

namespace sousveil {
namespace {

auto log() {
  static auto logger = logging::get("agent");
  return logger;
}

}  // namespace

std::optional<bool> ProcHoldChecker::holds_any(const ProcessKey& process,
                                               const std::set<std::pair<std::uint32_t, std::uint32_t>>& devices) {
  auto st = m_procfs.stat(process.pid);
  if (!st || st->start_ticks != process.start_ticks || st->state == 'Z') return std::nullopt;
  for (const auto& fd : m_procfs.char_device_fds(process.pid))
    if (devices.count({fd.major, fd.minor})) return true;
  return false;
}

Agent::Agent(boost::asio::io_context& io, AgentOptions options, EventSink& sink)
    : m_io(io),
      m_options(std::move(options)),
      m_sink(sink),
      m_procfs(m_options.proc_root),
      m_enricher(m_procfs, m_processes, &m_packages),
      m_inotify_timer(io),
      m_fallback_timer(io),
      m_housekeeping_timer(io),
      m_tracker(m_options.tracker, m_hold_checker) {}

Agent::~Agent() { stop(); }

void Agent::set_sensor(std::string_view name, SensorState state, std::string detail) {
  SensorStatus now{std::string(name), state, std::move(detail)};
  auto it = std::find_if(m_sensors.begin(), m_sensors.end(), [&](const auto& s) { return s.name == name; });
  if (it != m_sensors.end() && *it == now) return;
  // The start-up steps say how each sensor began; what changes later is news.
  bool first = it == m_sensors.end();
  if (first) it = m_sensors.insert(m_sensors.end(), now);
  else *it = now;
  if (first) log()->debug("sensor={} state={} detail={}", name, to_string(state), it->detail);
  else if (state == SensorState::Failed) log()->warn("sensor={} state={} detail={}", name, to_string(state), it->detail);
  else log()->info("sensor={} state={} detail={}", name, to_string(state), it->detail);
  m_sink.on_sensor(*it);
}

Result<void> Agent::step_user_sensors() {
  if (!m_options.use_user_sensors) return {};
  for (auto& sensor : make_user_sensors(m_options)) {
    // One that cannot start is reported and dropped; the others keep working.
    // One that starts reports its own reconnects through health().
    if (auto r = sensor->start(m_io, [this](RawEvent&& ev) { handle(std::move(ev)); }); !r) {
      log()->info("sensor={} cannot start: {}", sensor->name(), r.error().message);
      set_sensor(sensor->name(), SensorState::Failed, r.error().message);
      continue;
    }
    m_user_sensors.push_back(std::move(sensor));
  }
  check_user_sensors();
  return {};
}

void Agent::check_user_sensors() {
  for (const auto& sensor : m_user_sensors) {
    auto h = sensor->health();
    set_sensor(sensor->name(), h.state, std::move(h.detail));
  }
}
Result<void> Agent::start() {
  m_started_boot_ns = BootClock::now_boot_ns();
  const Step steps[] = {
      {"device table", [this] { return step_device_table(); }},
      {"rules", [this] { return step_rules(); }},
      {"ebpf sensor", [this] { return step_bpf_sensor(); }},
      {"process table", [this] { return step_seed_processes(); }},
      {"snapshot", [this] { return step_snapshot(); }},
      {"bpf inventory", [this] { return step_bpf_inventory(); }},
      {"fallback", [this] { return step_fallback(); }},
      {"user sensors", [this] { return step_user_sensors(); }},
      {"housekeeping", [this] { return step_housekeeping(); }},
  };
  for (const auto& step : steps) {
    if (auto r = step.run(); !r) {
      log()->error("start-up step '{}' failed: {}", step.name, r.error().message);
      stop();
      return make_error(std::string(step.name) + ": " + r.error().message);
    }
    log()->debug("step={} done", step.name);
  }
  return {};
}

Result<void> Agent::step_device_table() {
  // hidraw has a dynamic major: ask the kernel which one it got.
  std::optional<std::uint32_t> hidraw;
  if (auto text = m_procfs.read_file("devices")) {
    auto majors = parse_proc_devices(*text);
    if (auto it = majors.find("hidraw"); it != majors.end()) hidraw = it->second;
  }
  m_table = DeviceClassTable::standard(hidraw);
  log()->debug("device table: {} major rules, {} exact rules, hidraw major {}",
               m_table.major_rules().size(), m_table.exact_rules().size(),
               hidraw ? std::to_string(*hidraw) : "none");
  return {};
}

Result<void> Agent::step_rules() {
  if (!m_options.use_rules) {
    set_sensor("rules", SensorState::Disabled, "switched off: events only, no findings");
    return {};
  }
  auto sources = m_options.rule_sources.empty() ? rules::default_rule_sources() : m_options.rule_sources;
  auto catalog_sources = m_options.catalog_sources;
  if (catalog_sources.empty()) catalog_sources.push_back(rules::shipped_rules_dir() / "products");
  auto cat = catalog::load_catalog(catalog_sources);
  if (cat.ok()) {
    m_catalog = cat.catalog;
  } else {
    log()->error("product catalog not loaded: {} error(s), first: {}", cat.errors.size(),
                 cat.errors.front().headline());
  }
  if (auto r = reload(); !r) {
    // Keep watching: events still flow and say so; findings need valid rules.
    set_sensor("rules", SensorState::Failed, r.error().message);
  }
  return {};
}

Result<void> Agent::reload() {
  if (!m_options.use_rules) {
    log()->info("reload requested: rules are switched off");
    return {};
  }
  auto sources = m_options.rule_sources.empty() ? rules::default_rule_sources() : m_options.rule_sources;
  auto loaded = rules::load_rules(sources);
  if (!loaded.ok()) {
    auto kept = m_engine.ruleset();
    m_rules_error = std::to_string(loaded.errors.size()) + " error(s) in the rules, first: " +
                    loaded.errors.front().headline() +
                    (kept ? "; keeping the " + std::to_string(kept->rules().size()) + " rules in force"
                          : "; no rules are in force");
    log()->error("rules not loaded: {}", m_rules_error);
    for (const auto& e : loaded.errors) log()->error("{}", e.format());
    return make_error(m_rules_error);
  }
  m_rules_error.clear();
  m_engine.swap(loaded.ruleset);
  std::string detail = std::to_string(loaded.ruleset->enabled_count()) + " of " +
                       std::to_string(loaded.ruleset->rules().size()) + " rules enabled, " +
                       std::to_string(m_catalog ? m_catalog->products().size() : 0) + " products";
  set_sensor("rules", SensorState::Running, detail);
  log()->info("rules loaded: {}", detail);
  return {};
}

Result<void> Agent::step_bpf_sensor() {
  if (!m_options.use_bpf) {
    set_sensor("ebpf", SensorState::Disabled, "switched off (--no-bpf)");
    return {};
  }
  route_libbpf_logs();
  BpfSensorOptions opts;
  opts.ringbuf_bytes = m_options.ringbuf_bytes;
  opts.ratelimit_ns = static_cast<std::uint64_t>(m_options.ratelimit.count()) * 1'000'000ULL;
  auto sensor = BpfSensor::start(m_io, m_table, [this](RawEvent&& e) { handle(std::move(e)); }, opts);
  if (!sensor) {
    set_sensor("ebpf", SensorState::Failed, sensor.error().message);
    log()->warn("eBPF sensor unavailable: {}; falling back to scanning /proc every {} ms (lower "
                "fidelity: short-lived access between scans is missed)",
                sensor.error().message, m_options.fallback_interval.count());
    return {};
  }
  m_bpf = std::move(sensor).value();
  set_sensor("ebpf", SensorState::Running,
             "device opens, sensitive ioctls, device read rates, ptrace/process_vm/proc-mem, display and "
             "audio connects, other BPF programs, LD_PRELOAD and ld.so.preload, exec/fork/exit; 32-bit "
             "(compat) system calls and io_uring opens and reads too");
  return {};
}

Result<void> Agent::step_seed_processes() {
  m_enricher.seed();
  log()->debug("process table seeded with {} processes", m_enricher.stats().seeded);
  return {};
}

Result<void> Agent::step_snapshot() {
  if (!m_options.snapshot) {
    set_sensor("snapshot", SensorState::Disabled, "switched off (--no-snapshot)");
    return {};
  }
  if (!m_bpf) return {};  // the first fallback scan is the snapshot
  auto found = m_bpf->snapshot();
  if (!found) {
    set_sensor("snapshot", SensorState::Failed, found.error().message);
    log()->warn("start-up snapshot failed: {}", found.error().message);
    return {};
  }
  std::size_t n = found->size();
  for (auto& ev : *found) handle(std::move(ev));
  set_sensor("snapshot", SensorState::Done,
             "task_file iterator: " + std::to_string(n) + " sensitive fds already open at start");
  return {};
}

Result<void> Agent::step_bpf_inventory() {
  if (!m_bpf || !m_options.snapshot) return {};
  auto found = bpf_inventory(m_procfs, m_bpf->own_program_ids());
  if (!found) {
    set_sensor("bpf-inventory", SensorState::Failed, found.error().message);
    return {};
  }
  std::size_t n = found->size();
  for (auto& ev : *found) handle(std::move(ev));
  set_sensor("bpf-inventory", SensorState::Done,
             std::to_string(n) + " BPF programs of other software loaded at start");
  return {};
}

Result<void> Agent::step_fallback() {
  if (m_bpf) {
    set_sensor("proc-scan", SensorState::Disabled, "not needed: eBPF is running");
    return {};
  }
  m_proc_scan = std::make_unique<ProcScanSensor>(m_procfs, m_table, static_cast<std::uint32_t>(getpid()));
  for (auto& ev : m_proc_scan->scan(BootClock::now_boot_ns())) handle(std::move(ev));
  set_sensor("proc-scan", SensorState::Running,
             "scanning /proc/*/fd every " + std::to_string(m_options.fallback_interval.count()) +
                 " ms (lower fidelity)");
  arm_fallback();
  if (!m_options.watch_devices) {
    set_sensor("device-watch", SensorState::Disabled, "switched off");
    return {};
  }
  m_device_watch = std::make_unique<DeviceWatch>(m_io, m_options.dev_root,
                                                 [this](const std::string& path) { on_device_open(path); });
  if (auto r = m_device_watch->start(); !r) {
    m_device_watch.reset();
    set_sensor("device-watch", SensorState::Failed,
               r.error().message + ": opens are seen only by the periodic /proc scan");
    return {};
  }
  set_sensor("device-watch", SensorState::Running,
             "inotify on " + std::to_string(m_device_watch->stats().nodes) + " device nodes under " +
                 m_options.dev_root.string() +
                 ": an open triggers a /proc scan at once (events say source inotify; inotify does not "
                 "name the opener, so one that closes before the scan is missed)");
  return {};
}

void Agent::on_device_open(const std::string& path) {
  (void)path;
  if (!m_proc_scan || m_inotify_scan_pending) return;
  // The opener installs its fd just after the open is reported: wait a moment.
  // Bursts of opens share one scan, and scans are spaced so that a program
  // reopening a device in a loop cannot keep the agent busy.
  constexpr auto kSettle = std::chrono::milliseconds(15);
  constexpr auto kMinGap = std::chrono::milliseconds(200);
  auto now = std::chrono::steady_clock::now();
  arm_inotify_scan(std::max(now + kSettle, m_last_inotify_scan + kMinGap), 0);
}

void Agent::arm_inotify_scan(std::chrono::steady_clock::time_point at, int attempt) {
  m_inotify_scan_pending = true;
  m_inotify_timer.expires_at(at);
  m_inotify_timer.async_wait([this, attempt](const boost::system::error_code& ec) {
    m_inotify_scan_pending = false;
    if (ec || !m_proc_scan) return;
    m_last_inotify_scan = std::chrono::steady_clock::now();
    auto found = m_proc_scan->scan(BootClock::now_boot_ns(), EventSource::Inotify);
    // inotify does not say who opened, so what this scan found may be someone
    // else; and on a busy machine the opener may not have installed its fd yet
    // (or not yet become the program it will be). Look a few more times, over
    // about a second and a half, before leaving it to the periodic scan; the
    // scan reports each holder once, so looking again costs only the scan.
    constexpr int kRetries = 5;
    if (attempt < kRetries)
      arm_inotify_scan(m_last_inotify_scan + std::chrono::milliseconds(100) * (attempt + 1), attempt + 1);
    for (auto& ev : found) handle(std::move(ev));
  });
}

Result<void> Agent::step_housekeeping() {
  arm_housekeeping();
  return {};
}

void Agent::arm_fallback() {
  m_fallback_timer.expires_after(m_options.fallback_interval);
  m_fallback_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !m_proc_scan) return;
    for (auto& ev : m_proc_scan->scan(BootClock::now_boot_ns())) handle(std::move(ev));
    arm_fallback();
  });
}

void Agent::arm_housekeeping() {
  m_housekeeping_timer.expires_after(m_options.housekeeping_interval);
  m_housekeeping_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check_losses();
    check_user_sensors();
    if (m_bpf)
      for (auto& ev : m_bpf->collect_reads(BootClock::now_boot_ns())) handle(std::move(ev));
    publish(m_tracker.tick(BootClock::now_boot_ns()));
    auto grace = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(m_options.exited_grace).count());
    m_expired_since_trim += m_processes.expire(BootClock::now_boot_ns(), grace);
    // After a burst of short-lived processes has been forgotten, hand the
    // freed heap back to the system instead of keeping it for the next burst.
    if (m_expired_since_trim >= 1000) {
      m_expired_since_trim = 0;
      ::malloc_trim(0);
    }
    arm_housekeeping();
  });
}

void Agent::check_losses() {
  if (!m_bpf) return;
  auto k = m_bpf->counters();
  auto report = [this](std::string_view category, CategoryCount& c, std::uint64_t lost) {
    if (lost <= c.lost) return;
    auto delta = lost - c.lost;
    c.lost = lost;
    log()->warn("events lost: category={} count={} total={}", category, delta, lost);
    m_sink.on_lost(category, delta);
  };
  report("device", m_device, k.device_lost);
  report("process", m_process, k.process_lost);
  report("snapshot", m_snapshot, k.snapshot_lost);
  report("capture", m_capture, k.capture_lost);
}

void Agent::flush() {
  if (m_bpf) m_bpf->drain();
  check_losses();
}

void Agent::handle(RawEvent&& ev) {
  switch (ev.kind) {
    case EventKind::ProcessExec:
    case EventKind::ProcessFork:
    case EventKind::ProcessExit: {
      ++m_process.seen;
      m_enricher.observe(ev);
      if (ev.kind == EventKind::ProcessExit)
        publish(m_tracker.on_process_exit({ev.process.pid, boot_ns_to_ticks(ev.process.start_boot_ns)},
                                          ev.ts_boot_ns));
      if (!m_options.emit_process_events) return;
      ++m_process.delivered;
      auto info = m_enricher.identify(ev);
      deliver({std::move(ev), std::move(info)});
      return;
    }
    case EventKind::DeviceOpen:
    case EventKind::DeviceHeld: {
      auto& count = ev.source == EventSource::EbpfSnapshot ? m_snapshot : m_device;
      ++count.seen;
      // Found holding a device before sousveil started: count its reads from now on.
      if (ev.source == EventSource::EbpfSnapshot && m_bpf) m_bpf->mark_holder(ev.process.pid);
      if (!resolve_device(ev, m_procfs, m_table)) {
        ++m_not_a_device;
        return;
      }
      ++count.delivered;
      auto info = m_enricher.identify(ev);
      deliver({std::move(ev), std::move(info)});
      return;
    }
    case EventKind::BpfProgram:
    case EventKind::DeviceRead:
    case EventKind::DeviceIoctl:
    case EventKind::ProcessAccess:
    case EventKind::SocketConnect:
    case EventKind::LibraryInjection: {
      ++m_capture.seen;
      if (!resolve_capture(ev, m_procfs, m_probe_names)) {
        ++m_not_a_device;
        return;
      }
      ++m_capture.delivered;
      if (ev.kind == EventKind::SocketConnect) remember_x11_connect(ev);
      EnrichedEvent enriched{std::move(ev), {}, {}};
      enriched.process = m_enricher.identify(enriched.raw);
      if (const auto* access = std::get_if<AccessInfo>(&enriched.raw.payload))
        enriched.target = m_enricher.identify_pid(access->target_pid);
      deliver(std::move(enriched));
      return;
    }
    default: {
      // From a user-space sensor (X11, D-Bus, posture...): already about something sensitive.
      ++m_desktop.seen;
      ++m_desktop.delivered;
      if (ev.kind == EventKind::X11Request) name_x11_client(ev);
      EnrichedEvent enriched{std::move(ev), {}, {}};
      // A posture finding about a file or package has no process behind it.
      if (enriched.raw.kind != EventKind::Posture || enriched.raw.process.pid != 0)
        enriched.process = m_enricher.identify(enriched.raw);
      deliver(std::move(enriched));
      return;
    }
  }
}

void Agent::remember_x11_connect(const RawEvent& ev) {
  const auto* c = std::get_if<ConnectInfo>(&ev.payload);
  if (!c || c->service != "x11" || c->display.empty()) return;
  constexpr std::size_t kKept = 256;
  if (m_x11_connects.size() >= kKept) m_x11_connects.pop_front();
  m_x11_connects.push_back({c->display, ev.process, ev.ts_boot_ns});
}

void Agent::name_x11_client(RawEvent& ev) {
  auto* x = std::get_if<X11Info>(&ev.payload);
  if (!x) return;
  if (ev.process.pid != 0) {
    x->named_by = "x-resource";
    return;
  }
  // The client left before X-Resource answered (a screenshot tool is done in
  // milliseconds). If exactly one process other than sousveil connected to this
  // display in the seconds before, it is that client; with two or more, say nothing.
  constexpr std::uint64_t kWindowNs = 5'000'000'000ULL;
  const X11Connect* match = nullptr;
  int candidates = 0;
  for (const auto& c : m_x11_connects) {
    if (c.display != x->display || c.ts > ev.ts_boot_ns || ev.ts_boot_ns - c.ts > kWindowNs) continue;
    if (c.process.pid == static_cast<std::uint32_t>(::getpid())) continue;
    if (match && match->process.pid == c.process.pid) continue;
    match = &c;
    ++candidates;
  }
  if (candidates == 1) {
    ev.process = match->process;
    x->named_by = "connect";
  }
}

void Agent::deliver(EnrichedEvent&& ev) {
  if (m_catalog) {
    // A handful of programs make most events: match each once.
    std::string key = ev.process.exe + '\0' + ev.process.unit + '\0' + ev.process.package;
    auto it = m_product_cache.find(key);
    if (it == m_product_cache.end()) {
      if (m_product_cache.size() > 4096) m_product_cache.clear();
      const auto* product = m_catalog->match({ev.process.exe, ev.process.unit, ev.process.package});
      it = m_product_cache.emplace(std::move(key), product ? product->id : std::string()).first;
    }
    ev.process.product = it->second;
  }
  std::vector<rules::Finding> findings;
  std::vector<track::WatcherChange> changes;
  const auto* posture = std::get_if<PostureInfo>(&ev.raw.payload);
  if (posture && posture->state == PostureState::Resolved) {
    // Gone from disk or /proc: nothing to match, its watchers end.
    changes = m_tracker.on_resolved(posture_subject_key(ev.raw), ev.raw.ts_boot_ns);
  } else if (auto rs = m_engine.ruleset()) {
    rules::EnrichedEventFields fields(ev);
    findings = m_engine.evaluate(fields, to_string(ev.raw.kind), ev.process.product);
    // Watchers are timed by the event, so a burst read late is still in order.
    for (const auto& f : findings) {
      auto more = m_tracker.on_finding(f, rs->find(f.rule_id), ev, ev.raw.ts_boot_ns);
      changes.insert(changes.end(), more.begin(), more.end());
    }
  }
  m_findings += findings.size();
  m_sink.on_event(ev, findings);
  publish(std::move(changes));
}

void Agent::publish(std::vector<track::WatcherChange> changes) {
  for (const auto& c : changes) {
    const auto& w = c.watcher;
    log()->info("watcher={} change={} rule={} severity={} pid={} exe={} reason={}", w.id, to_string(c.change),
                w.finding.rule_id, rules::to_string(w.finding.severity), w.process.pid, w.process.exe,
                c.change == track::Change::Ended ? w.end_reason : w.finding.explanation);
    m_sink.on_watcher(c);
  }
}

Status Agent::status() const {
  Status s;
  s.version = SOUSVEIL_VERSION;
  s.mode = m_bpf ? "ebpf" : "fallback";
  s.fidelity = m_bpf ? "full" : "low";
  s.uptime_s = static_cast<double>(BootClock::now_boot_ns() - m_started_boot_ns) / 1e9;
  s.sensors = m_sensors;
  s.device = m_device;
  s.process = m_process;
  s.snapshot = m_snapshot;
  s.capture = m_capture;
  s.desktop = m_desktop;
  if (m_bpf) {
    s.kernel = m_bpf->counters();
    s.decode = m_bpf->decode_stats();
    s.device.lost = s.kernel.device_lost;
    s.process.lost = s.kernel.process_lost;
    s.snapshot.lost = s.kernel.snapshot_lost;
    s.capture.lost = s.kernel.capture_lost;
  }
  s.not_a_device = m_not_a_device;
  s.processes_tracked = m_processes.size();
  s.proc_reads = m_enricher.stats().proc_reads;
  s.processes_gone = m_enricher.stats().proc_gone;
  if (auto rs = m_engine.ruleset()) {
    s.rules_loaded = rs->rules().size();
    s.rules_enabled = rs->enabled_count();
    s.rule_sources = rs->sources();
  }
  s.rules_error = m_rules_error;
  s.products = m_catalog ? m_catalog->products().size() : 0;
  s.findings = m_findings;
  s.excepted = m_engine.excepted();
  s.watchers_active = m_tracker.active_count();
  s.watchers_unconfirmed = m_tracker.unconfirmed();
  return s;
}

void Agent::stop() {
  // Teardown, reverse of start-up.
  m_housekeeping_timer.cancel();
  m_fallback_timer.cancel();
  m_inotify_timer.cancel();
  m_device_watch.reset();
  for (auto& sensor : m_user_sensors) sensor->stop();
  m_user_sensors.clear();
  m_proc_scan.reset();
  if (m_bpf) {
    m_bpf->drain();
    m_bpf->stop();
  }
}

}  // namespace sousveil
