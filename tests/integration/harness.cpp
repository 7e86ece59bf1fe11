// SPDX-License-Identifier: Apache-2.0
#include "harness.h"

#include <boost/asio/post.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <future>

#include "common/logging.h"

namespace sousveil::testing {

std::string missing_privilege() {
  if (geteuid() != 0) return "needs root to load BPF programs";
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) return "needs kernel BTF (/sys/kernel/btf/vmlinux)";
  return "";
}

void CollectingSink::on_event(const EnrichedEvent& event, const std::vector<rules::Finding>& findings) {
  std::lock_guard lock(m_mutex);
  m_events.push_back(event);
  m_findings.insert(m_findings.end(), findings.begin(), findings.end());
  for (const auto& f : findings) m_fired.push_back({event.process.pid, event.raw.kind, f.rule_id});
}

std::vector<std::string> CollectingSink::rules_fired_for(std::uint32_t pid, std::optional<EventKind> kind) const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  for (const auto& f : m_fired)
    if (f.pid == pid && (!kind || f.kind == *kind)) out.push_back(f.rule_id);
  return out;
}

void CollectingSink::on_watcher(const track::WatcherChange& change) {
  std::lock_guard lock(m_mutex);
  m_changes.push_back(change);
}

std::vector<rules::Finding> CollectingSink::findings() const {
  std::lock_guard lock(m_mutex);
  return m_findings;
}

std::vector<track::WatcherChange> CollectingSink::watcher_changes() const {
  std::lock_guard lock(m_mutex);
  return m_changes;
}

void CollectingSink::on_lost(std::string_view, std::uint64_t count) {
  std::lock_guard lock(m_mutex);
  m_lost += count;
}

std::vector<EnrichedEvent> CollectingSink::events() const {
  std::lock_guard lock(m_mutex);
  return m_events;
}

std::uint64_t CollectingSink::lost() const {
  std::lock_guard lock(m_mutex);
  return m_lost;
}

AgentHarness::AgentHarness(AgentOptions options) : m_agent(m_io, std::move(options), m_sink) {
  logging::init(logging::Sink::Stderr, spdlog::level::warn);
}

AgentHarness::~AgentHarness() {
  if (m_thread.joinable()) {
    boost::asio::post(m_io, [this] { m_agent.stop(); });
    m_work.reset();
    m_io.stop();
    m_thread.join();
  }
  m_agent.stop();
}

Result<void> AgentHarness::start() {
  auto r = m_agent.start();
  if (!r) return r;
  m_work.emplace(m_io.get_executor());
  m_thread = std::thread([this] { m_io.run(); });
  return {};
}

std::optional<EnrichedEvent> AgentHarness::wait_for(const std::function<bool(const EnrichedEvent&)>& pred,
                                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& e : m_sink.events())
      if (pred(e)) return e;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

Status AgentHarness::flush_and_status() {
  std::promise<Status> done;
  boost::asio::post(m_io, [&] {
    m_agent.flush();
    done.set_value(m_agent.status());
  });
  return done.get_future().get();
}

void AgentHarness::post(std::function<void()> fn) { boost::asio::post(m_io, std::move(fn)); }

pid_t spawn(const std::vector<std::string>& argv, const std::function<void()>& before_exec) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int null = open("/dev/null", O_RDWR);
  dup2(null, 1);
  dup2(null, 2);
  if (before_exec) before_exec();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

void hold_open_at(const char* path, int fd) {
  int got = open(path, O_RDONLY);
  if (got < 0 || got == fd) return;
  dup2(got, fd);
  close(got);
}

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

Output run_capture(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  Output result;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    alarm(static_cast<unsigned>(timeout.count()));
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  auto drain = [](int fd, std::string& into) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) into.append(buf, static_cast<std::size_t>(n));
    close(fd);
  };
  std::thread err_reader([&] { drain(err_pipe[0], result.err); });
  drain(out_pipe[0], result.out);
  err_reader.join();
  int status = wait_child(pid);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace sousveil::testing
