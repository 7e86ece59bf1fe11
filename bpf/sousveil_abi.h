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
	SV_CTR_COUNT = 10,
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
	__u32 _pad;
	char comm[SV_COMM_LEN];
};

struct sv_device_event {
	struct sv_header hdr;
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

#endif /* SOUSVEIL_ABI_H */
