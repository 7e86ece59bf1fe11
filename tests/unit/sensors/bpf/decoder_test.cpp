// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/types.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "sousveil_abi.h"
}

namespace sousveil {
namespace {

using ::testing::ElementsAre;

// Records as the kernel writes them: the ABI structs, byte for byte.

template <std::size_t N>
void put(char (&dst)[N], std::string_view s) {
  std::memset(dst, 0, N);
  std::memcpy(dst, s.data(), std::min(s.size(), N));
}

template <std::size_t N>
void fill(char (&dst)[N], char c) {
  std::memset(dst, c, N);
}

template <class T>
std::vector<std::byte> bytes_of(const T& rec) {
  std::vector<std::byte> out(sizeof(T));
  std::memcpy(out.data(), &rec, sizeof(T));
  return out;
}

void given_header(sv_header& h, std::uint32_t kind, std::uint32_t size) {
  h.kind = kind;
  h.size = size;
  h.ts_boot_ns = 5'000'000'123;
  h.start_boot_ns = 1'230'000'000;
  h.pid = 4242;
  h.tid = 4243;
  h.ppid = 77;
  h.uid = 1000;
  h.euid = 0;
  put(h.comm, "evtest");
}

sv_device_event given_device_open(std::uint32_t major, std::uint32_t minor,
                                  std::uint8_t kernel_class, std::string_view name,
                                  std::string_view path) {
  sv_device_event d{};
  given_header(d.hdr, SV_EV_DEVICE_OPEN, sizeof(d));
  d.fd = 5;
  d.err = 0;
  d.flags = 02 | 04000;  // O_RDWR | O_NONBLOCK
  d.major = major;
  d.minor = minor;
  d.syscall_nr = 257;
  d.i_mode = 020600;
  d.dev_class = kernel_class;
  put(d.name, name);
  put(d.path, path);
  return d;
}

sv_device_event given_failed_open(std::int32_t err, std::string_view path) {
  sv_device_event d{};
  given_header(d.hdr, SV_EV_DEVICE_OPEN, sizeof(d));
  d.fd = -1;
  d.err = err;
  d.flags = 0;
  d.syscall_nr = 257;
  d.dev_class = SV_DEV_NONE;
  put(d.path, path);
  return d;
}

sv_exec_event given_exec(std::string_view filename, std::string_view args) {
  sv_exec_event x{};
  given_header(x.hdr, SV_EV_PROCESS_EXEC, sizeof(x));
  put(x.filename, filename);
  std::memcpy(x.args, args.data(), std::min(args.size(), sizeof(x.args)));
  x.args_len = static_cast<std::uint32_t>(args.size());
  return x;
}

sv_snapshot_fd_event given_snapshot_fd(std::uint32_t major, std::uint32_t minor,
                                       std::uint8_t kernel_class, std::string_view name) {
  sv_snapshot_fd_event s{};
  given_header(s.hdr, SV_EV_SNAPSHOT_FD, sizeof(s));
  s.fd = 9;
  s.flags = 0100000;  // O_LARGEFILE | O_RDONLY
  s.major = major;
  s.minor = minor;
  s.i_mode = 020620;
  s.dev_class = kernel_class;
  put(s.name, name);
  return s;
}

std::uint64_t errors_of(const DecodeStats& stats, DecodeError why) {
  return stats.errors[static_cast<int>(why)];
}

class DecodeRecord : public ::testing::Test {
 protected:
  Result<RawEvent> decode(const std::vector<std::byte>& bytes) {
    return decode_record(std::span<const std::byte>(bytes.data(), bytes.size()), m_table, m_stats);
  }

