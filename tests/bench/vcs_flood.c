// SPDX-License-Identifier: Apache-2.0
// vcs_flood: opens and closes /dev/vcs as fast as it can for SECONDS, and
// prints how many opens it made.
//
// usage: vcs_flood SECONDS
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec t0, t;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++, n++)
			close(open("/dev/vcs", O_RDONLY));
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("%ld\n", n);
	return 0;
}
