// SPDX-License-Identifier: Apache-2.0
#include "cli/remote.h"

#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "api/client.h"

namespace sousveil::cli {
namespace {

using nlohmann::json;

template <class T>
T get(const json& j, std::initializer_list<const char*> path, T fallback = T{}) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return fallback;
    at = &(*at)[key];
  }
  try {
    return at->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

CategoryCount count_from(const json& j, const char* name) {
  return {get<std::uint64_t>(j, {"events", name, "seen"}), get<std::uint64_t>(j, {"events", name, "delivered"}),
          get<std::uint64_t>(j, {"events", name, "lost"})};
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

}  // namespace

Status status_from_json(const json& j) {
  Status s;
  s.version = get<std::string>(j, {"version"});
  s.mode = get<std::string>(j, {"mode"});
  s.fidelity = get<std::string>(j, {"fidelity"});
  s.uptime_s = get<double>(j, {"uptime_s"});
  if (j.contains("sensors") && j["sensors"].is_array())
    for (const auto& x : j["sensors"]) {
      SensorStatus st;
      st.name = get<std::string>(x, {"name"});
      auto state = get<std::string>(x, {"state"});
      for (auto candidate : {SensorState::Running, SensorState::Done, SensorState::Failed, SensorState::Disabled})
        if (to_string(candidate) == state) st.state = candidate;
      st.detail = get<std::string>(x, {"detail"});
      s.sensors.push_back(std::move(st));
    }
  s.device = count_from(j, "device");
  s.process = count_from(j, "process");
  s.snapshot = count_from(j, "snapshot");
  s.capture = count_from(j, "capture");
  s.desktop = count_from(j, "desktop");
  s.kernel.open_seen = get<std::uint64_t>(j, {"kernel_filter", "opens_seen"});
  s.kernel.open_filtered = get<std::uint64_t>(j, {"kernel_filter", "opens_not_sensitive"});
  s.kernel.open_own_tty = get<std::uint64_t>(j, {"kernel_filter", "opens_own_terminal"});
  s.kernel.open_failed_filtered = get<std::uint64_t>(j, {"kernel_filter", "failed_opens_not_device"});
  s.kernel.rate_limited = get<std::uint64_t>(j, {"kernel_filter", "repeats_folded"});
  s.kernel.capture_emitted = get<std::uint64_t>(j, {"kernel_filter", "capture_emitted"});
  s.decode.decoded = get<std::uint64_t>(j, {"user_space", "records_decoded"});
  s.decode.errors[0] = get<std::uint64_t>(j, {"user_space", "records_malformed"});  // only the total travels
  s.not_a_device = get<std::uint64_t>(j, {"user_space", "failed_opens_not_device"});
  s.processes_tracked = get<std::uint64_t>(j, {"user_space", "processes_tracked"});
  s.proc_reads = get<std::uint64_t>(j, {"user_space", "processes_read_from_proc"});
  s.processes_gone = get<std::uint64_t>(j, {"user_space", "processes_gone_before_read"});
  s.rules_loaded = get<std::size_t>(j, {"rules", "loaded"});
  s.rules_enabled = get<std::size_t>(j, {"rules", "enabled"});
  s.rule_sources = get<std::vector<std::string>>(j, {"rules", "sources"});
  s.rules_error = get<std::string>(j, {"rules", "error"});
  s.products = get<std::size_t>(j, {"rules", "products"});
  s.findings = get<std::uint64_t>(j, {"findings", "total"});
  s.excepted = get<std::uint64_t>(j, {"findings", "excepted"});
  s.watchers_active = get<std::size_t>(j, {"watchers", "active"});
  s.watchers_unconfirmed = get<std::uint64_t>(j, {"watchers", "unconfirmed"});
  return s;
}

std::optional<int> remote_status(const Options& o) {
  // Flags that change how to watch ask for a private agent run, as before.
  if (!o.use_bpf || !o.snapshot || !o.use_rules || !o.rule_sources.empty() || o.duration || o.ratelimit)
    return std::nullopt;
  api::ConnectFailure why{};
  auto client = api::Client::connect(o.socket_path, &why);
  if (!client) {
    if (why == api::ConnectFailure::PermissionDenied || why == api::ConnectFailure::Other)
      std::fprintf(stderr, "sousveil: %s; running a private agent instead\n", client.error().message.c_str());
    return std::nullopt;
  }
  auto st = client->request("status");
  if (!st) {
    std::fprintf(stderr, "sousveil: the agent at %s: %s\n", o.socket_path.c_str(), st.error().message.c_str());
    return 1;
  }
  print(o.json ? st->dump(2) + "\n" : to_text(status_from_json(*st)));
  return 0;
}

std::string watcher_line(const json& w) {
  const json p = w.value("process", json::object());
  std::string since = get<std::string>(w, {"first_seen"});
  if (since.size() >= 19) since = since.substr(0, 10) + " " + since.substr(11, 8);
  std::string line = fmt::format("#{:<4} {:<6} {:<8} {:<17} {}[{}] ({}) {}; since {}, {} events",
                                 get<std::uint64_t>(w, {"id"}), get<std::string>(w, {"state"}),
                                 get<std::string>(w, {"severity"}), get<std::string>(w, {"category"}),
                                 get<std::string>(p, {"comm"}), get<std::uint32_t>(p, {"pid"}),
                                 get<std::string>(p, {"user"}), get<std::string>(w, {"title"}), since,
                                 get<std::uint64_t>(w, {"count"}));
  if (get<std::string>(w, {"state"}) == "ended") line += fmt::format(", ended: {}", get<std::string>(w, {"end_reason"}));
  return line + "\n";
}

int run_watchers(const Options& o) {
  auto client = api::Client::connect(o.socket_path);
  if (!client) {
    std::fprintf(stderr, "sousveil: %s\n", client.error().message.c_str());
    return 1;
  }
  auto r = client->request("watchers", {{"state", o.watcher_state}});
  if (!r) {
    std::fprintf(stderr, "sousveil: the agent at %s: %s\n", o.socket_path.c_str(), r.error().message.c_str());
    return 1;
  }
  if (o.json) {
    print(r->dump(2) + "\n");
    return 0;
  }
  const json list = r->value("watchers", json::array());
  if (list.empty()) {
    print("nothing is watching (as far as this agent can see)\n");
    return 0;
  }
  for (const auto& w : list) print(watcher_line(w));
  return 0;
}

}  // namespace sousveil::cli
