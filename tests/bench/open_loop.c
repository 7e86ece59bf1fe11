// SPDX-License-Identifier: Apache-2.0
// open_loop: times open(path, O_RDONLY) + close() in a tight loop.
//
// usage: open_loop PATH [ITERATIONS]   (default 200000)
//
// Runs ITERATIONS/10 untimed iterations first (page cache, dentry cache,
// branch predictors), then ITERATIONS timed ones with CLOCK_MONOTONIC, and
// prints the mean cost of one open+close in nanoseconds, as a bare number on
// one line, so that scripts/bench/overhead can read it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int open_close(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PATH [ITERATIONS]\n", argv[0]);
		return 2;
	}
	const char *path = argv[1];
	long n = 200000;
	if (argc == 3) {
		char *end = NULL;
		n = strtol(argv[2], &end, 10);
		if (!end || *end || n <= 0) {
			fprintf(stderr, "open_loop: ITERATIONS must be a positive integer, not '%s'\n", argv[2]);
			return 2;
		}
	}

	for (long i = 0; i < n / 10; i++) {
		if (open_close(path) < 0) {
			fprintf(stderr, "open_loop: cannot open %s: %s\n", path, strerror(errno));
			return 1;
		}
	}

	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (open_close(path) < 0) {
			fprintf(stderr, "open_loop: cannot open %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	double t1 = now_ns();

	printf("%.1f\n", (t1 - t0) / (double)n);
	return 0;
}
