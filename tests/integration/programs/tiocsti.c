/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test program that types into a terminal the way an injector does: it
 * opens a pty of its own, pushes a character into the slave's input with
 * TIOCSTI, and optionally uses the console's TIOCLINUX. The integration
 * tests run it under the real agent and check what the kernel sensor saw.
 *
 *   sv_tiocsti [--count N] [--again-after-ms MS] [--tioclinux PATH] [--hold]
 *
 * --count N           TIOCSTI N times in a tight loop (default 1)
 * --again-after-ms MS then wait MS milliseconds and TIOCSTI once more
 * --tioclinux PATH    open PATH (a console such as /dev/tty0) and issue
 *                     TIOCLINUX with the harmless subcode TIOCL_GETMOUSEREPORTING;
 *                     its failure (EINVAL, ENOTTY, ENXIO) is reported, not fatal
 * --hold              keep the fds open and wait until killed
 *
 * Exit codes: 0 ok, 2 bad usage, 3 pty setup failed, 4 TIOCSTI failed.
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

#define TIOCL_GETMOUSEREPORTING 7

static int push(int fd)
{
	char c = 'Q';

	if (ioctl(fd, TIOCSTI, &c) != 0) {
		fprintf(stderr, "sv_tiocsti: TIOCSTI: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long count = 1;
	long again_ms = -1;
	const char *console = NULL;
	int hold = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--again-after-ms") && i + 1 < argc)
			again_ms = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--tioclinux") && i + 1 < argc)
			console = argv[++i];
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "sv_tiocsti: unknown argument %s\n", argv[i]);
			return 2;
		}
	}

	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		fprintf(stderr, "sv_tiocsti: pty: %s\n", strerror(errno));
		return 3;
	}
	const char *name = ptsname(master);
	int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
	if (slave < 0) {
		fprintf(stderr, "sv_tiocsti: open %s: %s\n", name ? name : "(no name)", strerror(errno));
		return 3;
	}
	printf("slave %s fd %d\n", name, slave);

	for (long i = 0; i < count; i++)
		if (push(slave) != 0)
			return 4;
	if (again_ms >= 0) {
		struct timespec ts = {again_ms / 1000, (again_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		if (push(slave) != 0)
			return 4;
	}

	if (console) {
		int con = open(console, O_RDONLY | O_NOCTTY);

		if (con < 0) {
			printf("tioclinux open %s: %s\n", console, strerror(errno));
		} else {
			char sub = TIOCL_GETMOUSEREPORTING;
			int r = ioctl(con, TIOCLINUX, &sub);

			printf("tioclinux fd %d: %s\n", con, r < 0 ? strerror(errno) : "ok");
		}
	}
	fflush(stdout);

	if (hold)
		for (;;)
			pause();
	return 0;
}
