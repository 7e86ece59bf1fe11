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
/* One event per (process, kind, object) per this many ns; 0 turns the limiter off. */
const volatile __u64 ratelimit_ns = 1000000000ULL;

#define PROC_SUPER_MAGIC 0x9fa0
#define TS_COMPAT 0x0002 /* thread_info.status: inside a compat (ia32) system call */
#define O_ACCMODE 03
#define ENV_SCAN 4096

/* ioctl request (type << 8 | nr) -> how to read its argument. */
#define IOCTL_ARG_INT 1  /* the argument points to an int worth reporting */
#define IOCTL_ARG_BYTE 2 /* the argument points to a subcode byte (TIOCLINUX) */

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

/* Filled by user space from its ioctl table. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u8);
} ioctl_cmds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sv_limit_key);
	__type(value, struct sv_limit_value);
} limits SEC(".maps");

/* Processes known to hold a sensitive device: only their reads are classified. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} holders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sv_read_key);
	__type(value, struct sv_read_stats);
} reads SEC(".maps");

/* Scratch space for scanning a new program's environment. */
struct env_scratch {
	char buf[2 * ENV_SCAN]; /* twice the scan: lets a length mask be a power of two */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct env_scratch);
} env_scratch SEC(".maps");

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

/*
 * A tight loop must not flood the ring buffer: one event per (process, kind,
 * object) per ratelimit_ns. The repeats are counted and handed over with the
 * next event that passes.
 */
static __always_inline bool rate_limited(__u32 tgid, __u32 kind, __u64 object, __u32 *repeats)
{
	struct sv_limit_key k = {.tgid = tgid, .kind = kind, .object = object};
	struct sv_limit_value fresh = {};
	struct sv_limit_value *v;
	__u64 now;

	*repeats = 0;
	if (!ratelimit_ns)
		return false;
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&limits, &k);
	if (v) {
		if (now - v->last_ns < ratelimit_ns) {
			__sync_fetch_and_add(&v->suppressed, 1);
			count(SV_CTR_RATE_LIMITED);
			return true;
		}
		*repeats = v->suppressed;
		v->suppressed = 0;
		v->last_ns = now;
		return false;
	}
	fresh.last_ns = now;
	bpf_map_update_elem(&limits, &k, &fresh, BPF_ANY);
	return false;
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
	h->origin = SV_ORIGIN_SYSCALL;
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
}

/*
 * Where an open's arguments are: the task's saved user registers, in the
 * 64-bit or the ia32 calling convention, or (io_uring) a copy the kernel made
 * at submission.
 */
struct open_src {
	int nr;              /* the 64-bit syscall number of the open */
	__u32 origin;        /* enum sv_origin */
	const char *kpath;   /* io_uring: the path, in kernel memory */
	__u32 kflags;
};

struct open_args {
	const char *path;
	__u32 flags;
	bool kernel;         /* path is kernel memory */
};

/* ia32 system calls pass their arguments in bx, cx, dx, si, di, bp. */
static __always_inline struct open_args read_compat_open_args(struct task_struct *task, int nr)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct open_args a = {};

	switch (nr) {
	case 2:
		a.path = (const char *)(unsigned long)(__u32)regs->bx;
		a.flags = (__u32)regs->cx;
		break;
	case 85:
		a.path = (const char *)(unsigned long)(__u32)regs->bx;
		a.flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	case 257:
		a.path = (const char *)(unsigned long)(__u32)regs->cx;
		a.flags = (__u32)regs->dx;
		break;
	case 437: {
		__u64 flags = 0;

		a.path = (const char *)(unsigned long)(__u32)regs->cx;
		bpf_probe_read_user(&flags, sizeof(flags), (const void *)(unsigned long)(__u32)regs->dx);
		a.flags = (__u32)flags;
		break;
	}
	}
	return a;
}

static __always_inline struct open_args read_open_args(struct task_struct *task, struct open_src src)
{
	struct pt_regs *regs;
	struct open_args a = {};
	int nr = src.nr;

	if (src.origin == SV_ORIGIN_IO_URING) {
		a.path = src.kpath;
		a.flags = src.kflags;
		a.kernel = true;
		return a;
	}
	if (src.origin == SV_ORIGIN_COMPAT)
		return read_compat_open_args(task, nr);
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
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
static __always_inline bool failed_open_may_be_device(__s32 err, struct open_args args)
{
	char p[5] = {};

	if (err == ENXIO || err == ENODEV)
		return true;
	if (err != EACCES && err != EPERM && err != EBUSY && err != ENOENT)
		return false;
	if ((args.kernel ? bpf_probe_read_kernel(p, sizeof(p), args.path)
			 : bpf_probe_read_user(p, sizeof(p), args.path)) < 0)
		return false;
	if (p[0] == '/' && p[1] == 'd' && p[2] == 'e' && p[3] == 'v' && p[4] == '/')
		return true;
	return err != ENOENT && p[0] != '/';
}

static __always_inline void submit_access(struct task_struct *task, __u32 target, __u32 access,
					  __u32 request, __u32 origin)
{
	struct sv_process_access_event *e;
	__u32 repeats;

	if (rate_limited(task->tgid, SV_LIMIT_ACCESS, ((__u64)access << 32) | target, &repeats))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return;
	}
	fill_header(&e->hdr, SV_EV_PROCESS_ACCESS, sizeof(*e), task);
	e->hdr.origin = origin;
	e->repeats = repeats;
	e->target_pid = target;
	e->access = access;
	e->request = request;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
}

