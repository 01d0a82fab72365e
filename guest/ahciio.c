/*
 * ahciio - write and check known data on a block device (or an image
 * file on the host), with several processes in flight at once.
 *
 *   ahciio write|verify DEVICE SEED OFFSET_MIB SIZE_MIB BLOCK_KIB PROCS [direct] [random]
 *
 * Every 512-byte sector of [OFFSET, OFFSET+SIZE) holds a pattern made from
 * SEED and the sector's own number (a marker text, the number, then
 * pseudo-random bytes), so any sector can be checked on its own, on the
 * guest's device or on the host's (decrypted) image.  PROCS processes
 * each take every PROCS-th block of BLOCK_KIB, so up to PROCS requests
 * are in flight; `direct` opens with O_DIRECT (one request per block),
 * otherwise writes go through the page cache and end with fsync;
 * `random` visits the blocks in a scrambled order (the same for write and
 * verify).
 * Prints "ahciio: write|verify ok ..." with the time taken, or the first
 * bad sector.  Exit status 0 when all went well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

struct job {
	const char *dev;
	int verify, direct, random;
	uint64_t seed, off, size, block;
	unsigned procs;
};

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The k-th block to visit: k itself, or k scrambled by a multiplier prime
 * to the block count (a permutation). */
static uint64_t block_at(const struct job *j, uint64_t k, uint64_t blocks)
{
	uint64_t m = 2654435761u % blocks;

	if (!j->random || blocks < 3)
		return k;
	while (gcd(m, blocks) != 1)
		m++;
	return (k * m + 7) % blocks;
}

/* One process: blocks me, me + procs, ...; 0 or 1. */
static int run(const struct job *j, unsigned me)
{
	int fd = open(j->dev, (j->verify ? O_RDONLY : O_WRONLY) | (j->direct ? O_DIRECT : 0));
	uint8_t *buf, *want;
	int rc = 0;

	if (fd < 0) {
		fprintf(stderr, "ahciio: %s: %s\n", j->dev, strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&buf, 4096, j->block) ||
	    posix_memalign((void **)&want, 4096, SECTOR))
		return 1;
	uint64_t blocks = (j->size + j->block - 1) / j->block;

	for (uint64_t k = me; k < blocks && !rc; k += j->procs) {
		uint64_t b = block_at(j, k, blocks);
		uint64_t pos = j->off + b * j->block;
		size_t len = j->size - b * j->block < j->block ? j->size - b * j->block : j->block;
		ssize_t n;

		if (!j->verify)
			for (size_t i = 0; i < len; i += SECTOR)
				fill_sector(buf + i, j->seed, (pos + i) / SECTOR);
		n = j->verify ? pread(fd, buf, len, pos) : pwrite(fd, buf, len, pos);
		if (n != (ssize_t)len) {
			fprintf(stderr, "ahciio: %s at %llu: %s\n", j->verify ? "read" : "write",
				(unsigned long long)pos, n < 0 ? strerror(errno) : "short");
			rc = 1;
			break;
		}
		for (size_t i = 0; j->verify && i < len; i += SECTOR) {
			fill_sector(want, j->seed, (pos + i) / SECTOR);
			if (memcmp(buf + i, want, SECTOR)) {
				fprintf(stderr, "ahciio: sector %llu differs\n",
					(unsigned long long)((pos + i) / SECTOR));
				rc = 1;
				break;
			}
		}
	}
	if (!rc && !j->verify && fsync(fd)) {
		fprintf(stderr, "ahciio: fsync: %s\n", strerror(errno));
		rc = 1;
	}
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct job j = { 0 };
	struct timespec t0, t1;
	int failed = 0, status;

	for (int i = 8; i < argc; i++) {
		if (!strcmp(argv[i], "direct"))
			j.direct = 1;
		else if (!strcmp(argv[i], "random"))
			j.random = 1;
		else
			argc = 0;
	}
	if (argc < 8 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: ahciio write|verify DEVICE SEED OFFSET_MIB SIZE_MIB "
				"BLOCK_KIB PROCS [direct] [random]\n");
		return 2;
	}
	j.verify = !strcmp(argv[1], "verify");
	j.dev = argv[2];
	j.seed = strtoull(argv[3], NULL, 0);
	j.off = strtoull(argv[4], NULL, 0) << 20;
	j.size = strtoull(argv[5], NULL, 0) << 20;
	j.block = strtoull(argv[6], NULL, 0) << 10;
	j.procs = strtoul(argv[7], NULL, 0);
	if (!j.size || !j.block || j.block % SECTOR || !j.procs || j.procs > 64) {
		fprintf(stderr, "ahciio: bad size, block or process count\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < j.procs; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(run(&j, i));
		if (pid < 0) {
			perror("ahciio: fork");
			failed = 1;
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ahciio: %s %s %s: %llu MiB at %llu MiB in %llu KiB blocks by %u, %s%s, %.3f s\n",
	       argv[1], failed ? "FAILED" : "ok", j.dev, (unsigned long long)(j.size >> 20),
	       (unsigned long long)(j.off >> 20), (unsigned long long)(j.block >> 10), j.procs,
	       j.direct ? "direct" : "buffered", j.random ? " random" : "",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return failed;
}
