/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The records the kernel side hands to user space, through the ring buffer
 * and the snapshot iterator. Fixed-width types only, explicit padding, kind
 * and size first: user space checks the size before it reads anything else,
 * and static_asserts every offset (agent/sensors/bpf/abi_check.cpp).
 */
#ifndef SOUSVEIL_ABI_H
#define SOUSVEIL_ABI_H

#define SV_ABI_VERSION 1

#define SV_COMM_LEN 16
#define SV_PATH_LEN 256
#define SV_NAME_LEN 64
#define SV_ARGS_LEN 256

/* Major numbers are 12 bits in the kernel's dev_t (MINORBITS 20). */
#define SV_MAJOR_COUNT 4096

enum sv_event_kind {
	SV_EV_DEVICE_OPEN = 1,  /* open/openat/openat2/creat of a sensitive char device, ok or failed */
	SV_EV_PROCESS_EXEC = 2,
	SV_EV_PROCESS_FORK = 3,
	SV_EV_PROCESS_EXIT = 4,
	SV_EV_SNAPSHOT_FD = 5,  /* iter/task_file: a sensitive fd already open */
	SV_EV_IOCTL = 6,        /* a sensitive ioctl on a classified fd */
	SV_EV_PROCESS_ACCESS = 7, /* ptrace, process_vm_readv/writev, /proc/PID/mem */
	SV_EV_CONNECT = 8,      /* connect() to a display or audio server */
	SV_EV_INJECTION = 9,    /* LD_PRELOAD/LD_AUDIT at exec, /etc/ld.so.preload written */
	SV_EV_BPF = 10,         /* another program loads BPF or opens a probe */
};

/*
 * How the program asked: a native system call, a 32-bit (ia32) one, which the
 * per-syscall tracepoints never see, or an io_uring request, which makes no
 * system call at all.
 */
enum sv_origin {
	SV_ORIGIN_SYSCALL = 0,
	SV_ORIGIN_COMPAT = 1,
	SV_ORIGIN_IO_URING = 2,
};

/* Helpers a loaded program calls that let it copy or change user memory (SV_EV_BPF). */
enum sv_bpf_helper_bit {
	SV_HELPER_PROBE_READ_USER = 1 << 0,     /* probe_read_user, probe_read_user_str */
	SV_HELPER_PROBE_READ = 1 << 1,          /* the old probe_read, probe_read_str: user or kernel */
	SV_HELPER_PROBE_WRITE_USER = 1 << 2,
	SV_HELPER_COPY_FROM_USER = 1 << 3,      /* copy_from_user, copy_from_user_task */
	SV_HELPER_OVERRIDE_RETURN = 1 << 4,
	SV_HELPER_SEND_SIGNAL = 1 << 5,
	SV_HELPER_UNSCANNED = 1 << 15,          /* more instructions than the scan reaches */
};

/* What an SV_EV_BPF record reports. */
enum sv_bpf_op {
	SV_BPF_PROG_LOAD = 1,      /* bpf(BPF_PROG_LOAD) */
	SV_BPF_RAW_TP_OPEN = 2,    /* bpf(BPF_RAW_TRACEPOINT_OPEN): name is the tracepoint */
	SV_BPF_PERF_PROBE = 3,     /* perf_event_open of a tracepoint, kprobe or uprobe */
};

/* How one process reaches into another. */
enum sv_access {
	SV_ACCESS_PTRACE_ATTACH = 1,
	SV_ACCESS_PTRACE_SEIZE = 2,
	SV_ACCESS_PTRACE_PEEK = 3,
	SV_ACCESS_PTRACE_POKE = 4,
	SV_ACCESS_VM_READ = 5,
	SV_ACCESS_VM_WRITE = 6,
	SV_ACCESS_PROC_MEM = 7,
};

/* Which server a connect() reaches, as far as the kernel can tell cheaply. */
enum sv_service {
	SV_SERVICE_X11 = 1,
	SV_SERVICE_USER_RUNTIME = 2, /* a socket under /run/user: user space names it */
};

