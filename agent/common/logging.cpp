// SPDX-License-Identifier: Apache-2.0
#include "common/logging.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <string>

namespace sousveil::logging {
namespace {

std::mutex g_mutex;
spdlog::sink_ptr g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr current_sink() {
  if (!g_sink) g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return g_sink;
}

}  // namespace

void init(Sink sink, spdlog::level::level_enum level) {
  std::lock_guard lock(g_mutex);
  if (sink == Sink::Null)
    g_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  else
    g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  g_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  g_level = level;
  spdlog::drop_all();
}

void init(spdlog::sink_ptr sink, spdlog::level::level_enum level) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
  g_level = level;
  spdlog::drop_all();
}

void set_level(spdlog::level::level_enum level) {
  std::lock_guard lock(g_mutex);
  g_level = level;
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  std::lock_guard lock(g_mutex);
  std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, current_sink());
  logger->set_level(g_level);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace sousveil::logging