static __always_inline void submit_injection(struct task_struct *task, __u32 what, const char *value,
					     bool user, __u32 origin)
{
	struct sv_injection_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return;
	}
	fill_header(&e->hdr, SV_EV_INJECTION, sizeof(*e), task);
	e->hdr.origin = origin;
	e->what = what;
	e->_pad = 0;
	if ((user ? bpf_probe_read_user_str(e->value, sizeof(e->value), value)
		  : bpf_probe_read_kernel_str(e->value, sizeof(e->value), value)) < 0)
		e->value[0] = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
}

/* Decimal pid from a dentry name such as "1234"; 0 when it is not a number. */
static __always_inline __u32 parse_pid(const char *name)
{
	char digits[12] = {};
	__u32 pid = 0;

	bpf_probe_read_kernel_str(digits, sizeof(digits), name);
	for (int i = 0; i < 11; i++) {
		if (digits[i] == 0)
			break;
		if (digits[i] < '0' || digits[i] > '9')
			return 0;
		pid = pid * 10 + (digits[i] - '0');
	}
	return pid;
}

/*
 * Opens that are not devices but still matter: /proc/PID/mem of another
 * process (by superblock and name, so openat(dirfd, "mem") counts) and
 * /etc/ld.so.preload opened for writing. Both checks start with a field that
 * rules out almost every open at once.
 */
static __always_inline void check_other_file(struct task_struct *task, struct file *file,
					     struct inode *inode, struct open_src src)
{
	struct dentry *dentry = file->f_path.dentry;
	char name[16] = {};

	if (!dentry)
		return;
	if (inode->i_sb->s_magic == PROC_SUPER_MAGIC) {
		bpf_probe_read_kernel(name, 4, dentry->d_name.name);
		if (name[0] != 'm' || name[1] != 'e' || name[2] != 'm' || name[3] != 0)
			return;
		__u32 target = parse_pid((const char *)dentry->d_parent->d_name.name);
		if (target && target != task->tgid)
			submit_access(task, target, SV_ACCESS_PROC_MEM, file->f_flags, src.origin);
		return;
	}
	if ((file->f_flags & O_ACCMODE) == 0)
		return;
	bpf_probe_read_kernel(name, 14, dentry->d_name.name);
	if (name[0] != 'l' || name[1] != 'd' || name[2] != '.' || name[3] != 's' || name[4] != 'o' ||
	    name[5] != '.' || name[6] != 'p' || name[7] != 'r' || name[8] != 'e' || name[9] != 'l' ||
	    name[10] != 'o' || name[11] != 'a' || name[12] != 'd' || name[13] != 0)
		return;
	bpf_probe_read_kernel(name, 4, dentry->d_parent->d_name.name);
	if (name[0] != 'e' || name[1] != 't' || name[2] != 'c' || name[3] != 0)
		return;
	/* Rare: only now read the path the program passed. */
	struct open_args args = read_open_args(task, src);

	submit_injection(task, SV_INJ_PRELOAD_FILE_WRITE, args.path, !args.kernel, src.origin);
}

static __always_inline int handle_open_exit(long ret, struct open_src src)
{
	/* A trusted BTF pointer: bpf_task_pt_regs() needs one. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct sv_device_event *e;
	struct open_args args;
	struct file *file = NULL;
	__u16 mode = 0;
	__u32 rdev = 0;
	__u32 repeats = 0;
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
			check_other_file(task, file, inode, src);
			count(SV_CTR_OPEN_FILTERED);
			return 0;
		}
		if (is_terminal_class(cls) && is_own_ctty(task, rdev)) {
			count(SV_CTR_OPEN_OWN_TTY);
			return 0;
		}
		args = read_open_args(task, src);
	} else {
		args = read_open_args(task, src);
		if (!failed_open_may_be_device((__s32)-ret, args)) {
			count(SV_CTR_OPEN_FAILED_FILTERED);
			return 0;
		}
	}

	if (ret >= 0 && !is_terminal_class(cls)) {
		__u32 tgid = task->tgid;
		__u8 one = 1;

		bpf_map_update_elem(&holders, &tgid, &one, BPF_ANY);
	}
	if (rate_limited(task->tgid, SV_LIMIT_OPEN, ret >= 0 ? rdev : (1ULL << 32) | (__u32)-ret, &repeats))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_DEVICE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_DEVICE_OPEN, sizeof(*e), task);
	e->hdr.origin = src.origin;
	e->repeats = repeats;
	e->_pad0 = 0;
	e->syscall_nr = src.nr;
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
	if ((args.kernel ? bpf_probe_read_kernel_str(e->path, sizeof(e->path), args.path)
			 : bpf_probe_read_user_str(e->path, sizeof(e->path), args.path)) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_DEVICE_EMITTED);
	return 0;
}

SEC("tp/syscalls/sys_exit_open")
int sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, (struct open_src){.nr = 2});
}

SEC("tp/syscalls/sys_exit_creat")
int sys_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, (struct open_src){.nr = 85});
}

SEC("tp/syscalls/sys_exit_openat")
int sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, (struct open_src){.nr = 257});
}

SEC("tp/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return handle_open_exit(ctx->ret, (struct open_src){.nr = 437});
}

struct env_scan {
	const char *buf;
	__u32 len;
	__u32 preload_at;  /* offset of LD_PRELOAD's value in buf, 0 when none */
	__u32 audit_at;    /* offset of LD_AUDIT's value in buf, 0 when none */
	__u32 base;        /* the word being looked at byte by byte */
};