  DeviceClassTable m_table = DeviceClassTable::standard(std::nullopt);
  DecodeStats m_stats;
};

TEST_F(DecodeRecord, CopiesTheHeaderIntoTheProcess) {
  auto ev =
      decode(bytes_of(given_device_open(13, 67, SV_DEV_INPUT, "event3", "/dev/input/event3")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->ts_boot_ns, 5'000'000'123U);
  EXPECT_EQ(ev->process.pid, 4242U);
  EXPECT_EQ(ev->process.tid, 4243U);
  EXPECT_EQ(ev->process.ppid, 77U);
  EXPECT_EQ(ev->process.uid, 1000U);
  EXPECT_EQ(ev->process.euid, 0U);
  EXPECT_EQ(ev->process.start_boot_ns, 1'230'000'000U);
  EXPECT_EQ(ev->process.comm, "evtest");
}

TEST_F(DecodeRecord, DecodesASuccessfulDeviceOpen) {
  auto ev =
      decode(bytes_of(given_device_open(13, 67, SV_DEV_INPUT, "event3", "/dev/input/event3")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::DeviceOpen);
  EXPECT_EQ(ev->source, EventSource::Ebpf);
  ASSERT_TRUE(ev->is_device());
  const auto& d = ev->device();
  EXPECT_EQ(d.device_class, DeviceClass::Input);
  EXPECT_EQ(d.major, 13U);
  EXPECT_EQ(d.minor, 67U);
  EXPECT_EQ(d.fd, 5);
  EXPECT_EQ(d.err, 0);
  EXPECT_EQ(d.flags, 02U | 04000U);
  EXPECT_EQ(d.syscall_nr, 257U);
  EXPECT_EQ(d.name, "event3");
  EXPECT_EQ(d.path, "/dev/input/event3");
  EXPECT_EQ(m_stats.decoded, 1U);
  EXPECT_EQ(m_stats.total_errors(), 0U);
}

struct OriginCase {
  std::uint32_t kernel;
  Origin origin;
  const char* name;
  const char* test_name;
};

class DecodeOrigin : public DecodeRecord, public ::testing::WithParamInterface<OriginCase> {};

TEST_P(DecodeOrigin, NamesHowTheProgramAskedTheKernel) {
  auto d = given_device_open(7, 0, SV_DEV_VCS, "vcs", "/dev/vcs");
  d.hdr.origin = GetParam().kernel;
  auto ev = decode(bytes_of(d));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->origin, GetParam().origin);
  EXPECT_EQ(to_string(ev->origin), GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(Origins, DecodeOrigin,
                         ::testing::Values(OriginCase{SV_ORIGIN_SYSCALL, Origin::Syscall, "syscall", "Syscall"},
                                           OriginCase{SV_ORIGIN_COMPAT, Origin::CompatSyscall, "compat-syscall",
                                                      "Compat"},
                                           OriginCase{SV_ORIGIN_IO_URING, Origin::IoUring, "io_uring", "IoUring"}),
                         [](const auto& test) { return std::string(test.param.test_name); });

TEST_F(DecodeRecord, RefusesAnOriginOutOfRange) {
  auto d = given_device_open(7, 0, SV_DEV_VCS, "vcs", "/dev/vcs");
  d.hdr.origin = 3;
  EXPECT_FALSE(decode(bytes_of(d)).ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::BadClass), 1U);
}

TEST_F(DecodeRecord, NamesTheHelpersALoadedProgramCalls) {
  sv_bpf_event b{};
  given_header(b.hdr, SV_EV_BPF, sizeof(b));
  b.op = SV_BPF_PROG_LOAD;
  b.prog_type = 5;  // tracepoint
  b.helpers = SV_HELPER_PROBE_READ_USER | SV_HELPER_PROBE_WRITE_USER | SV_HELPER_UNSCANNED;
  put(b.name, "sys_enter_read");
  auto ev = decode(bytes_of(b));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& info = std::get<BpfInfo>(ev->payload);
  EXPECT_EQ(info.op, "load");
  EXPECT_EQ(info.prog_type, "tracepoint");
  EXPECT_EQ(info.prog_name, "sys_enter_read");
  EXPECT_THAT(info.helpers, ElementsAre("probe_read_user", "probe_write_user", "unscanned"));
}

TEST_F(DecodeRecord, TheTableOverridesTheKernelClass) {
  // The kernel's class is only a filter: the table knows 7:129 is vcsa.
  auto ev = decode(bytes_of(given_device_open(7, 129, SV_DEV_INPUT, "vcsa1", "/dev/vcsa1")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->device().device_class, DeviceClass::Vcs);
}

TEST_F(DecodeRecord, KeepsTheKernelClassForAMajorTheTableDoesNotKnow) {
  // hidraw's dynamic major is not in a table built without /proc/devices.
  auto ev = decode(bytes_of(given_device_open(245, 0, SV_DEV_HIDRAW, "hidraw0", "/dev/hidraw0")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->device().device_class, DeviceClass::Hidraw);
}

TEST_F(DecodeRecord, DecodesAFailedDeviceOpen) {
  auto ev = decode(bytes_of(given_failed_open(ENXIO, "/dev/input/event9")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::DeviceOpen);
  const auto& d = ev->device();
  EXPECT_EQ(d.err, ENXIO);
  EXPECT_EQ(d.fd, -1);
  EXPECT_EQ(d.major, 0U);
  EXPECT_EQ(d.minor, 0U);
  // The resolver decides the class of a failed open from the path.
  EXPECT_EQ(d.device_class, DeviceClass::None);
  EXPECT_EQ(d.path, "/dev/input/event9");
  EXPECT_EQ(d.name, "");
  EXPECT_EQ(m_stats.decoded, 1U);
}

TEST_F(DecodeRecord, DecodesAnExecWithItsArguments) {
  using namespace std::string_view_literals;
  auto ev =
      decode(bytes_of(given_exec("/usr/bin/evtest", "evtest\0--grab\0/dev/input/event3\0"sv)));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::ProcessExec);
  const auto& x = std::get<ExecInfo>(ev->payload);
  EXPECT_EQ(x.filename, "/usr/bin/evtest");
  EXPECT_THAT(x.args, ElementsAre("evtest", "--grab", "/dev/input/event3"));
}

TEST_F(DecodeRecord, ReadsOnlyArgsLenBytesOfArguments) {
  using namespace std::string_view_literals;
  auto x = given_exec("/bin/sh", "sh\0-c\0"sv);
  // Bytes after args_len are not arguments, whatever they hold.
  std::memcpy(x.args + 6, "stale\0junk", 10);
  auto ev = decode(bytes_of(x));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_THAT(std::get<ExecInfo>(ev->payload).args, ElementsAre("sh", "-c"));
}

TEST_F(DecodeRecord, BoundsArgsLenLargerThanTheBuffer) {
  auto x = given_exec("/bin/true", "");
  fill(x.args, 'x');
  x.args_len = 100000;
  auto ev = decode(bytes_of(x));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_THAT(std::get<ExecInfo>(ev->payload).args, ElementsAre(std::string(SV_ARGS_LEN, 'x')));
}

TEST_F(DecodeRecord, DecodesAFork) {
  sv_fork_event f{};
  given_header(f.hdr, SV_EV_PROCESS_FORK, sizeof(f));
  f.parent_pid = 77;
  auto ev = decode(bytes_of(f));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::ProcessFork);
  EXPECT_EQ(std::get<ForkInfo>(ev->payload).parent_pid, 77U);
  EXPECT_EQ(ev->process.pid, 4242U);
}

TEST_F(DecodeRecord, DecodesAnExit) {
  sv_exit_event x{};
  given_header(x.hdr, SV_EV_PROCESS_EXIT, sizeof(x));
  x.exit_code = 256 * 3;
  auto ev = decode(bytes_of(x));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::ProcessExit);
  EXPECT_EQ(std::get<ExitInfo>(ev->payload).exit_code, 768);
}

TEST_F(DecodeRecord, DecodesASnapshotFdAsAHeldDevice) {
  auto ev = decode(bytes_of(given_snapshot_fd(7, 1, SV_DEV_VCS, "vcs1")));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->kind, EventKind::DeviceHeld);
  EXPECT_EQ(ev->source, EventSource::EbpfSnapshot);
  const auto& d = ev->device();
  EXPECT_EQ(d.device_class, DeviceClass::Vcs);
  EXPECT_EQ(d.major, 7U);
  EXPECT_EQ(d.minor, 1U);
  EXPECT_EQ(d.fd, 9);
  EXPECT_EQ(d.flags, 0100000U);
  EXPECT_EQ(d.name, "vcs1");
  EXPECT_EQ(d.path, "");
  EXPECT_EQ(d.err, 0);
}

TEST_F(DecodeRecord, BoundsStringsWithoutATerminatingNul) {
  auto d = given_device_open(13, 64, SV_DEV_INPUT, "", "");
  fill(d.hdr.comm, 'A');
  fill(d.name, 'A');
  fill(d.path, 'A');
  auto ev = decode(bytes_of(d));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->process.comm, std::string(SV_COMM_LEN, 'A'));
  EXPECT_EQ(ev->device().name, std::string(SV_NAME_LEN, 'A'));
  EXPECT_EQ(ev->device().path, std::string(SV_PATH_LEN, 'A'));
}

TEST_F(DecodeRecord, BoundsAnExecFilenameWithoutANul) {
  auto x = given_exec("", "");
  fill(x.filename, 'A');
  auto ev = decode(bytes_of(x));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(std::get<ExecInfo>(ev->payload).filename, std::string(SV_PATH_LEN, 'A'));
}

TEST_F(DecodeRecord, BoundsASnapshotNameWithoutANul) {
  auto s = given_snapshot_fd(7, 1, SV_DEV_VCS, "");
  fill(s.name, 'A');
  auto ev = decode(bytes_of(s));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->device().name, std::string(SV_NAME_LEN, 'A'));
}

TEST_F(DecodeRecord, RefusesARecordShorterThanItsHeader) {
  auto bytes = bytes_of(given_device_open(13, 64, SV_DEV_INPUT, "event0", "/dev/input/event0"));
  bytes.resize(sizeof(sv_header) - 1);
  auto ev = decode(bytes);
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::Short), 1U);
  EXPECT_EQ(m_stats.total_errors(), 1U);
  EXPECT_EQ(m_stats.decoded, 0U);
}

TEST_F(DecodeRecord, RefusesAnEmptyRecord) {
  auto ev = decode({});
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::Short), 1U);
}

