/*
 * diskio: direct (O_DIRECT) disk I/O for the disk-encryption tests and
 * benchmark.
 *
 *   diskio randwrite DEV OFF_MIB LEN_MIB COUNT SEED MIRROR
 *       COUNT 4 KiB writes of pseudo-random data at pseudo-random 4 KiB
 *       blocks of [OFF, OFF+LEN) MiB of DEV; each is also written to the
 *       same offset of the file MIRROR (relative to OFF), so MIRROR ends up
 *       holding what the region should read back as.
 *   diskio pio-read DEV LBA COUNT  /  diskio pio-write DEV LBA COUNT
 *       COUNT sectors at LBA with READ/WRITE SECTORS EXT (PIO) through the
 *       kernel's ATA pass-through (SG_IO), to stdout / from stdin.
 *   diskio ata-nodata DEV COMMAND
 *       a non-data ATA command; exit 3 when the device failed it.
 *   diskio tag LBA COUNT
 *       COUNT sectors to stdout, each naming its LBA ("lamina-sector N"),
 *       the rest pseudo-random: misplaced sectors show on the host.
 *   diskio bench DEV OFF_MIB LEN_MIB SECONDS [TEST]
 *       sequential 1 MiB writes and reads over the region, then 4 KiB
 *       random writes and reads for SECONDS each, or only TEST (seq-write,
 *       seq-read, rand-write, rand-read); prints
 *       "diskio <test> <value> <unit> <requests> requests" lines (MB/s,
 *       IOPS).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
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

static void report(const char *test, double value, const char *unit, long requests)
{
	printf("diskio %s %.1f %s %ld requests\n", test, value, unit, requests);
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
	report(write ? "seq-write" : "seq-read", len_mib / (now() - t), "MB/s", len_mib);
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
	report(write ? "rand-write" : "rand-read", n / (now() - t), "IOPS", n);
	free(buf);
}

/* All four tests, or only `only`. */
static int bench(const char *dev, long off_mib, long len_mib, double seconds, const char *only)
{
	static const char *const tests[] = { "seq-write", "seq-read", "rand-write", "rand-read" };
	int fd = open(dev, O_RDWR | O_DIRECT), ran = 0;

	if (fd < 0) {
		perror("diskio: open");
		return 1;
	}
	rng_state = 42;
	for (int i = 0; i < 4; i++) {
		if (only && strcmp(only, tests[i]))
			continue;
		if (i < 2)
			bench_seq(fd, off_mib * MIB, len_mib, i == 0);
		else
			bench_rand(fd, off_mib * MIB, len_mib, seconds, i == 2);
		ran++;
	}
	if (!ran)
		fprintf(stderr, "diskio: no test %s\n", only);
	return close(fd) || !ran;
}

/* ATA PASS-THROUGH (16) with an LBA48 task file; 0, or 3 when the
 * device reported an error (CHECK CONDITION). */
static int ata_pass(const char *dev, unsigned protocol, int dir, unsigned cmd, uint64_t lba,
		    unsigned count, void *buf, unsigned len)
{
	uint8_t cdb[16] = { 0x85 }, sense[32];
	struct sg_io_hdr io = { 0 };
	int fd = open(dev, O_RDWR), rc;

	if (fd < 0) {
		perror("diskio: open");
		return 1;
	}
	cdb[1] = protocol << 1 | 1;                     /* extended (48-bit) */
	if (len)                                        /* blocks, length in count */
		cdb[2] = (dir == SG_DXFER_FROM_DEV ? 0x08 : 0) | 0x04 | 0x02;
	cdb[5] = count >> 8;
	cdb[6] = count;
	cdb[7] = lba >> 24;
	cdb[8] = lba;
	cdb[9] = lba >> 32;
	cdb[10] = lba >> 8;
	cdb[11] = lba >> 40;
	cdb[12] = lba >> 16;
	cdb[13] = 0x40;                                 /* LBA */
	cdb[14] = cmd;
	io.interface_id = 'S';
	io.dxfer_direction = dir;
	io.cmd_len = sizeof(cdb);
	io.cmdp = cdb;
	io.mx_sb_len = sizeof(sense);
	io.sbp = sense;
	io.dxfer_len = len;
	io.dxferp = buf;
	io.timeout = 20000;
	rc = ioctl(fd, SG_IO, &io);
	close(fd);
	if (rc) {
		perror("diskio: SG_IO");
		return 1;
	}
	if (io.status || io.host_status || io.driver_status) {
		fprintf(stderr, "diskio: ATA command 0x%02x failed (status %u, host %u, driver %u)\n",
			cmd, io.status, io.host_status, io.driver_status);
		return 3;
	}
	return 0;
}

static int pio(const char *dev, uint64_t lba, unsigned count, int write)
{
	size_t len = (size_t)count * 512;
	uint8_t *buf = aligned_buf(len);
	int rc;

	if (write && fread(buf, 1, len, stdin) != len) {
		fprintf(stderr, "diskio: short input\n");
		return 1;
	}
	rc = ata_pass(dev, write ? 5 : 4, write ? SG_DXFER_TO_DEV : SG_DXFER_FROM_DEV,
		      write ? 0x34 : 0x24, lba, count, buf, len);
	if (!rc && !write && fwrite(buf, 1, len, stdout) != len)
		rc = 1;
	return rc;
}

static int tag(uint64_t lba, unsigned count)
{
	uint8_t sector[512];

	rng_state = lba + 1;
	for (unsigned i = 0; i < count; i++) {
		fill(sector, sizeof(sector));
		snprintf((char *)sector, 32, "lamina-sector %010llu", (unsigned long long)(lba + i));
		if (fwrite(sector, 1, sizeof(sector), stdout) != sizeof(sector))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tag"))
		return tag(strtoull(argv[2], NULL, 0), atoi(argv[3]));
	if (argc == 5 && !strncmp(argv[1], "pio-", 4))
		return pio(argv[2], strtoull(argv[3], NULL, 0), atoi(argv[4]),
			   !strcmp(argv[1], "pio-write"));
	if (argc == 4 && !strcmp(argv[1], "ata-nodata"))
		return ata_pass(argv[2], 3, SG_DXFER_NONE, strtoul(argv[3], NULL, 0), 0, 0, NULL, 0);
	if (argc == 8 && !strcmp(argv[1], "randwrite"))
		return randwrite(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]),
				 atol(argv[6]), argv[7]);
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "bench"))
		return bench(argv[2], atol(argv[3]), atol(argv[4]), atof(argv[5]),
			     argc == 7 ? argv[6] : NULL);
	fprintf(stderr, "usage: diskio randwrite DEV OFF_MIB LEN_MIB COUNT SEED MIRROR\n"
			"       diskio pio-read|pio-write DEV LBA COUNT\n"
			"       diskio ata-nodata DEV COMMAND\n"
			"       diskio tag LBA COUNT\n"
			"       diskio bench DEV OFF_MIB LEN_MIB SECONDS [TEST]\n");
	return 2;
}