/* Does a variable named LD_PRELOAD or LD_AUDIT start at position i? */
static __always_inline void env_check_at(__u32 i, struct env_scan *scan)
{
	const char *b = scan->buf;

	i &= ENV_SCAN - 1;
	if (i > 0 && b[(i - 1) & (ENV_SCAN - 1)] != 0)
		return;
	if (b[i] != 'L' || b[i + 1] != 'D' || b[i + 2] != '_')
		return;
	if (b[i + 3] == 'P' && b[i + 4] == 'R' && b[i + 5] == 'E' && b[i + 6] == 'L' && b[i + 7] == 'O' &&
	    b[i + 8] == 'A' && b[i + 9] == 'D' && b[i + 10] == '=')
		scan->preload_at = i + 11;
	else if (b[i + 3] == 'A' && b[i + 4] == 'U' && b[i + 5] == 'D' && b[i + 6] == 'I' && b[i + 7] == 'T' &&
		 b[i + 8] == '=')
		scan->audit_at = i + 9;
}

/* One byte of a word that holds an 'L': a callback, so the verifier sees it once. */
static long env_scan_byte(__u32 j, struct env_scan *scan)
{
	__u32 i = scan->base + j;

	if (i >= scan->len)
		return 1;
	env_check_at(i, scan);
	return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define ELS 0x4c4c4c4c4c4c4c4cULL /* 'L' in every byte */

/*
 * Eight bytes of the environment per step: a word compare rules out the
 * words without an 'L' (nearly all of them) before any byte is looked at.
 */
static long env_scan_word(__u32 k, struct env_scan *scan)
{
	__u32 base = k * 8;
	__u64 w, x;

	if (base >= scan->len)
		return 1;
	base &= ENV_SCAN - 1;
	w = *(const __u64 *)(scan->buf + base);
	x = w ^ ELS;
	if (!((x - ONES) & ~x & HIGHS))
		return 0;
	scan->base = base;
	bpf_loop(8, env_scan_byte, scan, 0);
	return 0;
}

/* Chunks overlap so that a variable name cut by a chunk's end is whole in the next. */
#define ENV_CHUNKS 8
#define ENV_STEP (ENV_SCAN - 32)

/*
 * LD_PRELOAD or LD_AUDIT in a new program's environment. The environment is
 * copied to a per-CPU buffer chunk by chunk and scanned there; only the
 * variables' values leave the kernel, never the rest of the environment. An
 * environment larger than the scan reaches is reported as such: padding it is
 * a way to hide a preload.
 */
static __always_inline void scan_environment(struct task_struct *task)
{
	__u32 zero = 0;
	struct env_scratch *scratch = bpf_map_lookup_elem(&env_scratch, &zero);
	unsigned long start, end;

	if (!scratch)
		return;
	start = BPF_CORE_READ(task, mm, env_start);
	end = BPF_CORE_READ(task, mm, env_end);
	if (end <= start)
		return;
	for (int c = 0; c < ENV_CHUNKS; c++) {
		unsigned long from = start + (unsigned long)c * ENV_STEP;
		struct env_scan scan = {};
		__u32 len;

		if (from >= end)
			return;
		len = end - from;
		if (len > ENV_SCAN - 1)
			len = ENV_SCAN - 1;
		len &= ENV_SCAN - 1;
		if (!len || bpf_probe_read_user(scratch->buf, len, (const void *)from) < 0)
			return;
		scratch->buf[len] = 0;
		scan.buf = scratch->buf;
		/* A name starting in the overlap was seen in the previous chunk. */
		scan.len = (from + len < end) ? ENV_STEP : len;
		bpf_loop(ENV_SCAN / 8, env_scan_word, &scan, 0);
		if (scan.preload_at)
			submit_injection(task, SV_INJ_LD_PRELOAD, scratch->buf + (scan.preload_at & (ENV_SCAN - 1)), false, 0);
		if (scan.audit_at)
			submit_injection(task, SV_INJ_LD_AUDIT, scratch->buf + (scan.audit_at & (ENV_SCAN - 1)), false, 0);
	}
	if (start + (unsigned long)ENV_CHUNKS * ENV_STEP < end)
		submit_injection(task, SV_INJ_ENV_UNSCANNED, "", false, 0);
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
	/* A 32-bit image: the kernel set TS_COMPAT for its first return to user space. */
	if (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT)
		e->hdr.origin = SV_ORIGIN_COMPAT;
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
	scan_environment(task);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct sv_fork_event *e;

	/* Threads share their process's identity: only new processes matter. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	/* A child inherits its parent's fds, sensitive ones included. */
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	if (bpf_map_lookup_elem(&holders, &parent_tgid)) {
		__u32 child_tgid = BPF_CORE_READ(child, tgid);
		__u8 one = 1;

		bpf_map_update_elem(&holders, &child_tgid, &one, BPF_ANY);
	}
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
	__u32 gone = id >> 32;
	bpf_map_delete_elem(&holders, &gone);
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

static __always_inline int handle_ioctl(__s32 fd, __u32 cmd, __u64 arg, __u32 origin)
{
	__u32 key = cmd & 0xffff;
	__u8 *how = bpf_map_lookup_elem(&ioctl_cmds, &key);
	struct task_struct *task;
	struct sv_ioctl_event *e;
	struct file *file;
	struct inode *inode;
	__u32 rdev, repeats;
	__u16 mode;
	__u8 cls;

	if (!how)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	/* Classified at use: the fd may have come by SCM_RIGHTS, pidfd_getfd or TIOCGPTPEER. */
	file = fd_to_file(task, fd);
	inode = file ? file->f_inode : NULL;
	if (!inode)
		return 0;
	mode = inode->i_mode;
	rdev = inode->i_rdev;
	cls = classify(mode, rdev);
	if (cls == SV_DEV_NONE)
		return 0;
	{
		__u32 tgid = task->tgid;
		__u8 one = 1;

		bpf_map_update_elem(&holders, &tgid, &one, BPF_ANY);
	}
	if (rate_limited(task->tgid, SV_LIMIT_IOCTL, ((__u64)cmd << 32) | rdev, &repeats))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_IOCTL, sizeof(*e), task);
	e->hdr.origin = origin;
	e->repeats = repeats;
	e->fd = fd;
	e->cmd = cmd;
	e->major = rdev >> KDEV_MINORBITS;
	e->minor = rdev & KDEV_MINORMASK;
	e->arg = arg;
	e->arg_value = 0;
	/* Never the argument of TIOCSTI: that is the character typed into the terminal. */
	if (*how == IOCTL_ARG_INT) {
		__s32 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (const void *)arg);
		e->arg_value = v;
	} else if (*how == IOCTL_ARG_BYTE) {
		__u8 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (const void *)arg);
		e->arg_value = v;
	}
	e->i_mode = mode;
	e->dev_class = cls;
	e->_pad = 0;
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), file->f_path.dentry->d_name.name);
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
	return 0;
}

