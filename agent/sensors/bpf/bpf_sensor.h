// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <vector>

#include "common/result.h"
#include "model/device_class.h"
#include "model/event.h"
#include "sensors/bpf/decoder.h"

struct sensor_bpf;
struct ring_buffer;
struct bpf_link;

namespace sousveil {

// The kernel's per-CPU counters, summed (bpf/sousveil_abi.h enum sv_counter).
struct KernelCounters {
  std::uint64_t open_seen = 0;
  std::uint64_t open_filtered = 0;
  std::uint64_t open_own_tty = 0;
  std::uint64_t open_failed_filtered = 0;
  std::uint64_t device_emitted = 0;
  std::uint64_t device_lost = 0;
  std::uint64_t process_emitted = 0;
  std::uint64_t process_lost = 0;
  std::uint64_t snapshot_emitted = 0;
  std::uint64_t snapshot_lost = 0;
  std::uint64_t capture_emitted = 0;  // ioctl, process access, connect, injection
  std::uint64_t capture_lost = 0;
  std::uint64_t rate_limited = 0;     // repeats folded into a later event
};

struct BpfSensorOptions {
  std::uint32_t ringbuf_bytes = 8U << 20;
  // One event per (process, kind, object) per this long; 0 turns it off.
  std::uint64_t ratelimit_ns = 1'000'000'000ULL;
};

// The eBPF sensor: owns the skeleton (open -> knobs -> load -> fill maps ->
// attach, torn down in reverse on every path) and consumes its ring buffer on
// the io_context.
class BpfSensor {
 public:
  using Handler = std::function<void(RawEvent&&)>;

  // Loads and attaches everything, or says exactly why it could not.
  static Result<std::unique_ptr<BpfSensor>> start(boost::asio::io_context& io,
                                                  const DeviceClassTable& table, Handler handler,
                                                  BpfSensorOptions options = {});
  ~BpfSensor();
  BpfSensor(const BpfSensor&) = delete;
  BpfSensor& operator=(const BpfSensor&) = delete;

  // One pass of the task_file iterator: sensitive fds open right now.
  Result<std::vector<RawEvent>> snapshot();
  // Drains what is in the ring buffer now (used at shutdown and by tests).
  void drain();
  KernelCounters counters() const;
  // Read rates since the last call: one DeviceRead event per (process, fd)
  // that read anything. Entries idle for `idle_ns` are dropped.
  std::vector<RawEvent> collect_reads(std::uint64_t now_boot_ns, std::uint64_t idle_ns = 60'000'000'000ULL);
  // Tells the kernel a process holds a sensitive device (found by a snapshot),
  // so its reads are counted.
  void mark_holder(std::uint32_t tgid);
  // Whether the 32-bit (compat) system call programs are attached: only once
  // a 32-bit program has run, since they cost something on every system call.
  bool watching_compat() const { return !m_compat_links.empty(); }
  // The kernel ids of sousveil's own programs, to leave out of inventories.
  std::set<std::uint32_t> own_program_ids() const;
  const DecodeStats& decode_stats() const { return m_decode; }
  void stop();

 private:
  BpfSensor(boost::asio::io_context& io, const DeviceClassTable& table, Handler handler);
  Result<void> open_and_load(const BpfSensorOptions& options);
  Result<void> attach();
  void arm();
  // Attaches the compat system call programs, once; says why when it cannot.
  void watch_compat(const std::string& why);
  static int on_record(void* ctx, void* data, std::size_t size);

  boost::asio::io_context& m_io;
  DeviceClassTable m_table;
  Handler m_handler;
  sensor_bpf* m_skel = nullptr;
  ring_buffer* m_ring = nullptr;
  std::vector<bpf_link*> m_compat_links;
  bool m_compat_failed = false;
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_ring_fd;
  DecodeStats m_decode;
  KernelCounters m_final;  // the counters as they were at stop()
  struct ReadSeen {
    std::uint64_t bytes = 0;
    std::uint64_t reads = 0;
    std::uint64_t at_ns = 0;
  };
  std::map<std::pair<std::uint32_t, std::int32_t>, ReadSeen> m_reads_seen;
  bool m_stopped = false;
};

// Sends libbpf's messages to the "libbpf" logger (debug and warnings).
void route_libbpf_logs();

// Mounts tracefs where it is missing: tracepoint attachment needs it.
Result<void> ensure_tracefs();

// Why BPF cannot work here, checked before trying: not root, no BTF...
// Returns an empty string when nothing is known to be missing.
std::string bpf_precondition_problem();

}  // namespace sousveil
