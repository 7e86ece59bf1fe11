// SPDX-License-Identifier: Apache-2.0
#include "output/event_json.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <regex>

namespace sousveil {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint64_t kTs = 1'234'567'890'123ULL;

ProcessInfo given_process_info() {
  ProcessInfo p;
  p.pid = 3438;
  p.tid = 3439;
  p.ppid = 3401;
  p.start_ticks = 55836;
  p.comm = "head";
  p.exe = "/usr/bin/head";
  p.cmdline = {"head", "-c", "100", "/dev/vcs1"};
  p.uid = 0;
  p.euid = 0;
  p.user = "root";
  p.unit = "session-2.scope";
  p.ancestry = {{3401, "bash", "/usr/bin/bash"}, {1, "systemd", "/usr/lib/systemd/systemd"}};
  return p;
}

EnrichedEvent given_device_open(std::int32_t err = 0) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::DeviceOpen;
  ev.raw.source = EventSource::Ebpf;
  ev.raw.ts_boot_ns = kTs;
  DeviceAccess d;
  d.device_class = DeviceClass::Vcs;
  d.detail = "vcs";
  d.major = 7;
  d.minor = 1;
  d.path = "/dev/vcs1";
  d.name = "vcs1";
  d.flags = O_RDONLY | O_CLOEXEC;
  d.fd = err == 0 ? 3 : -1;
  d.err = err;
  ev.raw.payload = d;
  ev.process = given_process_info();
  return ev;
}

class EventJson : public ::testing::Test {
 protected:
  BootClock m_clock;
};

TEST_F(EventJson, DescribesADeviceOpen) {
  auto j = to_json(given_device_open(), m_clock);
  EXPECT_EQ(j["kind"], "device_open");
  EXPECT_EQ(j["source"], "ebpf");
  EXPECT_FALSE(j.contains("fidelity"));
  EXPECT_EQ(j["result"], "ok");
  EXPECT_FALSE(j.contains("error"));
  EXPECT_FALSE(j.contains("exec"));
}

TEST_F(EventJson, TimeIsRfc3339InUtc) {
  auto j = to_json(given_device_open(), m_clock);
  ASSERT_TRUE(j["time"].is_string());
  auto time = j["time"].get<std::string>();
  EXPECT_TRUE(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << time;
  EXPECT_EQ(time, BootClock::format_unix_ns(m_clock.to_unix_ns(kTs)));
}

TEST_F(EventJson, DescribesTheProcess) {
  auto p = to_json(given_device_open(), m_clock)["process"];
  EXPECT_EQ(p["pid"], 3438);
  EXPECT_EQ(p["tid"], 3439);
  EXPECT_EQ(p["ppid"], 3401);
  EXPECT_EQ(p["start_ticks"], 55836);
  EXPECT_EQ(p["comm"], "head");
  EXPECT_EQ(p["exe"], "/usr/bin/head");
  EXPECT_EQ(p["cmdline"], json({"head", "-c", "100", "/dev/vcs1"}));
  EXPECT_EQ(p["uid"], 0);
  EXPECT_EQ(p["euid"], 0);
  EXPECT_EQ(p["user"], "root");
  EXPECT_EQ(p["unit"], "session-2.scope");
  EXPECT_EQ(p["exited"], false);
  ASSERT_TRUE(p["ancestry"].is_array());
  ASSERT_EQ(p["ancestry"].size(), 2U);
  EXPECT_EQ(p["ancestry"][0], json({{"pid", 3401}, {"comm", "bash"}, {"exe", "/usr/bin/bash"}}));
  EXPECT_EQ(p["ancestry"][1]["pid"], 1);
}

TEST_F(EventJson, AncestryIsAnArrayEvenWhenEmpty) {
  auto ev = given_device_open();
  ev.process.ancestry.clear();
  auto j = to_json(ev, m_clock);
  EXPECT_TRUE(j["process"]["ancestry"].is_array());
  EXPECT_TRUE(j["process"]["ancestry"].empty());
  EXPECT_TRUE(j["process"]["cmdline"].is_array());
}

TEST_F(EventJson, DescribesTheDevice) {
  auto d = to_json(given_device_open(), m_clock)["device"];
  EXPECT_EQ(d["class"], "vcs");
  EXPECT_EQ(d["detail"], "vcs");
  EXPECT_EQ(d["major"], 7);
  EXPECT_EQ(d["minor"], 1);
  EXPECT_EQ(d["path"], "/dev/vcs1");
  EXPECT_EQ(d["name"], "vcs1");
}

TEST_F(EventJson, DescribesTheAccess) {
  auto a = to_json(given_device_open(), m_clock)["access"];
  EXPECT_EQ(a["mode"], "read");
  EXPECT_EQ(a["flags"], json({"O_CLOEXEC"}));
  EXPECT_EQ(a["fd"], 3);
}

TEST_F(EventJson, AFailedOpenNamesTheErrno) {
  auto j = to_json(given_device_open(ENXIO), m_clock);
  EXPECT_EQ(j["result"], "ENXIO");
  EXPECT_EQ(j["error"], std::string(std::strerror(ENXIO)));
  EXPECT_EQ(j["access"]["fd"], -1);
}

TEST_F(EventJson, AnUncommonErrnoIsGivenByItsName) {
  auto j = to_json(given_device_open(ELOOP), m_clock);
  EXPECT_EQ(j["result"], "ELOOP");
  EXPECT_TRUE(j.contains("error"));
}

TEST_F(EventJson, AProcScanEventHasLowFidelity) {
  auto ev = given_device_open();
  ev.raw.kind = EventKind::DeviceHeld;
  ev.raw.source = EventSource::ProcScan;
  auto j = to_json(ev, m_clock);
  EXPECT_EQ(j["kind"], "device_held");
  EXPECT_EQ(j["source"], "proc-scan");
  EXPECT_EQ(j["fidelity"], "low");
}

TEST_F(EventJson, ASnapshotEventHasNoFidelityMark) {
  auto ev = given_device_open();
  ev.raw.kind = EventKind::DeviceHeld;
  ev.raw.source = EventSource::EbpfSnapshot;
  auto j = to_json(ev, m_clock);
  EXPECT_EQ(j["source"], "ebpf-snapshot");
  EXPECT_FALSE(j.contains("fidelity"));
}

TEST_F(EventJson, AnExecCarriesFilenameAndArgs) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::ProcessExec;
  ev.raw.ts_boot_ns = kTs;
  ev.raw.payload = ExecInfo{"/usr/bin/evtest", {"evtest", "/dev/input/event3"}};
  ev.process = given_process_info();
  auto j = to_json(ev, m_clock);
  EXPECT_EQ(j["kind"], "process_exec");
  EXPECT_EQ(j["exec"]["filename"], "/usr/bin/evtest");
  EXPECT_EQ(j["exec"]["args"], json({"evtest", "/dev/input/event3"}));
  EXPECT_FALSE(j.contains("device"));
  EXPECT_FALSE(j.contains("result"));
}