SEC("tp/syscalls/sys_enter_ioctl")
int sys_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	return handle_ioctl((__s32)ctx->args[0], (__u32)ctx->args[1], ctx->args[2], SV_ORIGIN_SYSCALL);
}

static __always_inline int handle_ptrace(long request, __u32 target, __u32 origin)
{
	__u32 access;

	switch (request) {
	case 16: access = SV_ACCESS_PTRACE_ATTACH; break;
	case 0x4206: access = SV_ACCESS_PTRACE_SEIZE; break;
	case 1: case 2: access = SV_ACCESS_PTRACE_PEEK; break;
	case 4: case 5: access = SV_ACCESS_PTRACE_POKE; break;
	default: return 0;
	}
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->tgid == self_tgid)
		return 0;
	submit_access(task, target, access, (__u32)request, origin);
	return 0;
}

SEC("tp/syscalls/sys_enter_ptrace")
int sys_enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	return handle_ptrace(ctx->args[0], (__u32)ctx->args[1], SV_ORIGIN_SYSCALL);
}

static __always_inline int handle_process_vm(__u32 target, __u32 access, __u32 origin)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->tgid != self_tgid)
		submit_access(task, target, access, 0, origin);
	return 0;
}

SEC("tp/syscalls/sys_enter_process_vm_readv")
int sys_enter_process_vm_readv(struct trace_event_raw_sys_enter *ctx)
{
	return handle_process_vm((__u32)ctx->args[0], SV_ACCESS_VM_READ, SV_ORIGIN_SYSCALL);
}

SEC("tp/syscalls/sys_enter_process_vm_writev")
int sys_enter_process_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	return handle_process_vm((__u32)ctx->args[0], SV_ACCESS_VM_WRITE, SV_ORIGIN_SYSCALL);
}

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* sockaddr_un's path and sockaddr_in's port both start right after the family. */
struct sockaddr_head {
	__u16 family;
	char data[114];
};

/* "/tmp/.X11-unix/X" */
static __always_inline bool is_x11_path(const char *p)
{
	return p[0] == '/' && p[1] == 't' && p[2] == 'm' && p[3] == 'p' && p[4] == '/' && p[5] == '.' &&
	       p[6] == 'X' && p[7] == '1' && p[8] == '1' && p[9] == '-' && p[10] == 'u' && p[11] == 'n' &&
	       p[12] == 'i' && p[13] == 'x' && p[14] == '/' && p[15] == 'X';
}

/* "/run/user/" */
static __always_inline bool is_user_runtime_path(const char *p)
{
	return p[0] == '/' && p[1] == 'r' && p[2] == 'u' && p[3] == 'n' && p[4] == '/' && p[5] == 'u' &&
	       p[6] == 's' && p[7] == 'e' && p[8] == 'r' && p[9] == '/';
}

