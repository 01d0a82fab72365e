/*
 * diskio: direct (O_DIRECT) disk I/O for the disk-encryption tests and
 * benchmark.
 *
 *   diskio randwrite DEV OFF_MIB LEN_MIB COUNT SEED MIRROR
 *       COUNT 4 KiB writes of pseudo-random data at pseudo-random 4 KiB
 *       blocks of [OFF, OFF+LEN) MiB of DEV; each is also written to the
 *       same offset of the file MIRROR (relative to OFF), so MIRROR ends up
 *       holding what the region should read back as.
 *   diskio bench DEV OFF_MIB LEN_MIB SECONDS
 *       sequential 1 MiB writes and reads over the region, then 4 KiB
 *       random writes and reads for SECONDS each; prints
 *       "diskio <test> <value> <unit>" lines (MB/s, IOPS).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define BLK 4096

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *aligned_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, BLK, len)) {
		perror("diskio: posix_memalign");
		exit(1);
	}
	return p;
}

static void fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = rng();

		memcpy(buf + i, &r, 8);
	}
}

static void xfer(int fd, void *buf, size_t len, off_t off, int write)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	if (n != (ssize_t)len) {
		fprintf(stderr, "diskio: %s of %zu at %lld: %s\n", write ? "write" : "read", len,
			(long long)off, n < 0 ? "error" : "short");
		exit(1);
	}
}

static int randwrite(const char *dev, long off_mib, long len_mib, long count, long seed,
		     const char *mirror)
{
	int fd = open(dev, O_RDWR | O_DIRECT), mfd = open(mirror, O_RDWR);
	uint8_t *buf = aligned_buf(BLK);
	long blocks = len_mib * MIB / BLK;

	if (fd < 0 || mfd < 0) {
		perror("diskio: open");
		return 1;
	}
	rng_state = seed ? seed : 1;
	for (long i = 0; i < count; i++) {
		off_t blk = rng() % blocks;

		fill(buf, BLK);
		xfer(fd, buf, BLK, off_mib * MIB + blk * BLK, 1);
		xfer(mfd, buf, BLK, blk * BLK, 1);
	}
	return close(fd) || close(mfd);
}

static void report(const char *test, double value, const char *unit)
{
	printf("diskio %s %.1f %s\n", test, value, unit);
	fflush(stdout);
}

/* Sequential 1 MiB passes over the region. */
static void bench_seq(int fd, off_t base, long len_mib, int write)
{
	uint8_t *buf = aligned_buf(MIB);
	double t;

	fill(buf, MIB);
	t = now();
	for (long i = 0; i < len_mib; i++)
		xfer(fd, buf, MIB, base + i * MIB, write);
	if (write)
		fdatasync(fd);
	report(write ? "seq-write" : "seq-read", len_mib / (now() - t), "MB/s");
	free(buf);
}

/* 4 KiB random transfers for `seconds`. */
static void bench_rand(int fd, off_t base, long len_mib, double seconds, int write)
{
	uint8_t *buf = aligned_buf(BLK);
	long blocks = len_mib * MIB / BLK, n = 0;
	double t = now(), end = t + seconds;

	fill(buf, BLK);
	while (now() < end) {
		for (int k = 0; k < 16; k++, n++)
			xfer(fd, buf, BLK, base + (off_t)(rng() % blocks) * BLK, write);
	}
	report(write ? "rand-write" : "rand-read", n / (now() - t), "IOPS");
	free(buf);
}

static int bench(const char *dev, long off_mib, long len_mib, double seconds)
{
	int fd = open(dev, O_RDWR | O_DIRECT);

	if (fd < 0) {
		perror("diskio: open");
		return 1;
	}
	rng_state = 42;
	bench_seq(fd, off_mib * MIB, len_mib, 1);
	bench_seq(fd, off_mib * MIB, len_mib, 0);
	bench_rand(fd, off_mib * MIB, len_mib, seconds, 1);
	bench_rand(fd, off_mib * MIB, len_mib, seconds, 0);
	return close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "randwrite"))
		return randwrite(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]),
				 atol(argv[6]), argv[7]);
	if (argc == 6 && !strcmp(argv[1], "bench"))
		return bench(argv[2], atol(argv[3]), atol(argv[4]), atof(argv[5]));
	fprintf(stderr, "usage: diskio randwrite DEV OFF_MIB LEN_MIB COUNT SEED MIRROR\n"
			"       diskio bench DEV OFF_MIB LEN_MIB SECONDS\n");
	return 2;
}
