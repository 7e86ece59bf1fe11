/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test program that reads the console's screen without an open() or read()
 * system call: it opens /dev/vcs and reads it through io_uring (liburing),
 * the way a program that wants to stay out of syscall tracing would. The
 * integration tests run it under the real agent.
 *
 *   sv_uring_vcs [--path P] [--hold]
 *
 * --path P  the file to open (default /dev/vcs)
 * --hold    keep the fd open and wait until killed
 *
 * Prints "fd N read M" or "open: ERR". Exit codes: 0 ok, 2 bad usage,
 * 3 io_uring setup failed, 4 the open failed, 5 the read failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Submits the prepared request and returns its result. */
static int run(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit(ring);

	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

int main(int argc, char **argv)
{
	const char *path = "/dev/vcs";
	struct io_uring ring;
	char buf[4096];
	int hold = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--path") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--hold")) {
			hold = 1;
		} else {
			fprintf(stderr, "sv_uring_vcs: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	int ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "sv_uring_vcs: io_uring_queue_init: %s\n", strerror(-ret));
		return 3;
	}
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, path, O_RDONLY, 0);
	int fd = run(&ring);
	if (fd < 0) {
		printf("open: %s\n", strerrorname_np(-fd));
		fflush(stdout);
		return 4;
	}
	io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
	int n = run(&ring);
	printf("fd %d read %d\n", fd, n);
	fflush(stdout);
	if (n < 0)
		return 5;
	if (hold)
		for (;;)
			pause();
	io_uring_queue_exit(&ring);
	return 0;
}