static __always_inline int handle_connect(const void *addr, __u32 len, __u32 origin)
{
	struct sockaddr_head sa = {};
	struct sv_connect_event *e;
	struct task_struct *task;
	__u32 service = 0, repeats;
	__u16 port = 0;

	if (len < 2)
		return 0;
	if (len > sizeof(sa))
		len = sizeof(sa);
	barrier_var(len); /* keep the mask: the verifier needs to see the bound */
	if (bpf_probe_read_user(&sa, len & 0x7f, addr) < 0)
		return 0;
	if (sa.family == AF_UNIX) {
		/* libxcb tries the abstract name "\0/tmp/.X11-unix/Xn" first. */
		if (is_x11_path(sa.data) || (sa.data[0] == 0 && is_x11_path(sa.data + 1)))
			service = SV_SERVICE_X11;
		else if (is_user_runtime_path(sa.data))
			service = SV_SERVICE_USER_RUNTIME;
	} else if (sa.family == AF_INET || sa.family == AF_INET6) {
		port = ((__u8)sa.data[0] << 8) | (__u8)sa.data[1];
		if (port >= 6000 && port < 6064)
			service = SV_SERVICE_X11;
	}
	if (!service)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	if (rate_limited(task->tgid, SV_LIMIT_CONNECT, ((__u64)service << 32) | port, &repeats))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_CONNECT, sizeof(*e), task);
	e->hdr.origin = origin;
	e->repeats = repeats;
	e->family = sa.family;
	e->port = port;
	e->service = service;
	e->path_len = sa.family == AF_UNIX && len > 2 ? len - 2 : 0;
	__builtin_memcpy(e->path, sa.data, sizeof(e->path));
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
	return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return handle_connect((const void *)ctx->args[1], (__u32)ctx->args[2], SV_ORIGIN_SYSCALL);
}

/* rename, renameat, renameat2 onto .../ld.so.preload */
static __always_inline int check_rename(const char *newname, __u32 origin)
{
	__u32 zero = 0;
	struct env_scratch *scratch = bpf_map_lookup_elem(&env_scratch, &zero);
	char *p;
	long n;

	if (!scratch)
		return 0;
	p = scratch->buf;
	n = bpf_probe_read_user_str(p, SV_PATH_LEN, newname);
	if (n < 14)
		return 0;
	n -= 1; /* without the NUL */
	const char *tail = p + ((n - 13) & (SV_PATH_LEN - 1));
	if (tail[0] != 'l' || tail[1] != 'd' || tail[2] != '.' || tail[3] != 's' || tail[4] != 'o' ||
	    tail[5] != '.' || tail[6] != 'p' || tail[7] != 'r' || tail[8] != 'e' || tail[9] != 'l' ||
	    tail[10] != 'o' || tail[11] != 'a' || tail[12] != 'd')
		return 0;
	submit_injection(bpf_get_current_task_btf(), SV_INJ_PRELOAD_FILE_RENAME, newname, true, origin);
	return 0;
}

SEC("tp/syscalls/sys_enter_rename")
int sys_enter_rename(struct trace_event_raw_sys_enter *ctx)
{
	return check_rename((const char *)ctx->args[1], SV_ORIGIN_SYSCALL);
}

SEC("tp/syscalls/sys_enter_renameat")
int sys_enter_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return check_rename((const char *)ctx->args[3], SV_ORIGIN_SYSCALL);
}

SEC("tp/syscalls/sys_enter_renameat2")
int sys_enter_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return check_rename((const char *)ctx->args[3], SV_ORIGIN_SYSCALL);
}

/*
 * Active capture, not just an open fd: bytes read from sensitive devices,
 * summed per (process, fd). Only processes known to hold a sensitive device
 * get past the first lookup, so an ordinary read costs one hash miss.
 */
/* Adds `bytes` read from fd (whose file is `file`, or looked up when NULL) to its counts. */
static __always_inline void account_read(struct task_struct *task, __u32 tgid, __s32 fd,
					 struct file *file, long bytes)
{
	struct sv_read_stats *st, fresh = {};
	struct sv_read_key key = {.tgid = tgid, .fd = fd};
	struct inode *inode;
	__u32 rdev;
	__u8 cls;

	st = bpf_map_lookup_elem(&reads, &key);
	if (st) {
		__sync_fetch_and_add(&st->bytes, bytes);
		__sync_fetch_and_add(&st->reads, 1);
		st->last_ns = bpf_ktime_get_boot_ns();
		return;
	}
	if (!file)
		file = fd_to_file(task, fd);
	inode = file ? file->f_inode : NULL;
	if (!inode)
		return;
	rdev = inode->i_rdev;
	cls = classify(inode->i_mode, rdev);
	if (cls == SV_DEV_NONE || is_terminal_class(cls))
		return; /* terminals are read all day by their own shells */
	fresh.bytes = bytes;
	fresh.reads = 1;
	fresh.start_boot_ns = task->group_leader->start_boottime;
	fresh.last_ns = bpf_ktime_get_boot_ns();
	fresh.major = rdev >> KDEV_MINORBITS;
	fresh.minor = rdev & KDEV_MINORMASK;
	fresh.uid = task->cred->uid.val;
	fresh.euid = task->cred->euid.val;
	fresh.dev_class = cls;
	BPF_CORE_READ_STR_INTO(&fresh.comm, task, comm);
	bpf_probe_read_kernel_str(fresh.name, sizeof(fresh.name), file->f_path.dentry->d_name.name);
	bpf_map_update_elem(&reads, &key, &fresh, BPF_ANY);
}