TEST_F(EventJson, ForkAndExitCarryTheirDetail) {
  EnrichedEvent fork;
  fork.raw.kind = EventKind::ProcessFork;
  fork.raw.payload = ForkInfo{77};
  EXPECT_EQ(to_json(fork, m_clock)["fork"]["parent_pid"], 77);

  EnrichedEvent exit;
  exit.raw.kind = EventKind::ProcessExit;
  exit.raw.payload = ExitInfo{9};
  EXPECT_EQ(to_json(exit, m_clock)["exit"]["code"], 9);
}

TEST_F(EventJson, ALineCanBeWrittenWhateverBytesTheProcessHolds) {
  // comm, exe, cmdline and path come from the process being watched and may
  // hold any byte: prctl(PR_SET_NAME, "\xff") is enough.
  auto ev = given_device_open();
  ev.process.comm = "bad\xff\xfe";
  ev.process.cmdline = {"x\xc3"};
  ev.raw.device().path = "/dev/vcs1\x80";
  auto j = to_json(ev, m_clock);
  // dump() throws on invalid UTF-8: a renamed process once stopped the agent.
  std::string line = j.dump();  // what `sousveil events` prints
  EXPECT_THAT(line, HasSubstr("\"comm\":\"bad\xEF\xBF\xBD"));
  EXPECT_TRUE(json::accept(line));
}

TEST_F(EventJson, PrettyLineNamesClassPathAndPid) {
  auto line = to_pretty_line(given_device_open(), m_clock);
  EXPECT_THAT(line, HasSubstr("vcs"));
  EXPECT_THAT(line, HasSubstr("/dev/vcs1"));
  EXPECT_THAT(line, HasSubstr("[3438]"));
  EXPECT_THAT(line, HasSubstr("/usr/bin/head"));
  EXPECT_THAT(line, HasSubstr("opened"));
  EXPECT_THAT(line, HasSubstr("(root)"));
  EXPECT_THAT(line, Not(HasSubstr("[proc-scan]")));
}

TEST_F(EventJson, PrettyLineOfAFailedOpenSaysTried) {
  auto line = to_pretty_line(given_device_open(ENXIO), m_clock);
  EXPECT_THAT(line, HasSubstr("tried ENXIO"));
}

TEST_F(EventJson, PrettyLineOfAProcScanHoldingSaysSo) {
  auto ev = given_device_open();
  ev.raw.kind = EventKind::DeviceHeld;
  ev.raw.source = EventSource::ProcScan;
  ev.raw.device().device_class = DeviceClass::Sound;
  ev.raw.device().detail = "capture";
  auto line = to_pretty_line(ev, m_clock);
  EXPECT_THAT(line, HasSubstr("sound/capture"));
  EXPECT_THAT(line, HasSubstr("holds"));
  EXPECT_THAT(line, HasSubstr("[proc-scan]"));
}

TEST_F(EventJson, PrettyLineWithoutAUserShowsTheUid) {
  auto ev = given_device_open();
  ev.process.user = "";
  ev.process.uid = 4242;
  ev.process.exe = "";
  auto line = to_pretty_line(ev, m_clock);
  EXPECT_THAT(line, HasSubstr("(4242)"));
  EXPECT_THAT(line, HasSubstr("] ? ("));
}

TEST_F(EventJson, PrettyLineOfAnExecShowsTheFilename) {
  EnrichedEvent ev;
  ev.raw.kind = EventKind::ProcessExec;
  ev.raw.payload = ExecInfo{"/usr/bin/evtest", {"evtest"}};
  ev.process = given_process_info();
  auto line = to_pretty_line(ev, m_clock);
  EXPECT_THAT(line, HasSubstr("process_exec"));
  EXPECT_THAT(line, HasSubstr("/usr/bin/evtest"));
}

}  // namespace
}  // namespace sousveil