TEST_F(DecodeRecord, RefusesAHeaderSizeThatDoesNotMatchTheBuffer) {
  auto d = given_device_open(13, 64, SV_DEV_INPUT, "event0", "/dev/input/event0");
  d.hdr.size = sizeof(d) + 8;
  auto ev = decode(bytes_of(d));
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::SizeMismatch), 1U);
  EXPECT_EQ(m_stats.total_errors(), 1U);
}

TEST_F(DecodeRecord, RefusesABufferLongerThanTheHeaderSays) {
  auto bytes = bytes_of(given_device_open(13, 64, SV_DEV_INPUT, "event0", "/dev/input/event0"));
  bytes.resize(bytes.size() + 16);
  auto ev = decode(bytes);
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::SizeMismatch), 1U);
}

struct WrongSizeCase {
  const char* name;
  std::uint32_t kind;
  std::size_t size;
};

std::ostream& operator<<(std::ostream& os, const WrongSizeCase& c) { return os << c.name; }

class DecodeRecordWrongSize : public DecodeRecord,
                              public ::testing::WithParamInterface<WrongSizeCase> {};

TEST_P(DecodeRecordWrongSize, RefusesAConsistentHeaderOfTheWrongSizeForItsKind) {
  const auto& c = GetParam();
  // Header and buffer agree; the size is simply not this kind's.
  std::vector<std::byte> bytes(c.size);
  sv_header h{};
  given_header(h, c.kind, static_cast<std::uint32_t>(c.size));
  std::memcpy(bytes.data(), &h, sizeof(h));
  auto ev = decode(bytes);
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::SizeMismatch), 1U);
  EXPECT_EQ(m_stats.total_errors(), 1U);
  EXPECT_EQ(m_stats.decoded, 0U);
}