enum sv_injection {
	SV_INJ_LD_PRELOAD = 1,
	SV_INJ_LD_AUDIT = 2,
	SV_INJ_PRELOAD_FILE_WRITE = 3,  /* /etc/ld.so.preload opened for writing */
	SV_INJ_PRELOAD_FILE_RENAME = 4, /* something renamed onto /etc/ld.so.preload */
	SV_INJ_ENV_UNSCANNED = 5,       /* an environment too large to scan to its end */
};

/* Rate-limit kinds (the key's kind). */
enum sv_limit_kind {
	SV_LIMIT_OPEN = 1,
	SV_LIMIT_IOCTL = 2,
	SV_LIMIT_ACCESS = 3,
	SV_LIMIT_CONNECT = 4,
};

/* Device classes the kernel filter knows; user space refines (capture vs playback...). */
enum sv_device_class {
	SV_DEV_NONE = 0,
	SV_DEV_INPUT = 1,
	SV_DEV_HIDRAW = 2,
	SV_DEV_USB = 3,
	SV_DEV_UINPUT = 4,
	SV_DEV_UHID = 5,
	SV_DEV_VCS = 6,
	SV_DEV_TTY = 7,     /* virtual terminals and the console */
	SV_DEV_PTY = 8,     /* pseudo-terminal slaves */
	SV_DEV_FB = 9,
	SV_DEV_DRM = 10,
	SV_DEV_VIDEO = 11,
	SV_DEV_SOUND = 12,
	SV_DEV_MEM = 13,
	SV_DEV_CLASS_COUNT = 14,
};

/* Per-CPU counters, summed by user space. */
enum sv_counter {
	SV_CTR_OPEN_SEEN = 0,          /* open-family exits looked at */
	SV_CTR_OPEN_FILTERED = 1,      /* returned early: not a sensitive device */
	SV_CTR_OPEN_OWN_TTY = 2,       /* returned early: the caller's own controlling terminal */
	SV_CTR_OPEN_FAILED_FILTERED = 3, /* failed opens with an errno or path that cannot be a device attempt */
	SV_CTR_DEVICE_EMITTED = 4,
	SV_CTR_DEVICE_LOST = 5,        /* ring buffer full */
	SV_CTR_PROCESS_EMITTED = 6,
	SV_CTR_PROCESS_LOST = 7,
	SV_CTR_SNAPSHOT_EMITTED = 8,
	SV_CTR_SNAPSHOT_LOST = 9,      /* seq_file write refused */
	SV_CTR_CAPTURE_EMITTED = 10,   /* ioctl, process access, connect, injection */
	SV_CTR_CAPTURE_LOST = 11,
	SV_CTR_RATE_LIMITED = 12,      /* repeats folded into the next event's count */
	SV_CTR_COUNT = 13,
};

/* Key of the per-(process, kind, object) rate limiter. */
struct sv_limit_key {
	__u32 tgid;
	__u32 kind;
	__u64 object;
};

struct sv_limit_value {
	__u64 last_ns;
	__u32 suppressed;
	__u32 _pad;
};

/* Value of the per-major classification map. */
struct sv_major_rule {
	__u8 dev_class;     /* enum sv_device_class, 0 = not sensitive */
	__u8 _pad[3];
	__u32 minor_lo;     /* inclusive range of minors the class covers */
	__u32 minor_hi;
};

/* Common header of every record. */
struct sv_header {
	__u32 kind;         /* enum sv_event_kind */
	__u32 size;         /* size of the whole record in bytes */
	__u64 ts_boot_ns;   /* bpf_ktime_get_boot_ns() */
	__u64 start_boot_ns; /* group leader's start_boottime: with pid, a key that survives pid reuse */
	__u32 pid;          /* tgid */
	__u32 tid;
	__u32 ppid;         /* real parent's tgid */
	__u32 uid;          /* real uid */
	__u32 euid;         /* effective uid: differs for setuid programs */
	__u32 origin;       /* enum sv_origin: how the program asked the kernel */
	char comm[SV_COMM_LEN];
};