SEC("tp/syscalls/sys_exit_read")
int sys_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task;
	struct pt_regs *regs;
	__u32 tgid;

	if (ctx->ret <= 0)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&holders, &tgid))
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	account_read(task, tgid, (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs), NULL, ctx->ret);
	return 0;
}

/*
 * Other BPF programs: loads and raw tracepoint opens through bpf(), and the
 * probes programs are attached to through perf_event_open (tracepoints,
 * kprobes, uprobes). sousveil's own are not reported.
 */
/* Instructions a chunk of the helper scan holds: the scratch buffer's worth. */
#define INSN_CHUNK (ENV_SCAN / 8)
#define INSN_CHUNKS 8

struct insn_scan {
	const __u8 *buf;
	__u32 n;
	__u32 helpers;
};

/* One instruction: a call of a helper (code 0x85, src_reg 0) that reaches user memory? */
static long insn_scan_step(__u32 i, struct insn_scan *sc)
{
	const __u8 *in;
	__s32 imm;

	if (i >= sc->n)
		return 1;
	in = sc->buf + ((i & (INSN_CHUNK - 1)) * 8);
	if (in[0] != 0x85 || (in[1] & 0xf0))
		return 0;
	imm = *(const __s32 *)(in + 4);
	switch (imm) {
	case 112: case 114: sc->helpers |= SV_HELPER_PROBE_READ_USER; break;
	case 4: case 45: sc->helpers |= SV_HELPER_PROBE_READ; break;
	case 36: sc->helpers |= SV_HELPER_PROBE_WRITE_USER; break;
	case 148: case 191: sc->helpers |= SV_HELPER_COPY_FROM_USER; break;
	case 58: sc->helpers |= SV_HELPER_OVERRIDE_RETURN; break;
	case 109: case 117: sc->helpers |= SV_HELPER_SEND_SIGNAL; break;
	}
	return 0;
}

/*
 * The helpers a program being loaded calls, read from the instructions it
 * passes (bpf_attr: insn_cnt at 4, insns at 8): whether it can copy what
 * other programs read or type. Loads are rare, so the scan can afford to
 * look at up to INSN_CHUNKS * INSN_CHUNK instructions.
 */
static __always_inline __u32 scan_helpers(const char *attr)
{
	__u32 zero = 0, cnt = 0;
	__u64 insns = 0;
	struct env_scratch *scratch = bpf_map_lookup_elem(&env_scratch, &zero);
	__u32 helpers = 0;

	if (!scratch)
		return 0;
	if (bpf_probe_read_user(&cnt, sizeof(cnt), attr + 4) < 0 ||
	    bpf_probe_read_user(&insns, sizeof(insns), attr + 8) < 0)
		return 0;
	for (int c = 0; c < INSN_CHUNKS; c++) {
		struct insn_scan sc = {.buf = (const __u8 *)scratch->buf};
		__u32 from = c * INSN_CHUNK, n, bytes;

		if (from >= cnt)
			return helpers;
		n = cnt - from;
		if (n > INSN_CHUNK)
			n = INSN_CHUNK;
		bytes = n * 8;
		if (bytes > ENV_SCAN)
			bytes = ENV_SCAN;
		barrier_var(bytes);
		if (bpf_probe_read_user(scratch->buf, bytes & (2 * ENV_SCAN - 1), (const void *)(insns + (__u64)from * 8)) < 0)
			return helpers;
		sc.n = n;
		bpf_loop(INSN_CHUNK, insn_scan_step, &sc, 0);
		helpers |= sc.helpers;
	}
	if (cnt > INSN_CHUNKS * INSN_CHUNK)
		helpers |= SV_HELPER_UNSCANNED;
	return helpers;
}

static __always_inline int handle_bpf(long cmd, const char *attr, __u32 origin)
{
	struct task_struct *task;
	struct sv_bpf_event *e;

	if (cmd != 5 && cmd != 17) /* BPF_PROG_LOAD, BPF_RAW_TRACEPOINT_OPEN */
		return 0;
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_BPF, sizeof(*e), task);
	e->hdr.origin = origin;
	e->prog_type = 0;
	e->attach_type = 0;
	e->helpers = 0;
	e->config = 0;
	e->offset = 0;
	e->name[0] = 0;
	if (cmd == 5) {
		/* union bpf_attr: prog_type at 0, prog_name[16] at 48, expected_attach_type at 68 */
		e->op = SV_BPF_PROG_LOAD;
		bpf_probe_read_user(&e->prog_type, 4, attr);
		bpf_probe_read_user(&e->attach_type, 4, attr + 68);
		bpf_probe_read_user_str(e->name, 16, attr + 48);
		e->helpers = scan_helpers(attr);
	} else {
		__u64 name = 0;

		e->op = SV_BPF_RAW_TP_OPEN;
		bpf_probe_read_user(&name, sizeof(name), attr);
		if (bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)name) < 0)
			e->name[0] = 0;
	}
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
	return 0;
}