const WrongSizeCase kWrongSizes[] = {
    {"DeviceAsLongAsAFork", SV_EV_DEVICE_OPEN, sizeof(sv_fork_event)},
    {"DeviceOneWordShort", SV_EV_DEVICE_OPEN, sizeof(sv_device_event) - 8},
    {"ExecAsLongAsADevice", SV_EV_PROCESS_EXEC, sizeof(sv_device_event)},
    {"ForkHeaderOnly", SV_EV_PROCESS_FORK, sizeof(sv_header)},
    {"ExitOneWordLong", SV_EV_PROCESS_EXIT, sizeof(sv_exit_event) + 8},
    {"SnapshotAsLongAsADevice", SV_EV_SNAPSHOT_FD, sizeof(sv_device_event)},
};

INSTANTIATE_TEST_SUITE_P(Kinds, DecodeRecordWrongSize, ::testing::ValuesIn(kWrongSizes),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(DecodeRecord, RefusesAnUnknownKind) {
  sv_fork_event f{};
  given_header(f.hdr, 99, sizeof(f));
  auto ev = decode(bytes_of(f));
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::UnknownKind), 1U);
  EXPECT_EQ(m_stats.total_errors(), 1U);
}

TEST_F(DecodeRecord, RefusesKindZero) {
  sv_exit_event x{};
  given_header(x.hdr, 0, sizeof(x));
  EXPECT_FALSE(decode(bytes_of(x)).ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::UnknownKind), 1U);
}

TEST_F(DecodeRecord, RefusesADeviceClassOutOfRange) {
  // 10:200 is in no class, so the decoder has to rely on the kernel's byte.
  auto d = given_device_open(10, 200, SV_DEV_CLASS_COUNT, "misc", "/dev/misc");
  EXPECT_FALSE(decode(bytes_of(d)).ok());
  d.dev_class = 0xff;
  EXPECT_FALSE(decode(bytes_of(d)).ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::BadClass), 2U);
  EXPECT_EQ(m_stats.total_errors(), 2U);
}

TEST_F(DecodeRecord, RefusesASnapshotClassOutOfRange) {
  auto s = given_snapshot_fd(7, 1, 200, "vcs1");
  EXPECT_FALSE(decode(bytes_of(s)).ok());
  EXPECT_EQ(errors_of(m_stats, DecodeError::BadClass), 1U);
}

