// SPDX-License-Identifier: Apache-2.0
#include "enrich/device_resolver.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "support/fake_proc.h"

namespace sousveil {
namespace {

using testing_support::FakeProc;
using testing_support::FakeProcess;
using testing_support::is_char_device;

constexpr std::uint32_t kPid = 4321;

RawEvent failed_open(std::string path, std::int32_t err = ENOENT) {
  RawEvent e;
  e.kind = EventKind::DeviceOpen;
  e.process.pid = kPid;
  DeviceAccess d;
  d.err = err;
  d.fd = -1;
  d.path = std::move(path);
  e.payload = std::move(d);
  return e;
}

class ResolveDevice : public ::testing::Test {
 protected:
  bool resolve(RawEvent& e) { return resolve_device(e, m_procfs, m_table); }

  FakeProc m_proc;
  ProcFs m_procfs{m_proc.root()};
  DeviceClassTable m_table = DeviceClassTable::standard(std::nullopt);
};

TEST_F(ResolveDevice, AFailedOpenOfAMissingNodeIsClassifiedByItsPath) {
  auto e = failed_open("/dev/input/event99");
  ASSERT_TRUE(resolve(e));
  const auto& d = e.device();
  EXPECT_EQ(d.device_class, DeviceClass::Input);
  EXPECT_EQ(d.name, "event99");
  EXPECT_EQ(d.detail, "event");
  EXPECT_EQ(d.major, 0U);
  EXPECT_EQ(d.path, "/dev/input/event99");
}

TEST_F(ResolveDevice, AFailedOpenOfARegularFileIsNoDevice) {
  auto file = m_proc.root() / "not-a-device";
  FakeProc::write(file, "plain text");
  ASSERT_TRUE(file.is_absolute());
  auto e = failed_open(file.string(), EACCES);
  EXPECT_FALSE(resolve(e));
}

TEST_F(ResolveDevice, AFailedOpenOfAMissingPathOutsideDevIsNoDevice) {
  auto e = failed_open("/tmp/input/event3");
  EXPECT_FALSE(resolve(e));
}

TEST_F(ResolveDevice, AFailedOpenOfAnExistingNodeTakesItsNumber) {
  if (!is_char_device("/dev/vcs1", 7, 1)) GTEST_SKIP() << "/dev/vcs1 is not 7:1 here";
  auto e = failed_open("/dev/vcs1", ENXIO);
  ASSERT_TRUE(resolve(e));
  const auto& d = e.device();
  EXPECT_EQ(d.device_class, DeviceClass::Vcs);
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 1U);
  EXPECT_EQ(d.name, "vcs1");
  EXPECT_EQ(d.detail, "vcs");
}

TEST_F(ResolveDevice, AFailedOpenOfAHarmlessDeviceIsNoDevice) {
  auto e = failed_open("/dev/null", EACCES);
  EXPECT_FALSE(resolve(e));
}

TEST_F(ResolveDevice, ARelativePathIsResolvedThroughTheProcesssCwd) {
  if (!is_char_device("/dev/vcs1", 7, 1)) GTEST_SKIP() << "/dev/vcs1 is not 7:1 here";
  m_proc.given_process({.pid = kPid});
  std::filesystem::create_directory_symlink("/dev", m_proc.dir(kPid) / "cwd");
  auto e = failed_open("vcs1", ENXIO);
  ASSERT_TRUE(resolve(e));
  EXPECT_EQ(e.device().device_class, DeviceClass::Vcs);
  EXPECT_EQ(e.device().minor, 1U);
}

TEST_F(ResolveDevice, AnAbsolutePathIsResolvedThroughTheProcesssRoot) {
  // The process's root holds a regular file where the host has /dev/vcs1.
  m_proc.given_process({.pid = kPid});
  std::filesystem::create_directories(m_proc.dir(kPid) / "root" / "dev");
  FakeProc::write(m_proc.dir(kPid) / "root" / "dev" / "vcs1", "x");
  auto e = failed_open("/dev/vcs1", EACCES);
  EXPECT_FALSE(resolve(e));
}

TEST_F(ResolveDevice, ASuccessfulOpenKeepsItsClassAndGetsADetail) {
  RawEvent e;
  e.kind = EventKind::DeviceOpen;
  e.process.pid = kPid;
  DeviceAccess d;
  d.device_class = DeviceClass::Sound;
  d.major = 116;
  d.minor = 24;
  d.fd = 4;
  d.name = "pcmC0D0c";
  d.path = "/dev/snd/pcmC0D0c";
  e.payload = d;
  ASSERT_TRUE(resolve(e));
  EXPECT_EQ(e.device().device_class, DeviceClass::Sound);
  EXPECT_EQ(e.device().detail, "capture");
  EXPECT_EQ(e.device().path, "/dev/snd/pcmC0D0c");
}

TEST_F(ResolveDevice, AHeldFdGetsItsPathFromProc) {
  m_proc.given_process({.pid = kPid});
  m_proc.given_fd(kPid, 9, "/dev/vcsa1");
  RawEvent e;
  e.kind = EventKind::DeviceHeld;
  e.source = EventSource::EbpfSnapshot;
  e.process.pid = kPid;
  DeviceAccess d;
  d.device_class = DeviceClass::Vcs;
  d.major = 7;
  d.minor = 129;
  d.fd = 9;
  d.name = "vcsa1";
  e.payload = d;
  ASSERT_TRUE(resolve(e));
  EXPECT_EQ(e.device().path, "/dev/vcsa1");
  EXPECT_EQ(e.device().detail, "vcsa");
}

TEST_F(ResolveDevice, AHeldFdWithoutANameTakesItFromThePath) {
  m_proc.given_process({.pid = kPid});
  m_proc.given_fd(kPid, 9, "/dev/input/mice");
  RawEvent e;
  e.kind = EventKind::DeviceHeld;
  e.process.pid = kPid;
  DeviceAccess d;
  d.device_class = DeviceClass::Input;
  d.fd = 9;
  e.payload = d;
  ASSERT_TRUE(resolve(e));
  EXPECT_EQ(e.device().name, "mice");
  EXPECT_EQ(e.device().detail, "mice");
}

}  // namespace
}  // namespace sousveil
