// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/bpf_sensor.h"

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "common/logging.h"
#include "model/ioctl_table.h"
#include "sensor.skel.h"

extern "C" {
#include "sousveil_abi.h"
}

namespace sousveil {
namespace {

std::string errno_text(int err) {
  if (err < 0) err = -err;
  return std::string(std::strerror(err));
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  if (n <= 0) return 0;
  std::string_view msg(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(buf) - 1));
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  static auto log = logging::get("libbpf");
  // libbpf's warnings are verbose and precede our own one-line summary.
  log->log(level == LIBBPF_WARN ? spdlog::level::debug : spdlog::level::trace, "{}", msg);
  return n;
}

// A process running a 32-bit (ELFCLASS32) program, if any.
std::optional<std::uint32_t> running_32bit_process() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream exe(entry.path() / "exe", std::ios::binary);
    char ident[5] = {};
    if (!exe.read(ident, sizeof(ident))) continue;
    if (std::memcmp(ident, "\x7f" "ELF", 4) == 0 && ident[4] == 1)
      return static_cast<std::uint32_t>(std::stoul(name));
  }
  return std::nullopt;
}

}  // namespace

void route_libbpf_logs() { libbpf_set_print(libbpf_print); }

Result<void> ensure_tracefs() {
  // libbpf finds tracepoint ids under tracefs; minimal systems do not mount it.
  if (std::filesystem::exists("/sys/kernel/tracing/events") ||
      std::filesystem::exists("/sys/kernel/debug/tracing/events"))
    return {};
  if (::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
    return make_error("tracefs is not mounted and mounting it on /sys/kernel/tracing failed: " +
                      errno_text(errno));
  logging::get("bpf")->info("mounted tracefs on /sys/kernel/tracing (it was not mounted)");
  return {};
}

std::string bpf_precondition_problem() {
  if (geteuid() != 0)
    return "eBPF needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE); running as uid " +
           std::to_string(geteuid());
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    return "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing), which CO-RE programs need";
  return "";
}

BpfSensor::BpfSensor(boost::asio::io_context& io, const DeviceClassTable& table, Handler handler)
    : m_io(io), m_table(table), m_handler(std::move(handler)) {}

BpfSensor::~BpfSensor() { stop(); }

Result<std::unique_ptr<BpfSensor>> BpfSensor::start(boost::asio::io_context& io,
                                                    const DeviceClassTable& table, Handler handler,
                                                    BpfSensorOptions options) {
  if (auto problem = bpf_precondition_problem(); !problem.empty()) return make_error(problem);
  if (auto r = ensure_tracefs(); !r) return r.error();
  std::unique_ptr<BpfSensor> s(new BpfSensor(io, table, std::move(handler)));
  if (auto r = s->open_and_load(options); !r) return r.error();
  if (auto r = s->attach(); !r) return r.error();
  s->arm();
  return s;
}

Result<void> BpfSensor::open_and_load(const BpfSensorOptions& options) {
  m_skel = sensor_bpf__open();
  if (!m_skel) return make_error("cannot open the BPF object: " + errno_text(errno));
  m_skel->rodata->self_tgid = static_cast<__u32>(getpid());
  m_skel->rodata->ratelimit_ns = options.ratelimit_ns;
  if (int err = bpf_map__set_max_entries(m_skel->maps.events, options.ringbuf_bytes); err)
    return make_error("cannot size the ring buffer to " + std::to_string(options.ringbuf_bytes) +
                      " bytes: " + errno_text(err));
  // Attached on demand (watch_compat): they run on every system call.
  bpf_program__set_autoattach(m_skel->progs.compat_sys_enter, false);
  bpf_program__set_autoattach(m_skel->progs.compat_sys_exit, false);
  if (int err = sensor_bpf__load(m_skel); err)
    return make_error("the kernel refused the BPF programs (" + errno_text(err) +
                      "); run with -v for the verifier log");

  // The kernel filter comes from the same table user space classifies with.
  int major_fd = bpf_map__fd(m_skel->maps.major_rules);
  for (const auto& r : m_table.major_rules()) {
    sv_major_rule v{};
    v.dev_class = static_cast<__u8>(r.device_class);
    v.minor_lo = r.minor_lo;
    v.minor_hi = r.minor_hi;
    __u32 key = r.major;
    if (bpf_map_update_elem(major_fd, &key, &v, BPF_ANY) != 0)
      return make_error("cannot fill the major rules map: " + errno_text(errno));
  }
  int exact_fd = bpf_map__fd(m_skel->maps.exact_rules);
  for (const auto& r : m_table.exact_rules()) {
    __u32 key = (r.major << 20) | r.minor;
    __u8 v = static_cast<__u8>(r.device_class);
    if (bpf_map_update_elem(exact_fd, &key, &v, BPF_ANY) != 0)
      return make_error("cannot fill the exact rules map: " + errno_text(errno));
  }
  int ioctl_fd = bpf_map__fd(m_skel->maps.ioctl_cmds);
  for (const auto& spec : ioctl_table()) {
    __u32 key = spec.type_nr;
    __u8 how = static_cast<__u8>(spec.arg);
    if (bpf_map_update_elem(ioctl_fd, &key, &how, BPF_ANY) != 0)
      return make_error("cannot fill the ioctl map: " + errno_text(errno));
  }
  return {};
}

Result<void> BpfSensor::attach() {
  if (int err = sensor_bpf__attach(m_skel); err)
    return make_error("cannot attach the BPF programs to their tracepoints: " + errno_text(err));
  m_ring = ring_buffer__new(bpf_map__fd(m_skel->maps.events), &BpfSensor::on_record, this, nullptr);
  if (!m_ring) return make_error("cannot map the ring buffer: " + errno_text(errno));
  m_ring_fd = std::make_unique<boost::asio::posix::stream_descriptor>(m_io, ring_buffer__epoll_fd(m_ring));
  if (auto pid = running_32bit_process()) watch_compat("32-bit program running at start, pid " + std::to_string(*pid));
  return {};
}

void BpfSensor::watch_compat(const std::string& why) {
  if (!m_compat_links.empty() || m_compat_failed || !m_skel) return;
  static auto log = logging::get("bpf");
  for (bpf_program* prog : {m_skel->progs.compat_sys_enter, m_skel->progs.compat_sys_exit}) {
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      int err = errno;
      for (auto* l : m_compat_links) bpf_link__destroy(l);
      m_compat_links.clear();
      m_compat_failed = true;
      log->warn("cannot watch 32-bit system calls ({}): {}", bpf_program__name(prog), errno_text(err));
      return;
    }
    m_compat_links.push_back(link);
  }
  log->info("watching 32-bit (compat) system calls: {}", why);
}

