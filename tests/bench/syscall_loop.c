// SPDX-License-Identifier: Apache-2.0
// syscall_loop: times getppid(), a system call no sensor looks at: what the
// sensors add to every system call of the machine.
//
// usage: syscall_loop [CALLS]   (default 2000000)
//
// Prints the mean cost of one call in nanoseconds, a bare number on one line.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
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
	long n = 2000000;

	if (argc > 2 || (argc == 2 && (n = strtol(argv[1], NULL, 10)) <= 0)) {
		fprintf(stderr, "usage: %s [CALLS]\n", argv[0]);
		return 2;
	}
	for (long i = 0; i < n / 10; i++)
		syscall(SYS_getppid);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	double t1 = now_ns();
	printf("%.1f\n", (t1 - t0) / (double)n);
	return 0;
}
