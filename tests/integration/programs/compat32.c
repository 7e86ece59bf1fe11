/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A 32-bit (ia32) test program, built with gcc -m32: its system calls are
 * compat ones, which the per-syscall tracepoints never see. It does what a
 * screen reader and a terminal injector do: opens /dev/vcs and reads it, then
 * pushes a character into a pty of its own with TIOCSTI. The integration
 * tests run it under the real agent and check the kernel sensor saw it all.
 *
 *   sv_compat32 [--wait-ms MS] [--hold]
 *
 * --wait-ms MS  wait MS milliseconds before anything else: sousveil starts
 *               watching compat system calls when it sees a 32-bit program
 *               start, which takes it a moment
 * --hold        keep the fds open and wait until killed
 *
 * Exit codes: 0 ok, 2 bad usage, 3 /dev/vcs failed, 4 pty setup failed, 5 TIOCSTI failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int hold = 0;
	long wait_ms = 0;
	char buf[256];
	char c = 'Q';

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold")) {
			hold = 1;
		} else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) {
			wait_ms = strtol(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "sv_compat32: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (sizeof(void *) != 4) {
		fprintf(stderr, "sv_compat32: not built as a 32-bit program\n");
		return 2;
	}

	if (wait_ms > 0) {
		struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	int vcs = open("/dev/vcs", O_RDONLY);
	if (vcs < 0) {
		fprintf(stderr, "sv_compat32: open /dev/vcs: %s\n", strerror(errno));
		return 3;
	}
	ssize_t n = read(vcs, buf, sizeof(buf));

	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		fprintf(stderr, "sv_compat32: pty: %s\n", strerror(errno));
		return 4;
	}
	const char *name = ptsname(master);
	int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
	if (slave < 0) {
		fprintf(stderr, "sv_compat32: open %s: %s\n", name ? name : "(no name)", strerror(errno));
		return 4;
	}
	if (ioctl(slave, TIOCSTI, &c) != 0) {
		fprintf(stderr, "sv_compat32: TIOCSTI: %s\n", strerror(errno));
		return 5;
	}
	printf("vcs fd %d read %zd slave %s fd %d\n", vcs, n, name, slave);
	fflush(stdout);
	if (hold)
		for (;;)
			pause();
	return 0;
}