SEC("tp/syscalls/sys_enter_bpf")
int sys_enter_bpf(struct trace_event_raw_sys_enter *ctx)
{
	return handle_bpf(ctx->args[0], (const char *)ctx->args[1], SV_ORIGIN_SYSCALL);
}

SEC("tp/syscalls/sys_enter_perf_event_open")
int sys_enter_perf_event_open(struct trace_event_raw_sys_enter *ctx)
{
	const char *attr = (const char *)ctx->args[0];
	struct task_struct *task;
	struct sv_bpf_event *e;
	__u32 type = 0;
	__u64 config = 0, config1 = 0, config2 = 0;

	/* perf_event_attr: type at 0, config at 8, config1 at 56, config2 at 64 */
	if (bpf_probe_read_user(&type, sizeof(type), attr) < 0)
		return 0;
	/* Hardware, software, cache, raw and breakpoint events are not probes. */
	if (type != 2 && type <= 5)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid)
		return 0;
	bpf_probe_read_user(&config, sizeof(config), attr + 8);
	bpf_probe_read_user(&config1, sizeof(config1), attr + 56);
	bpf_probe_read_user(&config2, sizeof(config2), attr + 64);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SV_CTR_CAPTURE_LOST);
		return 0;
	}
	fill_header(&e->hdr, SV_EV_BPF, sizeof(*e), task);
	e->op = SV_BPF_PERF_PROBE;
	e->prog_type = 0;
	e->attach_type = type;
	e->helpers = 0;
	e->config = config;
	e->offset = config2;
	e->name[0] = 0;
	/* A dynamic PMU (kprobe, uprobe): config1 points to the function name or the file. */
	if (type != 2 && config1 && bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)config1) < 0)
		e->name[0] = 0;
	bpf_ringbuf_submit(e, 0);
	count(SV_CTR_CAPTURE_EMITTED);
	return 0;
}

/*
 * No bypass, 32-bit: on x86 the per-syscall tracepoints ignore compat (ia32)
 * system calls (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS). These two raw tracepoints
 * see every system call, so the first thing they do is return unless the
 * calling task is inside a compat one: TS_COMPAT in its thread_info, set on
 * ia32 entry and cleared on the way back to user space. The ia32 numbers then
 * map to the same handlers as the 64-bit tracepoints, with arguments in the
 * ia32 registers and 32-bit pointers.
 *
 * Running a program on every system call of the machine is what costs here,
 * however early it returns, so user space attaches these two only once a
 * 32-bit program runs (an exec with TS_COMPAT set, or one found at start).
 */

#define IA32_READ 3
#define IA32_OPEN 5
#define IA32_CREAT 8
#define IA32_PTRACE 26
#define IA32_RENAME 38
#define IA32_IOCTL 54
#define IA32_SOCKETCALL 102
#define IA32_OPENAT 295
#define IA32_RENAMEAT 302
#define IA32_PROCESS_VM_READV 347
#define IA32_PROCESS_VM_WRITEV 348
#define IA32_RENAMEAT2 353
#define IA32_BPF 357
#define IA32_CONNECT 362
#define IA32_OPENAT2 437
#define SYS_CONNECT 3 /* socketcall's call number for connect */

static __always_inline const void *user_ptr32(unsigned long v)
{
	return (const void *)(unsigned long)(__u32)v;
}

SEC("raw_tp/sys_enter")
int compat_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (!(task->thread_info.status & TS_COMPAT))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	switch (ctx->args[1]) {
	case IA32_IOCTL:
		return handle_ioctl((__s32)regs->bx, (__u32)regs->cx, (__u32)regs->dx, SV_ORIGIN_COMPAT);
	case IA32_PTRACE:
		return handle_ptrace((__s32)regs->bx, (__u32)regs->cx, SV_ORIGIN_COMPAT);
	case IA32_PROCESS_VM_READV:
		return handle_process_vm((__u32)regs->bx, SV_ACCESS_VM_READ, SV_ORIGIN_COMPAT);
	case IA32_PROCESS_VM_WRITEV:
		return handle_process_vm((__u32)regs->bx, SV_ACCESS_VM_WRITE, SV_ORIGIN_COMPAT);
	case IA32_CONNECT:
		return handle_connect(user_ptr32(regs->cx), (__u32)regs->dx, SV_ORIGIN_COMPAT);
	case IA32_SOCKETCALL: {
		/* socketcall(call, args): args points to 32-bit words fd, addr, addrlen. */
		__u32 a[3] = {};

		if ((__u32)regs->bx != SYS_CONNECT ||
		    bpf_probe_read_user(a, sizeof(a), user_ptr32(regs->cx)) < 0)
			return 0;
		return handle_connect(user_ptr32(a[1]), a[2], SV_ORIGIN_COMPAT);
	}
	case IA32_BPF:
		return handle_bpf((__s32)regs->bx, user_ptr32(regs->cx), SV_ORIGIN_COMPAT);
	case IA32_RENAME:
		return check_rename(user_ptr32(regs->cx), SV_ORIGIN_COMPAT);
	case IA32_RENAMEAT:
	case IA32_RENAMEAT2:
		return check_rename(user_ptr32(regs->si), SV_ORIGIN_COMPAT);
	}
	return 0;
}

