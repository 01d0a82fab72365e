/*
 * dio - 4 KiB direct-I/O reads from a block device, timed.
 *
 *   dio DEVICE [COUNT]
 *
 * Reads COUNT (default 2000) consecutive 4 KiB blocks with O_DIRECT, so
 * every read is one disk command, and prints the time taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned long count = 2000, done = 0;
	unsigned long sum = 0;
	void *buf;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: dio DEVICE [COUNT]\n");
		return 2;
	}
	if (argc == 3) {
		char *end;

		count = strtoul(argv[2], &end, 0);
		if (*end || count == 0) {
			fprintf(stderr, "dio: bad count '%s'\n", argv[2]);
			return 2;
		}
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "dio: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, BLOCK, BLOCK)) {
		fprintf(stderr, "dio: out of memory\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; done < count; done++) {
		ssize_t n = pread(fd, buf, BLOCK, (off_t)done * BLOCK);

		if (n == 0)
			break;
		if (n != BLOCK) {
			fprintf(stderr, "dio: read block %lu: %s\n", done,
				n < 0 ? strerror(errno) : "short read");
			return 1;
		}
		sum += ((unsigned char *)buf)[done % BLOCK];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);

	long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL +
		       (t1.tv_nsec - t0.tv_nsec) / 1000;
	printf("dio: read %lu blocks of %d bytes from %s\n", done, BLOCK, argv[1]);
	printf("dio: elapsed_ms=%lld iops=%lld bytesum=%lu\n", us / 1000,
	       us ? (long long)done * 1000000LL / us : 0, sum);
	return done == count ? 0 : 1;
}
