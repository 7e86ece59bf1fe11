// SPDX-License-Identifier: Apache-2.0
// read_loop: times read() of 4 KiB blocks from a cached file, start to end and
// over again, the shape of a file copy.
//
// usage: read_loop PATH [READS]   (default 500000)
//
// Prints the mean cost of one read in nanoseconds, a bare number on one line.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	long n = 500000;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PATH [READS]\n", argv[0]);
		return 2;
	}
	if (argc == 3 && (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "read_loop: READS must be a positive integer\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("read_loop: open");
		return 1;
	}
	for (long i = 0; i < n / 10; i++)  /* warm the cache */
		if (read(fd, buf, sizeof(buf)) <= 0)
			lseek(fd, 0, SEEK_SET);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (read(fd, buf, sizeof(buf)) <= 0)
			lseek(fd, 0, SEEK_SET);
	double t1 = now_ns();
	printf("%.1f\n", (t1 - t0) / (double)n);
	close(fd);
	return 0;
}
