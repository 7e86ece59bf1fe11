// SPDX-License-Identifier: Apache-2.0
// Test helpers for integration tests: a real agent on its own thread, real
// processes to detect.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/agent.h"

namespace sousveil::testing {

// Why a root+BTF integration test cannot run here, or "" when it can.
std::string missing_privilege();

// Collects what the agent emits; safe to read from the test thread.
class CollectingSink final : public EventSink {
 public:
  void on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) override;
  void on_watcher(const track::WatcherChange& change) override;
  std::vector<rules::Finding> findings() const;
  std::vector<track::WatcherChange> watcher_changes() const;
  void on_lost(std::string_view category, std::uint64_t count) override;
  std::vector<EnrichedEvent> events() const;
  // Rule ids that fired on events of this process (and kind, if given).
  std::vector<std::string> rules_fired_for(std::uint32_t pid, std::optional<EventKind> kind = {}) const;
  std::uint64_t lost() const;

 private:
  mutable std::mutex m_mutex;
  std::vector<EnrichedEvent> m_events;
  std::vector<rules::Finding> m_findings;
  struct Fired {
    std::uint32_t pid;
    EventKind kind;
    std::string rule_id;
  };
  std::vector<Fired> m_fired;
  std::vector<track::WatcherChange> m_changes;
  std::uint64_t m_lost = 0;
};

// A real Agent running on its own io_context thread.
class AgentHarness {
 public:
  explicit AgentHarness(AgentOptions options = {});
  ~AgentHarness();

  Result<void> start();
  // Waits until an event satisfies pred; returns it, or nullopt on timeout.
  std::optional<EnrichedEvent> wait_for(const std::function<bool(const EnrichedEvent&)>& pred,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Drains the ring buffer and returns the status, on the agent's thread.
  Status flush_and_status();
  // Runs fn on the agent's thread (to stall it, for example).
  void post(std::function<void()> fn);
  CollectingSink& sink() { return m_sink; }

 private:
  boost::asio::io_context m_io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
  CollectingSink m_sink;
  Agent m_agent;
  std::thread m_thread;
};

// Runs a program with stdout and stderr on /dev/null; returns its pid.
// before_exec runs in the child (to open fds it should hold, for example).
pid_t spawn(const std::vector<std::string>& argv, const std::function<void()>& before_exec = {});
// Waits for a child; returns its exit status as waitpid reports it.
int wait_child(pid_t pid);
// For before_exec: opens path read-only and keeps it at fd (open may already
// return that number, under ctest for example).
void hold_open_at(const char* path, int fd);
// CPU time this thread has used, in nanoseconds (for printing a sensor's cost).
std::int64_t thread_cpu_ns();

// Runs a command and captures its stdout; returns the exit code too.
struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};
Output run_capture(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace sousveil::testing