void BpfSensor::arm() {
  m_ring_fd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this](const boost::system::error_code& ec) {
                          if (ec || m_stopped) return;
                          drain();
                          arm();
                        });
}

void BpfSensor::drain() {
  if (m_ring) ring_buffer__consume(m_ring);
}

int BpfSensor::on_record(void* ctx, void* data, std::size_t size) {
  auto* self = static_cast<BpfSensor*>(ctx);
  auto ev = decode_record({static_cast<const std::byte*>(data), size}, self->m_table, self->m_decode);
  if (ev && ev->kind == EventKind::ProcessExec && ev->origin == Origin::CompatSyscall)
    self->watch_compat("32-bit program started, pid " + std::to_string(ev->process.pid));
  if (ev) self->m_handler(std::move(ev).value());
  return 0;
}

Result<std::vector<RawEvent>> BpfSensor::snapshot() {
  std::vector<RawEvent> out;
  bpf_link* link = bpf_program__attach_iter(m_skel->progs.snapshot_fds, nullptr);
  if (!link) return make_error("cannot attach the task_file iterator: " + errno_text(errno));
  int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) {
    bpf_link__destroy(link);
    return make_error("cannot create the task_file iterator: " + errno_text(errno));
  }
  // Records are fixed-size; a read may end mid-record, so keep the remainder.
  std::vector<std::byte> buf;
  std::byte chunk[16384];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      bpf_link__destroy(link);
      return make_error("reading the task_file iterator failed: " + errno_text(err));
    }
    if (n == 0) break;
    buf.insert(buf.end(), chunk, chunk + n);
  }
  close(fd);
  bpf_link__destroy(link);
  constexpr std::size_t kRec = sizeof(sv_snapshot_fd_event);
  for (std::size_t off = 0; off + kRec <= buf.size(); off += kRec) {
    auto ev = decode_record({buf.data() + off, kRec}, m_table, m_decode);
    if (ev) out.push_back(std::move(ev).value());
  }
  if (buf.size() % kRec != 0) ++m_decode.errors[static_cast<int>(DecodeError::Short)];
  return out;
}

std::set<std::uint32_t> BpfSensor::own_program_ids() const {
  std::set<std::uint32_t> ids;
  if (!m_skel) return ids;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, m_skel->obj) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    int fd = bpf_program__fd(prog);
    if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) ids.insert(info.id);
  }
  return ids;
}

