// SPDX-License-Identifier: Apache-2.0
#include "core/runner.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <functional>

#include "common/logging.h"

namespace sousveil {

int run_agent(const RunOptions& options, EventSink& sink) {
  auto log = logging::get("agent");
  boost::asio::io_context own_io(1);
  boost::asio::io_context& io = options.io ? *options.io : own_io;
  Agent agent(io, options.agent, sink);
  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  boost::asio::signal_set reload_signal(io, SIGHUP);
  boost::asio::steady_timer deadline(io);

  if (auto r = agent.start(); !r) {
    log->critical("cannot start: {}", r.error().message);
    return 1;
  }
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log->info("signal={} stopping", sig);
    io.stop();
  });
  std::function<void()> arm_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      (void)agent.reload();  // a failure is logged and shown in status; old rules stay
      arm_reload();
    });
  };
  arm_reload();
  if (options.duration) {
    deadline.expires_after(*options.duration);
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) io.stop();
    });
  }
  if (options.on_ready) options.on_ready(agent);
  io.run();

  agent.flush();
  if (options.on_finish) options.on_finish(agent.status());
  agent.stop();
  return 0;
}

}  // namespace sousveil