SEC("raw_tp/sys_exit")
int compat_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	long ret = ctx->args[1];

	if (!(task->thread_info.status & TS_COMPAT))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	switch (regs->orig_ax) {
	case IA32_OPEN:
		return handle_open_exit(ret, (struct open_src){.nr = 2, .origin = SV_ORIGIN_COMPAT});
	case IA32_CREAT:
		return handle_open_exit(ret, (struct open_src){.nr = 85, .origin = SV_ORIGIN_COMPAT});
	case IA32_OPENAT:
		return handle_open_exit(ret, (struct open_src){.nr = 257, .origin = SV_ORIGIN_COMPAT});
	case IA32_OPENAT2:
		return handle_open_exit(ret, (struct open_src){.nr = 437, .origin = SV_ORIGIN_COMPAT});
	case IA32_READ: {
		__u32 tgid = task->tgid;

		if (ret > 0 && bpf_map_lookup_elem(&holders, &tgid))
			account_read(task, tgid, (__s32)regs->bx, NULL, ret);
		return 0;
	}
	}
	return 0;
}

/*
 * No bypass, io_uring: requests make no system call the tracepoints above
 * see. An open's path is copied at submission (the kernel frees its copy once
 * the open ran); at completion the result is classified like a syscall's: the
 * new fd in the submitter's table. A read is counted at completion from the
 * request's file, with the fd taken when io_uring looked it up.
 * Limits (docs/events.md): opens into a fixed-file slot, and reads of a fixed
 * file not opened by a known holder, are not classified.
 */
#define IORING_OP_READV 1
#define IORING_OP_READ_FIXED 4
#define IORING_OP_OPENAT 18
#define IORING_OP_READ 22
#define IORING_OP_OPENAT2 28
#define IORING_OP_READ_MULTISHOT 49
#define REQ_F_FIXED_FILE_FLAG 1ULL

struct uring_open {
	char path[SV_PATH_LEN];
	__u32 flags;
	__u32 slot;  /* io_open.file_slot: nonzero for an open into a fixed-file slot */
};

/* Opens in flight, by request. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct uring_open);
} uring_opens SEC(".maps");

/* Reads in flight by known holders, by request: the fd they named. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __s32);
} uring_reads SEC(".maps");

static __always_inline bool is_uring_read(__u8 op)
{
	return op == IORING_OP_READ || op == IORING_OP_READV || op == IORING_OP_READ_FIXED ||
	       op == IORING_OP_READ_MULTISHOT;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(uring_submit_req, struct io_kiocb *req)
{
	struct io_open *open;
	struct filename *name;
	struct uring_open *v;
	__u64 key = (__u64)req;
	__u8 op = req->opcode;

	if (op != IORING_OP_OPENAT && op != IORING_OP_OPENAT2)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	/* The request's command area holds the prepared open (getname() already ran). */
	open = bpf_rdonly_cast(req, bpf_core_type_id_kernel(struct io_open));
	name = open->filename;
	if (!name)
		return 0;
	if (bpf_map_update_elem(&uring_opens, &key, &(struct uring_open){}, BPF_ANY) != 0)
		return 0;
	v = bpf_map_lookup_elem(&uring_opens, &key);
	if (!v)
		return 0;
	if (bpf_probe_read_kernel_str(v->path, sizeof(v->path), name->name) < 0)
		v->path[0] = 0;
	v->flags = (__u32)open->how.flags;
	v->slot = open->file_slot;
	return 0;
}

SEC("tp_btf/io_uring_file_get")
int BPF_PROG(uring_file_get, struct io_kiocb *req, int fd)
{
	__u64 key = (__u64)req;
	__u32 tgid;

	if (!is_uring_read(req->opcode))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&holders, &tgid))
		return 0;
	bpf_map_update_elem(&uring_reads, &key, &fd, BPF_ANY);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(uring_complete, struct io_ring_ctx *ring, void *request, struct io_uring_cqe *cqe)
{
	struct io_kiocb *req;
	struct task_struct *task;
	__u64 key = (__u64)request;
	__s32 res;
	__u32 tgid;
	__u8 op;

	if (!request || !cqe)
		return 0;
	req = bpf_rdonly_cast(request, bpf_core_type_id_kernel(struct io_kiocb));
	op = req->opcode;
	res = cqe->res;
	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2) {
		struct uring_open *v = bpf_map_lookup_elem(&uring_opens, &key);
		struct open_src src = {.nr = op == IORING_OP_OPENAT ? 257 : 437,
				       .origin = SV_ORIGIN_IO_URING};

		if (!v)
			return 0;
		src.kpath = v->path;
		src.kflags = v->flags;
		/* A fixed-slot open returns 0, not an fd: only a failure is reportable. */
		if (!v->slot || res < 0)
			handle_open_exit(res, src);
		bpf_map_delete_elem(&uring_opens, &key);
		return 0;
	}
	if (!is_uring_read(op) || res <= 0)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&holders, &tgid))
		return 0;
	__s32 *fd = bpf_map_lookup_elem(&uring_reads, &key);
	__s32 at = fd ? *fd : -1; /* -1: a fixed file */

	if (fd && op != IORING_OP_READ_MULTISHOT)
		bpf_map_delete_elem(&uring_reads, &key);
	task = bpf_get_current_task_btf();
	account_read(task, tgid, at, req->file, res);
	return 0;
}