void BpfSensor::mark_holder(std::uint32_t tgid) {
  if (!m_skel) return;
  __u8 one = 1;
  bpf_map_update_elem(bpf_map__fd(m_skel->maps.holders), &tgid, &one, BPF_ANY);
}

std::vector<RawEvent> BpfSensor::collect_reads(std::uint64_t now_ns, std::uint64_t idle_ns) {
  std::vector<RawEvent> out;
  if (!m_skel) return out;
  int fd = bpf_map__fd(m_skel->maps.reads);
  sv_read_key key{}, next{};
  std::vector<sv_read_key> stale;
  const sv_read_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    sv_read_stats st{};
    if (bpf_map_lookup_elem(fd, &key, &st) != 0) continue;
    auto& seen = m_reads_seen[{key.tgid, key.fd}];
    if (st.bytes > seen.bytes && st.reads >= seen.reads) {
      RawEvent ev;
      ev.kind = EventKind::DeviceRead;
      ev.ts_boot_ns = st.last_ns;
      ev.process.pid = key.tgid;
      ev.process.tid = key.tgid;
      ev.process.uid = st.uid;
      ev.process.euid = st.euid;
      ev.process.start_boot_ns = st.start_boot_ns;
      ev.process.comm = std::string(st.comm, strnlen(st.comm, sizeof(st.comm)));
      ReadInfo r;
      r.device.major = st.major;
      r.device.minor = st.minor;
      r.device.fd = key.fd;
      r.device.name = std::string(st.name, strnlen(st.name, sizeof(st.name)));
      r.device.device_class = m_table.classify_or(st.major, st.minor, st.dev_class);
      r.bytes = st.bytes - seen.bytes;
      r.reads = st.reads - seen.reads;
      std::uint64_t since = seen.at_ns ? seen.at_ns : st.start_boot_ns;
      r.period_s = now_ns > since ? static_cast<double>(now_ns - since) / 1e9 : 0;
      r.rate = r.period_s > 0 ? static_cast<std::uint64_t>(static_cast<double>(r.bytes) / r.period_s) : r.bytes;
      ev.payload = std::move(r);
      out.push_back(std::move(ev));
    }
    seen = {st.bytes, st.reads, now_ns};
    if (st.last_ns + idle_ns < now_ns) stale.push_back(key);
  }
  for (const auto& k : stale) {
    bpf_map_delete_elem(fd, &k);
    m_reads_seen.erase({k.tgid, k.fd});
  }
  return out;
}

KernelCounters BpfSensor::counters() const {
  KernelCounters c;
  if (!m_skel) return m_final;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return c;
  std::vector<__u64> per_cpu(static_cast<std::size_t>(ncpu));
  auto sum = [&](__u32 key) -> std::uint64_t {
    if (bpf_map_lookup_elem(bpf_map__fd(m_skel->maps.counters), &key, per_cpu.data()) != 0) return 0;
    std::uint64_t total = 0;
    for (auto v : per_cpu) total += v;
    return total;
  };
  c.open_seen = sum(SV_CTR_OPEN_SEEN);
  c.open_filtered = sum(SV_CTR_OPEN_FILTERED);
  c.open_own_tty = sum(SV_CTR_OPEN_OWN_TTY);
  c.open_failed_filtered = sum(SV_CTR_OPEN_FAILED_FILTERED);
  c.device_emitted = sum(SV_CTR_DEVICE_EMITTED);
  c.device_lost = sum(SV_CTR_DEVICE_LOST);
  c.process_emitted = sum(SV_CTR_PROCESS_EMITTED);
  c.process_lost = sum(SV_CTR_PROCESS_LOST);
  c.snapshot_emitted = sum(SV_CTR_SNAPSHOT_EMITTED);
  c.snapshot_lost = sum(SV_CTR_SNAPSHOT_LOST);
  c.capture_emitted = sum(SV_CTR_CAPTURE_EMITTED);
  c.capture_lost = sum(SV_CTR_CAPTURE_LOST);
  c.rate_limited = sum(SV_CTR_RATE_LIMITED);
  return c;
}

void BpfSensor::stop() {
  if (m_stopped) return;
  m_final = counters();
  m_stopped = true;
  if (m_ring_fd) {
    boost::system::error_code ec;
    m_ring_fd->cancel(ec);
    m_ring_fd->release();  // libbpf owns the epoll fd
    m_ring_fd.reset();
  }
  if (m_ring) {
    ring_buffer__free(m_ring);
    m_ring = nullptr;
  }
  for (auto* l : m_compat_links) bpf_link__destroy(l);
  m_compat_links.clear();
  if (m_skel) {
    sensor_bpf__destroy(m_skel);
    m_skel = nullptr;
  }
}

}  // namespace sousveil
