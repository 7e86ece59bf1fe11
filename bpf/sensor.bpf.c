// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * sousveil kernel sensor: sensitive device opens, process life, and a startup
 * snapshot of sensitive fds already open.
 *
 * Only syscall and sched tracepoints and a task_file iterator: kprobes, fentry
 * and LSM programs are not available on the kernels this must run on.
 * The kernel filters (is this a sensitive character device?); user space decides
 * what it means.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sousveil_abi.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define S_IFMT 00170000
#define S_IFCHR 0020000
#define KDEV_MINORBITS 20
#define KDEV_MINORMASK ((1U << KDEV_MINORBITS) - 1)

#define EPERM 1
#define ENOENT 2
#define ENXIO 6
#define EACCES 13
#define EBUSY 16
#define ENODEV 19

#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SV_CTR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Filled by user space from its device class table: one rule per major. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SV_MAJOR_COUNT);
	__type(key, __u32);
	__type(value, struct sv_major_rule);
} major_rules SEC(".maps");

/* Single devices inside a shared major (misc 10:223 uinput, 1:1 mem, 5:1 console...). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32); /* kernel dev_t: major << 20 | minor */
	__type(value, __u8);
} exact_rules SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1;
}

static __always_inline __u8 classify(__u16 mode, __u32 rdev)
{
	if ((mode & S_IFMT) != S_IFCHR)
		return SV_DEV_NONE;

	__u8 *exact = bpf_map_lookup_elem(&exact_rules, &rdev);
	if (exact)
		return *exact;

	__u32 major = rdev >> KDEV_MINORBITS;
	__u32 minor = rdev & KDEV_MINORMASK;
	struct sv_major_rule *rule = bpf_map_lookup_elem(&major_rules, &major);
	if (!rule || !rule->dev_class)
		return SV_DEV_NONE;
	if (minor < rule->minor_lo || minor > rule->minor_hi)
		return SV_DEV_NONE;
	return rule->dev_class;
}

/* The caller's own controlling terminal is not someone else's terminal. */
static __always_inline bool is_own_ctty(struct task_struct *task, __u32 rdev)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);

	if (!tty)
		return false;
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return rdev == ((major << KDEV_MINORBITS) | minor);
}

static __always_inline bool is_terminal_class(__u8 cls)
{
	return cls == SV_DEV_TTY || cls == SV_DEV_PTY;
}

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The open file behind fd, as a BTF pointer. This runs on every open of every
 * process, so it uses direct (CO-RE relocated, fault-safe) loads instead of
 * probe-read helper calls: one helper for the fd array slot, which is not a
 * BTF pointer, and a cast back to struct file.
 */
static __always_inline struct file *fd_to_file(struct task_struct *task, __s32 fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file **arr;
	struct file *f = NULL;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd < 0 || (__u32)fd >= fdt->max_fds)
		return NULL;
	arr = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	if (!f)
		return NULL;
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline void fill_header(struct sv_header *h, __u32 kind, __u32 size,
					struct task_struct *task)
{
	h->kind = kind;
	h->size = size;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(task, cred, uid.val);
	h->euid = BPF_CORE_READ(task, cred, euid.val);
	h->_pad = 0;
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
}

/* Arguments of the syscall being exited, from the task's saved user registers. */
struct open_args {
	const char *path;
	__u32 flags;
};

static __always_inline struct open_args read_open_args(struct task_struct *task, int nr)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct open_args a = {};

	switch (nr) {
	case 2: /* open(path, flags, mode) */
		a.path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		a.flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case 85: /* creat(path, mode) */
		a.path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		a.flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	case 257: /* openat(dfd, path, flags, mode) */
		a.path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		a.flags = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case 437: { /* openat2(dfd, path, how, size): how->flags is the first u64 */
		__u64 flags = 0;
		const void *how = (const void *)PT_REGS_PARM3_CORE_SYSCALL(regs);

		a.path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		bpf_probe_read_user(&flags, sizeof(flags), how);
		a.flags = (__u32)flags;
		break;
	}
	}
	return a;
}

/*
 * Which failed opens can be an attempt on a device. ENXIO and ENODEV come from
 * a node whose driver is missing. EACCES, EPERM and EBUSY also come from
 * refused devices, and ENOENT from probing for them; for those the path must be
 * under /dev (or relative, for the refusals) to cross the ring buffer.
 */
static __always_inline bool failed_open_may_be_device(__s32 err, const char *path)
{
	char p[5] = {};

	if (err == ENXIO || err == ENODEV)
		return true;
	if (err != EACCES && err != EPERM && err != EBUSY && err != ENOENT)
		return false;
	if (bpf_probe_read_user(p, sizeof(p), path) < 0)
		return false;
	if (p[0] == '/' && p[1] == 'd' && p[2] == 'e' && p[3] == 'v' && p[4] == '/')
		return true;
	return err != ENOENT && p[0] != '/';
}