TEST_F(DecodeRecord, AcceptsTheLastValidClass) {
  auto d = given_device_open(10, 200, SV_DEV_CLASS_COUNT - 1, "mem", "/dev/mem");
  auto ev = decode(bytes_of(d));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->device().device_class, DeviceClass::Mem);
}

TEST_F(DecodeRecord, CountsEachErrorKindApart) {
  auto good = bytes_of(given_device_open(13, 64, SV_DEV_INPUT, "event0", "/dev/input/event0"));
  auto short_rec = good;
  short_rec.resize(10);
  auto mismatch = good;
  mismatch.resize(good.size() - 8);
  sv_fork_event unknown{};
  given_header(unknown.hdr, 42, sizeof(unknown));
  auto bad_class = given_device_open(10, 200, 77, "x", "/dev/x");

  EXPECT_TRUE(decode(good).ok());
  EXPECT_FALSE(decode(short_rec).ok());
  EXPECT_FALSE(decode(mismatch).ok());
  EXPECT_FALSE(decode(mismatch).ok());
  EXPECT_FALSE(decode(bytes_of(unknown)).ok());
  EXPECT_FALSE(decode(bytes_of(bad_class)).ok());
  EXPECT_TRUE(decode(good).ok());

  EXPECT_EQ(m_stats.decoded, 2U);
  EXPECT_EQ(errors_of(m_stats, DecodeError::Short), 1U);
  EXPECT_EQ(errors_of(m_stats, DecodeError::SizeMismatch), 2U);
  EXPECT_EQ(errors_of(m_stats, DecodeError::UnknownKind), 1U);
  EXPECT_EQ(errors_of(m_stats, DecodeError::BadClass), 1U);
  EXPECT_EQ(m_stats.total_errors(), 5U);
}

TEST_F(DecodeRecord, ErrorMessagesSayWhatIsWrong) {
  auto ev = decode({});
  ASSERT_FALSE(ev.ok());
  EXPECT_THAT(ev.error().message, ::testing::HasSubstr("header"));
}

// Every cut of a valid device record: never a crash, always an error but for the whole record.
class DecodeTruncatedDeviceRecord : public DecodeRecord,
                                    public ::testing::WithParamInterface<std::size_t> {};

TEST_P(DecodeTruncatedDeviceRecord, FailsUnlessComplete) {
  const std::size_t length = GetParam();
  auto full = bytes_of(given_device_open(13, 64, SV_DEV_INPUT, "event0", "/dev/input/event0"));
  // A buffer of exactly `length` bytes, so an over-read would run past it.
  std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
  auto ev = decode(cut);
  if (length == sizeof(sv_device_event)) {
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->device().path, "/dev/input/event0");
    EXPECT_EQ(m_stats.decoded, 1U);
    return;
  }
  EXPECT_FALSE(ev.ok());
  EXPECT_EQ(m_stats.decoded, 0U);
  EXPECT_EQ(m_stats.total_errors(), 1U);
  auto expected = length < sizeof(sv_header) ? DecodeError::Short : DecodeError::SizeMismatch;
  EXPECT_EQ(errors_of(m_stats, expected), 1U) << "length " << length;
}

INSTANTIATE_TEST_SUITE_P(EveryLength, DecodeTruncatedDeviceRecord,
                         ::testing::Range<std::size_t>(0, sizeof(sv_device_event) + 1),
                         [](const auto& param_info) {
                           return "Bytes" + std::to_string(param_info.param);
                         });

TEST_F(DecodeRecord, EveryKindFailsForEveryShorterLength) {
  using namespace std::string_view_literals;
  sv_fork_event f{};
  given_header(f.hdr, SV_EV_PROCESS_FORK, sizeof(f));
  sv_exit_event x{};
  given_header(x.hdr, SV_EV_PROCESS_EXIT, sizeof(x));
  const std::vector<std::byte> records[] = {
      bytes_of(given_exec("/bin/sh", "sh\0"sv)),
      bytes_of(given_snapshot_fd(7, 1, SV_DEV_VCS, "vcs1")),
      bytes_of(f),
      bytes_of(x),
  };
  for (const auto& full : records) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_FALSE(decode(cut).ok()) << "length " << n << " of " << full.size();
    }
    EXPECT_TRUE(decode(full).ok());
  }
  EXPECT_EQ(m_stats.decoded, 4U);
}

}  // namespace
}  // namespace sousveil
