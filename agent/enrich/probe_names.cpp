// SPDX-License-Identifier: Apache-2.0
#include "enrich/probe_names.h"

#include <fstream>

namespace sousveil {

void ProbeNames::load_tracepoints() {
  m_loaded = true;
  std::error_code ec;
  auto events = m_tracefs / "events";
  for (const auto& group : std::filesystem::directory_iterator(events, ec)) {
    if (!group.is_directory()) continue;
    std::error_code ec2;
    for (const auto& tp : std::filesystem::directory_iterator(group.path(), ec2)) {
      std::ifstream in(tp.path() / "id");
      std::uint64_t id = 0;
      if (in >> id) m_tracepoints[id] = group.path().filename().string() + "/" + tp.path().filename().string();
    }
  }
  for (const char* pmu : {"kprobe", "uprobe", "tracepoint"}) {
    std::ifstream in(m_pmu_dir / pmu / "type");
    std::uint32_t type = 0;
    if (in >> type) m_pmus[type] = pmu;
  }
}

std::optional<std::string> ProbeNames::tracepoint(std::uint64_t id) {
  if (!m_loaded) load_tracepoints();
  auto it = m_tracepoints.find(id);
  if (it == m_tracepoints.end()) {
    // Probes created since the last look (new kprobe events, new modules).
    m_loaded = false;
    load_tracepoints();
    it = m_tracepoints.find(id);
    if (it == m_tracepoints.end()) return std::nullopt;
  }
  return it->second;
}

std::string ProbeNames::pmu_kind(std::uint32_t type) {
  if (type == 2) return "tracepoint";
  if (!m_loaded) load_tracepoints();
  auto it = m_pmus.find(type);
  return it == m_pmus.end() ? "" : it->second;
}

}  // namespace sousveil