struct sv_device_event {
	struct sv_header hdr;
	__u32 repeats;      /* identical opens folded into this one by the rate limiter */
	__u32 _pad0;
	__s32 fd;           /* the new fd, or -1 when the open failed */
	__s32 err;          /* 0, or the positive errno of a failed open */
	__u32 flags;        /* open flags as passed */
	__u32 major;        /* 0 when the open failed: user space stats the path */
	__u32 minor;
	__u32 syscall_nr;
	__u16 i_mode;
	__u8 dev_class;     /* enum sv_device_class, SV_DEV_NONE for failed opens */
	__u8 _pad[5];
	char name[SV_NAME_LEN];  /* dentry name ("event3"); empty for failed opens */
	char path[SV_PATH_LEN];  /* the path as the caller passed it */
};

struct sv_exec_event {
	struct sv_header hdr;
	__u32 args_len;     /* bytes of args used, NUL-separated */
	__u32 _pad;
	char filename[SV_PATH_LEN];
	char args[SV_ARGS_LEN];
};

struct sv_fork_event {
	struct sv_header hdr;  /* the child */
	__u32 parent_pid;
	__u32 _pad;
};

struct sv_exit_event {
	struct sv_header hdr;
	__s32 exit_code;
	__u32 _pad;
};

struct sv_snapshot_fd_event {
	struct sv_header hdr;
	__s32 fd;
	__u32 flags;        /* f_flags */
	__u32 major;
	__u32 minor;
	__u16 i_mode;
	__u8 dev_class;
	__u8 _pad[5];
	char name[SV_NAME_LEN];
};

struct sv_ioctl_event {
	struct sv_header hdr;
	__u32 repeats;
	__s32 fd;
	__u32 cmd;
	__u32 major;
	__u64 arg;          /* the argument as passed */
	__u64 arg_value;    /* where the request takes an int by pointer (VIDIOC_STREAMON, TIOCLINUX): its value */
	__u32 minor;
	__u16 i_mode;
	__u8 dev_class;
	__u8 _pad;
	char name[SV_NAME_LEN];
};

struct sv_process_access_event {
	struct sv_header hdr;
	__u32 repeats;
	__u32 target_pid;   /* tgid for ptrace/process_vm_*, the pid in the path for /proc/PID/mem */
	__u32 access;       /* enum sv_access */
	__u32 request;      /* ptrace request, or open flags for /proc/PID/mem */
};

struct sv_connect_event {
	struct sv_header hdr;
	__u32 repeats;
	__u16 family;
	__u16 port;         /* host order, TCP */
	__u32 service;      /* enum sv_service */
	__u32 path_len;     /* bytes of path used (abstract names start with NUL) */
	char path[112];
};

struct sv_injection_event {
	struct sv_header hdr;
	__u32 what;         /* enum sv_injection */
	__u32 _pad;
	char value[SV_PATH_LEN]; /* the library list, or the path written */
};

struct sv_bpf_event {
	struct sv_header hdr;
	__u32 op;           /* enum sv_bpf_op */
	__u32 prog_type;    /* PROG_LOAD: bpf_prog_type */
	__u32 attach_type;  /* PROG_LOAD: expected_attach_type; PERF_PROBE: perf_event_attr.type */
	__u32 helpers;      /* PROG_LOAD: enum sv_bpf_helper_bit, from the instructions passed */
	__u64 config;       /* PERF_PROBE: tracepoint id, or probe flags */
	__u64 offset;       /* PERF_PROBE: uprobe offset or kprobe address */
	char name[128];     /* program name, raw tracepoint, kprobe function or uprobe path */
};

/*
 * Bytes read from sensitive devices, counted in the kernel per (process, fd)
 * and collected by user space every few seconds: never one event per read.
 */
struct sv_read_key {
	__u32 tgid;
	__s32 fd;
};

struct sv_read_stats {
	__u64 bytes;
	__u64 reads;
	__u64 start_boot_ns;  /* the reader's start: with tgid, its identity */
	__u64 last_ns;        /* boot clock of the last read */
	__u32 major;
	__u32 minor;
	__u32 uid;
	__u32 euid;
	__u8 dev_class;
	__u8 _pad[7];
	char comm[SV_COMM_LEN];
	char name[SV_NAME_LEN];
};

#endif /* SOUSVEIL_ABI_H */