static __always_inline int handle_open_exit(long ret, int nr)
{
	/* A trusted BTF pointer: bpf_task_pt_regs() needs one. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct sv_device_event *e;
	struct open_args args;
	struct file *file = NULL;
	__u16 mode = 0;
	__u32 rdev = 0;
	__u8 cls = SV_DEV_NONE;

	count(SV_CTR_OPEN_SEEN);
	if (task->tgid == self_tgid) {
		count(SV_CTR_OPEN_FILTERED);
		return 0;
	}

	if (ret >= 0) {
		struct inode *inode;

		file = fd_to_file(task, (__s32)ret);
		inode = file ? file->f_inode : NULL;
		if (!inode) {
			count(SV_CTR_OPEN_FILTERED);
			return 0;
		}
		mode = inode->i_mode;
		rdev = inode->i_rdev;
		cls = classify(mode, rdev);
		if (cls == SV_DEV_NONE) {
			count(SV_CTR_OPEN_FILTERED);
			return 0;
		}
		if (is_terminal_class(cls) && is_own_ctty(task, rdev)) {
			count(SV_CTR_OPEN_OWN_TTY);
			return 0;
		}
		args = read_open_args(task, nr);
	} else {
		args = read_open_args(task, nr);
		if (!failed_open_may_be_device((__s32)-ret, args.path)) {
			count(SV_CTR_OPEN_FAILED_FILTERED);
			return 0;
		}
	}

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_DEVICE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_DEVICE_OPEN, sizeof(*e), task);
	e->syscall_nr = nr;
	e->i_mode = mode;
	e->dev_class = cls;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	e->name[0] = 0;
	if (ret >= 0) {
		e->fd = (__s32)ret;
		e->err = 0;
		e->flags = BPF_CORE_READ(file, f_flags);
		e->major = rdev >> KDEV_MINORBITS;
		e->minor = rdev & KDEV_MINORMASK;
		bpf_probe_read_kernel_str(e->name, sizeof(e->name),
					  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	} else {
		e->fd = -1;
		e->err = (__s32)-ret;
		e->flags = args.flags;
		e->major = 0;
		e->minor = 0;
	}
	/* At exit the kernel has already faulted the path in; it is readable here. */
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), args.path) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_DEVICE_EMITTED);
	return 0;
}

SEC("tp/syscalls/sys_exit_open")
int sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, 2);
}

SEC("tp/syscalls/sys_exit_creat")
int sys_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, 85);
}

SEC("tp/syscalls/sys_exit_openat")
int sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, 257);
}

SEC("tp/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, 437);
}

SEC("tp/sched/sched_process_exec")
int sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sv_exec_event *e;
	unsigned long arg_start, arg_end;
	__u32 off, len;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_PROCESS_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_PROCESS_EXEC, sizeof(*e), task);
	e->_pad = 0;
	off = BPF_CORE_READ(ctx, __data_loc_filename) & 0xFFFF;
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off) < 0)
		e->filename[0] = 0;

	/* The new image's argv, already on its stack: NUL-separated, truncated. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > SV_ARGS_LEN - 1)
		len = SV_ARGS_LEN - 1;
	len &= SV_ARGS_LEN - 1; /* a bound the verifier can see */
	if (len && bpf_probe_read_user(e->args, len, (const void *)arg_start) < 0)
		len = 0;
	e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_PROCESS_EMITTED);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct sv_fork_event *e;

	/* Threads share their process's identity: only new processes matter. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_PROCESS_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_PROCESS_FORK, sizeof(*e), child);
	e->parent_pid = BPF_CORE_READ(parent, tgid);
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_PROCESS_EMITTED);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int sched_process_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct sv_exit_event *e;

	if ((__u32)id != (__u32)(id >> 32)) /* a thread, not the process */
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_PROCESS_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_PROCESS_EXIT, sizeof(*e), task);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_PROCESS_EMITTED);
	return 0;
}

SEC("iter/task_file")
int snapshot_fds(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sv_snapshot_fd_event e = {};
	__u16 mode;
	__u32 rdev;
	__u8 cls;

	if (!task || !file)
		return 0;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	rdev = BPF_CORE_READ(file, f_inode, i_rdev);
	cls = classify(mode, rdev);
	if (cls == SV_DEV_NONE)
		return 0;
	if (is_terminal_class(cls) && is_own_ctty(task, rdev))
		return 0;

	fill_header(&e.hdr, SV_EV_SNAPSHOT_FD, sizeof(e), task);
	e.fd = ctx->fd;
	e.flags = BPF_CORE_READ(file, f_flags);
	e.major = rdev >> KDEV_MINORBITS;
	e.minor = rdev & KDEV_MINORMASK;
	e.i_mode = mode;
	e.dev_class = cls;
	bpf_probe_read_kernel_str(e.name, sizeof(e.name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	if (bpf_seq_write(ctx->meta->seq, &e, sizeof(e)) < 0)
		count(SV_CTR_SNAPSHOT_LOST);
	else
		count(SV_CTR_SNAPSHOT_EMITTED);
	return 0;
}
